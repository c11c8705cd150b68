"""Streaming transfers: constant-memory, resumable, verified downloads.

``stream_content`` hands out an asset chunk by chunk, ``download`` writes it to a file and
``download_content`` gathers a small one in memory. All three read through
:class:`~videoclient._client.body.BodyReader`, so each survives a connection that breaks
mid-body (resumed with ``Range`` + ``If-Range``) and checks the byte count.

Invariants kept here:
- memory stays constant: ``stream_content`` holds one chunk (256 KiB) at a time and
  ``download`` a 1 MiB batch, or for large bodies at most three receive buffers (3 MiB);
- ``download`` writes to a temporary file beside the target and renames it only
  when every declared byte arrived; on any failure or cancellation the temporary
  file is removed and the target is left as it was;
- a 404 for content whose job has expired becomes :class:`~videoclient.VideoExpiredError`;
- an answer that is not the variant asked for (:class:`~videoclient._sansio.contentcheck.
  ContentCheck`) is a :class:`~videoclient.ContentIntegrityError` before its first byte is
  handed out or written.
"""

from __future__ import annotations

import logging
import os
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, Union

from .._io import clock
from .._io.disk import (
    check_output,
    default_filename,
    publish,
    refuse_existing,
    sync_file,
    temp_path,
)
from .._io.filewriter import FileWriter
from .._sansio import validate as v
from .._sansio.callbacks import notify
from .._sansio.contentcheck import ContentCheck
from .._sansio.display import downloads
from .._sansio.http import Request, Response
from .._sansio.models import Video, handle_of
from .._sansio.options import CallOptions, RequestOptions
from .body import BodyReader, ContentStream, Reader
from .inline import InlineReader
from .operations import VideoOperations
from .raw import record

if TYPE_CHECKING:
    from typing_extensions import Unpack

__all__ = ["ContentStream", "DownloadProgress", "TransferOperations", "default_filename"]

log = logging.getLogger("videoclient")

#: Bytes gathered before each file write of a download.
WRITE_BATCH = 1024 * 1024

#: Called as ``(bytes_done, total_bytes_or_None)`` while a download runs; sync or async.
DownloadProgress = Callable[[int, Union[int, None]], Union[Awaitable[None], None]]


def _id_of(video: str | Video) -> str:
    return handle_of(video) if isinstance(video, Video) else video


def _known(video: str | Video) -> Video | None:
    return video if isinstance(video, Video) else None


class TransferOperations(VideoOperations):
    """``stream_content``, ``download`` and ``download_content``."""

    def stream_content(
        self,
        video_id: str | Video,
        *,
        variant: str = "video",
        **options: Unpack[RequestOptions],
    ) -> AbstractAsyncContextManager[ContentStream]:
        """Stream a job's asset without holding it in memory.

        Use it as ``async with client.videos.stream_content(video_id) as stream:`` and
        ``async for chunk in stream`` to pipe the bytes into a web response or an object
        store. A broken connection is resumed (``Range`` + ``If-Range``) within the
        call's ``max_retries``. Arguments are checked when this is called; the request
        is sent when the block is entered.

        Args:
            video_id: A completed job (its id, or the :class:`~videoclient.Video`).
            variant: ``"video"`` (MP4), ``"thumbnail"`` (WebP) or ``"spritesheet"`` (JPEG).
            **options: Per-call :class:`~videoclient.RequestOptions`; ``timeout.read``
                bounds each wait for bytes, and no total time limit applies.

        Returns:
            An async context manager giving a :class:`ContentStream`.

        Raises:
            ValueError, TypeError: Bad arguments, before anything is sent.
            VideoExpiredError: The job's assets have expired (on entering the block).
            APIStatusError: The server refused (e.g. 409 while the job is not done).
            APIConnectionError: The connection failed and no retry was left.
            ContentIntegrityError: The bytes did not add up to the declared length, or
                are not the variant asked for (an image for ``video``, a video for a
                thumbnail: by Content-Type and by their first bytes).

        .. versionadded:: 0.1.0
        """
        vid = _id_of(video_id)
        req = self._content_request(vid, variant)
        opts = self._session.options(options)
        return self._open_stream(vid, variant, req, opts, dict(options), _known(video_id))

    def _content_request(self, video_id: str, variant: str) -> Request:
        """The content request (checked now): the asset itself, or the job that names it."""
        self._session.require(f"content:{v.check_variant(variant)}")
        return self._session.provider.build_content(video_id, variant=variant)

    def _refresher(
        self, video_id: str, variant: str, options: Mapping[str, Any]
    ) -> Callable[[], Awaitable[Request]] | None:
        """How to find the asset again, for a provider whose jobs carry (expiring) URLs."""
        provider = self._session.provider
        if not provider.content_in_job:
            return None
        retrieve_opts = {k: val for k, val in options.items() if k != "on_upload_progress"}

        async def locate() -> Request:
            video = await self.retrieve(video_id, **retrieve_opts)
            return provider.build_job_content(video, variant=variant)

        return locate

    async def _reader(
        self,
        video_id: str,
        variant: str,
        req: Request,
        opts: CallOptions,
        options: Mapping[str, Any],
        on_restart: Callable[[], Awaitable[None]] | None,
        *,
        raw: bool = False,
        known: Video | None = None,
    ) -> Reader:
        """A reader of the asset: the job is read first where it names the asset's location,
        and an asset inline in a JSON answer (Vertex) is decoded as it streams."""
        field = self._session.provider.content_inline
        if field is not None:
            # The answer of the poll that saw the job done, if it is fresh: nothing is sent.
            kept = self._session.answers.take(video_id, clock.now())
            return InlineReader(
                self, video_id, variant, req, opts, options, on_restart, field, kept
            )
        locate = self._refresher(video_id, variant, options)
        if locate is not None:
            # A finished job the caller passed names its asset already: no second read
            # (an expired URL is then refreshed on its 403, as any other).
            if known is not None and known.is_completed:
                req = self._session.provider.build_job_content(known, variant=variant)
            else:
                req = await locate()
        return BodyReader(
            self,
            video_id,
            req,
            opts,
            options,
            on_restart=on_restart,
            raw=raw,
            locate=locate,
            check=ContentCheck(variant, video_id),
        )

    @asynccontextmanager
    async def _open_stream(
        self,
        video_id: str,
        variant: str,
        req: Request,
        opts: CallOptions,
        options: Mapping[str, Any],
        known: Video | None = None,
    ) -> AsyncIterator[ContentStream]:
        reader = await self._reader(video_id, variant, req, opts, options, None, known=known)
        await reader.open()
        try:
            yield ContentStream(reader)
        finally:
            await reader.aclose()

    async def download(
        self,
        video_id: str | Video,
        target: str | os.PathLike[str],
        *,
        variant: str = "video",
        on_progress: DownloadProgress | None = None,
        overwrite: bool = False,
        fsync: bool = False,
        **options: Unpack[RequestOptions],
    ) -> Path:
        """Download a job's asset to a file, streaming, resuming and verifying it.

        The bytes go to a temporary file beside the target, which is renamed into place
        only when the byte count matches Content-Length (and the Content-Range totals).
        If the connection breaks mid-body, the download continues where it stopped
        (``Range`` + ``If-Range`` with the ETag, else a strong ``Last-Modified``) within
        the call's ``max_retries``; if the server answers the whole content instead, or
        gave no validator, it starts over cleanly. On any
        failure or cancellation no partial file is left at the target and the
        temporary file is removed.

        Args:
            video_id: A completed job (its id, or the :class:`~videoclient.Video`).
            target: A file path, or an existing directory: then the file is named for
                the video (:func:`default_filename`: the id plus ``.mp4`` / ``.webp`` /
                ``.jpg``).
            variant: ``"video"`` (MP4), ``"thumbnail"`` (WebP) or ``"spritesheet"`` (JPEG).
            on_progress: Called as ``(bytes_done, total_bytes_or_None)``, sync or async:
                with ``(0, total)`` when the answer starts (and again if the download
                starts over), then after each chunk is written.
            overwrite: Replace an existing file. When False, an existing target is a
                :class:`FileExistsError` before any request.
            fsync: Flush the file to stable storage before renaming it into place, so it
                survives a power loss too (the rename alone already guarantees that the
                target is either absent or complete). Off by default: on large files it
                costs more than the transfer itself on many disks.
            **options: Per-call :class:`~videoclient.RequestOptions`; ``timeout.read``
                bounds each wait for bytes, and no total time limit applies.

        Returns:
            The path of the written file.

        Raises:
            FileExistsError: The target exists and ``overwrite`` is False.
            FileNotFoundError: The target's directory does not exist.
            ValueError, TypeError: Bad arguments, before anything is sent.
            VideoExpiredError: The job's assets have expired.
            APIStatusError: The server refused (e.g. 409 while the job is not done).
            APIConnectionError: The connection failed and no retry was left.
            ContentIntegrityError: The bytes did not add up to the declared length, or
                are not the variant asked for (an image for ``video``, a video for a
                thumbnail: by Content-Type and by their first bytes).

        .. versionadded:: 0.1.0
        """
        import anyio

        vid = _id_of(video_id)
        req = self._content_request(vid, variant)
        opts = self._session.options(options)
        if on_progress is not None and not callable(on_progress):
            raise TypeError(f"on_progress must be callable, not {type(on_progress).__name__}")
        path = check_output(target)
        if path.is_dir():
            path = path / default_filename(vid, variant)
        refuse_existing(path, overwrite=overwrite)
        tmp = temp_path(path)
        # Opened here, not in a thread: a cancelled thread hop would leak the handle and file.
        fh = open(tmp, "xb")  # noqa: ASYNC230, SIM115 - closed in the finally below
        # Chunks are gathered into WRITE_BATCH-sized writes (see FileWriter for
        # where they are made). Large bodies arrive as whole buffers already (raw reads),
        # written as they are and then reused.
        reader: Reader | None = None

        def release(data: bytes | memoryview) -> None:
            if reader is not None:
                reader.recycle(data)

        writer = FileWriter(fh, release)
        try:
            try:
                pending: list[bytes] = []
                pending_size = 0

                async def flush() -> None:
                    nonlocal pending_size
                    if pending:
                        data = b"".join(pending)
                        pending.clear()
                        pending_size = 0
                        await writer.write(data)

                async def restart() -> None:
                    nonlocal pending_size
                    pending.clear()
                    pending_size = 0
                    await writer.rewind()
                    assert reader is not None
                    await notify(on_progress, 0, reader.meta.total)

                reader = await self._reader(
                    vid, variant, req, opts, options, restart, raw=True, known=_known(video_id)
                )
                await reader.open()
                try:
                    await notify(on_progress, 0, reader.meta.total)
                    while chunk := await reader.next_chunk():
                        if isinstance(chunk, memoryview):
                            await flush()
                            await writer.write(chunk)
                        else:
                            pending.append(chunk)
                            pending_size += len(chunk)
                            if pending_size >= WRITE_BATCH:
                                await flush()
                        await notify(on_progress, reader.done, reader.meta.total)
                    await flush()
                    await writer.drain()
                finally:
                    await reader.aclose()
                if fsync:
                    await anyio.to_thread.run_sync(sync_file, fh)
            finally:
                # A write still running in its thread must end before the file is closed.
                await writer.drain(raise_errors=False)
                fh.close()
            publish(tmp, path, overwrite=overwrite)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        log.debug("downloaded %s (%s, %d bytes) to %s", vid, variant, reader.done, path)
        downloads.record(vid, variant, str(path))  # a notebook's Video card plays it
        return path

    async def download_content(
        self, video_id: str | Video, *, variant: str = "video", **options: Unpack[RequestOptions]
    ) -> bytes:
        """The bytes of a job's asset, in memory: for small assets (thumbnails, short clips).

        Read like :meth:`download` (resumed after a broken connection, checked against
        Content-Length), but kept in memory; for large videos use :meth:`download` or
        :meth:`stream_content`.

        Args:
            video_id: A completed job (its id, or the :class:`~videoclient.Video`).
            variant: ``"video"`` (MP4), ``"thumbnail"`` (WebP) or ``"spritesheet"`` (JPEG).

        Raises:
            VideoExpiredError: The job's assets have expired.
            ContentIntegrityError: Fewer or more bytes arrived than Content-Length declared,
                or they are not the variant asked for.
        """
        vid = _id_of(video_id)
        req = self._content_request(vid, variant)
        opts = self._session.options(options)
        chunks: list[bytes] = []

        async def restart() -> None:
            chunks.clear()

        reader = await self._reader(
            vid, variant, req, opts, dict(options), restart, known=_known(video_id)
        )
        await reader.open()
        try:
            record(Response(reader.status, reader.headers, b""))
            while chunk := await reader.next_chunk():
                chunks.append(bytes(chunk))
        finally:
            await reader.aclose()
        return b"".join(chunks)
