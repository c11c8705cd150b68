"""An upload's multipart body, streamed: framing bytes as they are, files in pieces.

Files are read off the event loop, at most :data:`UPLOAD_CHUNK` bytes at a time, so a
large video is never in memory whole, and a file on disk is opened for each piece, so a
body that aiohttp stops reading part-way holds no file open. A retried request streams
its body again from the start.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

import anyio

from .._sansio.callbacks import notify
from .._sansio.files import FileSource
from .._sansio.options import UploadProgress
from .sources import open_source, read_at

__all__ = ["UPLOAD_CHUNK", "file_pieces", "stream_body"]

#: The most bytes of a file read (and held) at a time.
UPLOAD_CHUNK = 1024 * 1024


async def stream_body(
    segments: tuple[bytes | FileSource, ...],
    progress: UploadProgress | None,
    total: int,
    failed: list[Exception],
) -> AsyncIterator[bytes]:
    """Yield a multipart body: framing bytes as they are, files in chunks read off the loop.

    At most :data:`UPLOAD_CHUNK` bytes of a file are in memory at a time. ``progress``
    is called with (bytes yielded so far, ``total``) after each piece; a retried
    request streams the body again, so its count starts again from 0. An exception
    ``progress`` raises is appended to ``failed`` (then ends the body), and so is an
    :class:`OSError` reading a file (gone, unreadable, or shorter than when it was checked):
    the caller's own errors, raised as themselves rather than retried.
    """
    done = 0

    async def report(n: int) -> None:
        nonlocal done
        done += n
        try:
            await notify(progress, done, total)
        except Exception as exc:
            failed.append(exc)
            raise

    for seg in segments:
        if isinstance(seg, bytes):
            yield seg
            await report(len(seg))
            continue
        try:
            async for chunk in file_pieces(seg):
                yield chunk
                await report(len(chunk))
        except OSError as exc:  # gone, unreadable or cut since checked: the caller's error
            failed.append(exc)
            raise


async def file_pieces(seg: FileSource) -> AsyncIterator[bytes]:
    """A file's bytes in :data:`UPLOAD_CHUNK` pieces, each read off the loop.

    A file on disk is opened for each piece (:func:`~.sources.read_at`): aiohttp may stop
    reading a body at any piece (a cancelled call, a closed client) without closing it, and
    a handle kept open across pieces would then wait for the garbage collector.
    """
    done = 0
    with contextlib.ExitStack() as stack:
        fh = None if seg.path is not None else stack.enter_context(open_source(seg))
        while done < seg.size:
            want = min(UPLOAD_CHUNK, seg.size - done)
            if fh is None:
                chunk = await anyio.to_thread.run_sync(read_at, seg, done, want)
            else:
                chunk = await anyio.to_thread.run_sync(fh.read, want)
            if not chunk:
                raise OSError(
                    f"{seg.filename} ended {seg.size - done} bytes before its size when "
                    f"checked ({seg.size} bytes): it changed during the upload"
                )
            done += len(chunk)
            yield chunk
