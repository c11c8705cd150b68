"""Streaming transfers: constant-memory, resumable, verified downloads.

``stream_content`` hands out an asset chunk by chunk; ``download`` writes it to a file.
Both read through :class:`_BodyReader`, which survives a connection that breaks
mid-body: it asks again for the rest (``Range`` + ``If-Range`` with the strong ETag)
within the call's retry budget, and takes a 200 (the server ignored the range, or the
asset changed) as the whole content again. The decisions are the pure
:mod:`videoclient._ranges`; this module only drives them.

Invariants kept here:
- memory stays constant: ``stream_content`` holds one chunk (256 KiB) at a time and
  ``download`` a 1 MiB batch, or for large bodies at most three receive buffers (3 MiB);
- ``download`` writes to a temporary file beside the target and renames it only
  when every declared byte arrived; on any failure or cancellation the temporary
  file is removed and the target is left as it was;
- a 404 for content whose job has expired becomes :class:`~videoclient.VideoExpiredError`.
"""

from __future__ import annotations

import logging
import os
import re
import secrets
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import AbstractAsyncContextManager, AsyncExitStack, asynccontextmanager
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, Union

from . import _protocol as proto
from ._callbacks import notify
from ._errors import (
    APIConnectionError,
    APIStatusError,
    ContentIntegrityError,
    NotFoundError,
)
from ._filewriter import FileWriter
from ._models import Video
from ._options import CallOptions, RequestOptions
from ._ranges import ContentMeta, expected_remaining, plan_response, resume_headers
from ._videos import VideoOperations

if TYPE_CHECKING:
    from typing_extensions import Unpack

    from ._receiver import BodyReceiver
    from ._transport import StreamResponse, Transport

__all__ = ["ContentStream", "DownloadProgress", "TransferOperations", "default_filename"]

log = logging.getLogger("videoclient")

#: Bytes gathered before each file write of a download.
WRITE_BATCH = 1024 * 1024
#: Bodies at least this large are read straight off the socket (:mod:`._receiver`).
RAW_MIN = 4 * 1024 * 1024

#: Called as ``(bytes_done, total_bytes_or_None)`` while a download runs; sync or async.
DownloadProgress = Callable[[int, Union[int, None]], Union[Awaitable[None], None]]

#: The file extension of each content variant.
EXTENSIONS: Mapping[str, str] = {"video": ".mp4", "thumbnail": ".webp", "spritesheet": ".jpg"}

_UNSAFE_NAME = re.compile(r"[^A-Za-z0-9._-]")


def default_filename(video_id: str, variant: str) -> str:
    """The file name :meth:`TransferOperations.download` uses inside a directory.

    The id with anything but letters, digits, ``.``, ``_`` and ``-`` replaced by ``_``
    (and no leading dot), plus ``.mp4`` / ``.webp`` / ``.jpg`` for the variant.
    """
    stem = _UNSAFE_NAME.sub("_", video_id).lstrip(".") or "video"
    return stem + EXTENSIONS.get(variant, ".bin")


def temp_path(path: Path) -> Path:
    """A new temporary file name for a download to ``path``: hidden, beside it."""
    return path.with_name(f".{path.name}.{secrets.token_hex(4)}.part")


def leftover_temp_files(path: Path) -> list[Path]:
    """Temporary files of downloads to ``path`` that were never finished or removed.

    Only a process that was killed outright (SIGKILL, power loss) leaves one behind; a
    caller that knows no download to ``path`` is running (a batch holding its journal)
    may delete them.
    """
    pattern = re.compile(rf"\.{re.escape(path.name)}\.[0-9a-f]{{8}}\.part")
    try:
        names = [p for p in path.parent.iterdir() if pattern.fullmatch(p.name)]
    except OSError:
        return []
    return sorted(names)


def _id_of(video: str | Video) -> str:
    return video.id if isinstance(video, Video) else video


class _BodyReader:
    """One asset's body, read across as many responses as it takes.

    Args:
        videos: The operations object (for its transport and, on a 404, ``retrieve``).
        video_id: The job whose content this is.
        req: The content request.
        opts: The call's options; ``max_retries`` bounds resumes and retries together.
        options: The caller's raw options, reused for the ``retrieve`` after a 404.
        on_restart: Called when the content starts over at byte 0 (a 200 answer to a
            resume). None means the bytes already handed out cannot be taken back: the
            new body is read past them, if its ETag shows it is the same asset.
        raw: Read large bodies straight off the socket into reused buffers
            (:mod:`videoclient._receiver`): :meth:`next_chunk` then also hands out
            memoryviews, which the caller gives back with :meth:`recycle`.
    """

    def __init__(
        self,
        videos: VideoOperations,
        video_id: str,
        req: proto.Request,
        opts: CallOptions,
        options: Mapping[str, Any],
        on_restart: Callable[[], Awaitable[None]] | None,
        *,
        raw: bool = False,
    ) -> None:
        self._videos = videos
        self._transport: Transport = videos._client._get_transport()
        self._video_id = video_id
        self._req = req
        self._opts = opts
        self._options = options
        self._on_restart = on_restart
        self._stack: AsyncExitStack | None = None
        self._resp: StreamResponse | None = None
        self._raw = raw
        self._receiver: BodyReceiver | None = None
        self._attempt = 0
        self._skip = 0
        self._use_ranges = True
        self._finished = False
        #: Bytes of the asset handed out so far, counted from its start.
        self.done = 0
        #: What the server said about the asset (set by :meth:`open`).
        self.meta = ContentMeta(None, None, None, None)
        #: How many times the read continued with a Range request.
        self.resumes = 0

    async def open(self) -> None:
        """Send the first request; raises the API error if the content cannot be had."""
        await self._connect(known=None)

    async def _connect(self, *, known: ContentMeta | None) -> None:
        headers = {"Accept-Encoding": "identity"}
        if self._use_ranges:
            headers.update(resume_headers(self.done, known))
        stack = AsyncExitStack()
        try:
            resp = await stack.enter_async_context(
                self._transport.stream(self._req, self._opts, headers, first_attempt=self._attempt)
            )
            plan = plan_response(resp.status, resp.headers, offset=self.done, known=known)
        except NotFoundError as exc:
            await stack.aclose()
            err = await self._videos._expired_or(self._video_id, exc, self._options)
            if err is exc:
                raise
            raise err from exc
        except APIStatusError as exc:
            await stack.aclose()
            if exc.status_code == 416 and "Range" in headers:
                # The server will not serve the rest as asked: take the whole asset again.
                self._use_ranges = False
                self._attempt += 1
                await self._connect(known=known)
                return
            raise
        except BaseException:
            await stack.aclose()
            raise
        self._attempt = resp.attempt
        self._stack, self._resp = stack, resp
        self._skip = 0
        if self._raw and (resp.content_length or 0) >= RAW_MIN:
            self._receiver = resp.hand_over(self._opts.timeout.read)
        self.meta = plan.meta
        if plan.restart:
            if self._on_restart is not None:
                self.done = 0
                await self._on_restart()
            elif known is None or known.etag is None or plan.meta.etag != known.etag:
                await self.aclose()
                raise ContentIntegrityError(
                    f"the content of {self._video_id} cannot be resumed: the server sent it "
                    "whole again without the same ETag",
                    status_code=resp.status,
                    request_id=resp.headers.get("x-request-id"),
                )
            else:
                self._skip = self.done
        elif "Range" in headers:
            self.resumes += 1

    async def next_chunk(self) -> bytes | memoryview:
        """The next piece of the asset, ``b""`` once every byte has arrived.

        In ``raw`` mode a piece may be a memoryview of a reused buffer: give it back
        with :meth:`recycle` once it is written.

        Raises:
            APIConnectionError: The connection broke and the retry budget is spent.
            ContentIntegrityError: The bytes do not add up to the declared length.
        """
        while not self._finished:
            if self._resp is None:
                raise APIConnectionError(f"the content stream of {self._video_id} is closed")
            chunk: bytes | memoryview | None
            try:
                if self._receiver is not None:
                    chunk = await self._receiver.next()
                else:
                    chunk = await self._resp.read_chunk()
            except APIConnectionError as exc:
                await self._resume(exc)
                continue
            if not chunk:
                chunk = b""
                remaining = expected_remaining(self.meta, self.done)
                if remaining:
                    short = ContentIntegrityError(
                        f"the content of {self._video_id} ended after {self.done} of "
                        f"{self.meta.total} bytes",
                        request_id=self.meta.request_id,
                    )
                    await self._resume(short)
                    continue
                self._finished = True
                await self.aclose()
                return b""
            if self._skip:
                dropped = min(self._skip, len(chunk))
                self._skip -= dropped
                chunk = chunk[dropped:]
                if not chunk:
                    continue
            self.done += len(chunk)
            expected_remaining(self.meta, self.done)
            return chunk
        return b""

    def recycle(self, chunk: bytes | memoryview) -> None:
        """Give back a piece :meth:`next_chunk` handed out (reuses raw buffers)."""
        if isinstance(chunk, memoryview) and self._receiver is not None:
            self._receiver.recycle(chunk)

    async def _resume(self, exc: Exception) -> None:
        """Continue after a break: wait, then ask for the rest; re-raise if no retry is left."""
        await self.aclose()
        why = type(exc).__name__
        if not await self._transport.backoff(self._req, self._attempt, self._opts, why):
            raise exc
        self._attempt += 1
        log.debug(
            "resuming %s at byte %d after %s (retry %d/%d)",
            self._req.path,
            self.done,
            why,
            self._attempt,
            self._opts.max_retries,
        )
        await self._connect(known=self.meta)

    async def aclose(self) -> None:
        """Release the current response (idempotent)."""
        stack, self._stack, self._resp = self._stack, None, None
        receiver, self._receiver = self._receiver, None
        if receiver is not None:
            receiver.close()
        if stack is not None:
            await stack.aclose()


class ContentStream:
    """An asset's bytes as they arrive: ``async for chunk in stream``.

    A connection that breaks mid-body is resumed transparently within the call's retry
    budget, so the chunks always add up to the whole asset, in order, exactly once.
    Iterate it once, inside its ``async with`` block.

    Attributes:
        content_type: The Content-Type the server declared (``video/mp4``, ...).
        content_length: The asset's size in bytes, when the server declared it.
        etag: The asset's strong ETag, when it has one.
        request_id: The ``x-request-id`` of the first response.

    .. versionadded:: 0.1.0
    """

    def __init__(self, reader: _BodyReader) -> None:
        self._reader = reader
        meta = reader.meta
        self.content_type = meta.content_type
        self.content_length = meta.total
        self.etag = meta.etag
        self.request_id = meta.request_id

    @property
    def bytes_read(self) -> int:
        """Bytes handed out so far."""
        return self._reader.done

    @property
    def resumes(self) -> int:
        """How many times a broken connection was resumed with a Range request."""
        return self._reader.resumes

    def __aiter__(self) -> ContentStream:
        return self

    async def __anext__(self) -> bytes:
        chunk = await self._reader.next_chunk()
        if not chunk:
            raise StopAsyncIteration
        return bytes(chunk)  # already bytes: a stream never reads raw

    def __repr__(self) -> str:
        return (
            f"ContentStream(content_type={self.content_type!r}, "
            f"content_length={self.content_length!r}, bytes_read={self.bytes_read})"
        )


def _target_path(target: str | os.PathLike[str], video_id: str, variant: str) -> Path:
    """The file to write: ``target`` itself, or a file named for the video inside it."""
    if not isinstance(target, (str, os.PathLike)):
        raise TypeError(f"target must be a path (str or PathLike), not {type(target).__name__}")
    raw = os.fspath(target)
    if not raw:
        raise ValueError("target must not be empty")
    path = Path(raw)
    if path.is_dir() or raw.endswith(("/", os.sep)):
        if not path.is_dir():
            raise FileNotFoundError(f"target directory does not exist: {raw!r}")
        return path / default_filename(video_id, variant)
    if not path.parent.is_dir():
        raise FileNotFoundError(f"the directory of target does not exist: {str(path.parent)!r}")
    return path


def _publish(tmp: Path, path: Path, *, overwrite: bool) -> None:
    """Move the finished temporary file to ``path`` in one step."""
    if overwrite:
        os.replace(tmp, path)
        return
    try:
        os.link(tmp, path)  # fails if path exists: no window where another file is clobbered
    except FileExistsError:
        raise FileExistsError(
            f"{str(path)!r} appeared during the download; not overwritten"
        ) from None
    except OSError:  # a file system without hard links
        if path.exists():
            raise FileExistsError(f"{str(path)!r} already exists; pass overwrite=True") from None
        os.replace(tmp, path)
        return
    os.unlink(tmp)


def _sync_file(fh: IO[bytes]) -> None:
    fh.flush()
    os.fsync(fh.fileno())


class TransferOperations(VideoOperations):
    """``stream_content`` and ``download``."""

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
            ContentIntegrityError: The bytes did not add up to the declared length.

        .. versionadded:: 0.1.0
        """
        vid = _id_of(video_id)
        req = proto.build_content(vid, variant=variant)
        opts = self._client._options(options)
        return self._open_stream(vid, req, opts, dict(options))

    @asynccontextmanager
    async def _open_stream(
        self, video_id: str, req: proto.Request, opts: CallOptions, options: Mapping[str, Any]
    ) -> AsyncIterator[ContentStream]:
        reader = _BodyReader(self, video_id, req, opts, options, on_restart=None)
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
        (``Range`` + ``If-Range`` with the ETag) within the call's ``max_retries``; if
        the server answers the whole content instead, it starts over cleanly. On any
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
            ContentIntegrityError: The bytes did not add up to the declared length.

        .. versionadded:: 0.1.0
        """
        import anyio

        vid = _id_of(video_id)
        req = proto.build_content(vid, variant=variant)
        opts = self._client._options(options)
        if on_progress is not None and not callable(on_progress):
            raise TypeError(f"on_progress must be callable, not {type(on_progress).__name__}")
        path = _target_path(target, vid, variant)
        if not overwrite and path.exists():
            raise FileExistsError(f"{str(path)!r} already exists; pass overwrite=True")
        tmp = temp_path(path)
        # Opened here, not in a thread: a cancelled thread hop would leak the handle and file.
        fh = open(tmp, "xb")  # noqa: ASYNC230, SIM115 - closed in the finally below
        # Chunks are gathered into WRITE_BATCH-sized writes (see FileWriter for
        # where they are made). Large bodies arrive as whole buffers already (raw reads),
        # written as they are and then reused.
        reader: _BodyReader | None = None

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

                reader = _BodyReader(self, vid, req, opts, options, on_restart=restart, raw=True)
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
                    await anyio.to_thread.run_sync(_sync_file, fh)
            finally:
                # A write still running in its thread must end before the file is closed.
                await writer.drain(raise_errors=False)
                fh.close()
            _publish(tmp, path, overwrite=overwrite)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        log.debug("downloaded %s (%s, %d bytes) to %s", vid, variant, reader.done, path)
        return path
