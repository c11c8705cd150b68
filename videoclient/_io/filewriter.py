"""Writing a download to its file: in the event loop while the disk keeps up.

Writes go in the pieces :func:`_pieces` lays out (at most :data:`WRITE_SLICE`, starting
on odd pages), other tasks get a turn every :data:`YIELD_EVERY` bytes, and once the
kernel holds a write for long the rest of the download's large writes move to a worker
thread, in order.
"""

from __future__ import annotations

import asyncio
import mmap
import time
from collections.abc import Callable, Iterator
from typing import IO

__all__ = ["INLINE_WRITE", "PAGE_SIZE", "SLOW_WRITE", "WRITE_SLICE", "YIELD_EVERY", "FileWriter"]

#: Writes up to this size are always made in the event loop: copying that much into the
#: page cache costs less than the hop to a worker thread (a whole thumbnail, a short clip).
INLINE_WRITE = 64 * 1024
#: Every file write of a download is at most this large (the size bare aiohttp scripts
#: write in); large page-cache writes were the costliest part of a download in kernel
#: profiles on our benchmark VM. A multiple of two pages (see :func:`_pieces`).
WRITE_SLICE = 256 * 1024
#: The page size the pieces of a write are laid out by.
PAGE_SIZE = mmap.PAGESIZE
#: A slice that took longer than this (seconds) moves the download's later writes above
#: INLINE_WRITE to a worker thread: the kernel is throttling writers (a page-cache write
#: of 256 KiB takes a few milliseconds at most otherwise), and the loop must not wait on
#: the disk.
SLOW_WRITE = 0.05
#: In the loop, other tasks get a turn after about this many bytes written.
YIELD_EVERY = 1024 * 1024


def _pieces(pos: int, length: int) -> Iterator[tuple[int, int]]:
    """How to cut a write of ``length`` bytes at file offset ``pos``: ``(start, end)`` offsets.

    Pieces are at most :data:`WRITE_SLICE` long, and each ends at the next file offset of
    the form ``PAGE_SIZE + k * WRITE_SLICE`` (or at the end of the data), so every piece
    that does not continue a page starts on an odd-numbered page.

    Why: Linux sizes the page-cache folios of a write by the alignment of the page it
    starts on, so aligned 256 KiB writes get 256 KiB folios, carved from large free
    blocks. On virtual machines whose host takes free guest memory back (virtio-balloon
    free page reporting, like the Firecracker VMs of our benchmarks) those are the very
    pages the host reclaimed, and the first touch of each one faults to the host: in
    about a third of runs a 512 MiB download spent over a second more in the kernel
    (0.3x curl instead of 1.4x). Writes starting on an odd page get small folios, which
    the kernel recycles warm, as it does for curl's and aiohttp's unaligned writes. On a
    warm page cache this costs about 25 ms per 512 MiB.
    """
    start = 0
    while start < length:
        at = pos + start
        # The next cut after ``at`` (Python's % is never negative: below PAGE_SIZE it is PAGE_SIZE).
        cut = at + WRITE_SLICE - (at - PAGE_SIZE) % WRITE_SLICE
        end = min(length, cut - pos)
        yield start, end
        start = end


def _write_sliced(fh: IO[bytes], data: bytes | memoryview, pos: int) -> None:
    """Write ``data``, which goes at file offset ``pos``, in :func:`_pieces` (in a thread)."""
    with memoryview(data) as whole:
        for start, end in _pieces(pos, len(whole)):
            with whole[start:end] as piece:
                fh.write(piece)


def _write_clock() -> float:
    """The clock that times writes (tests replace it)."""
    return time.perf_counter()


class FileWriter:
    """Writes a download to its file: in the loop while the disk keeps up, else in a thread.

    A write into the page cache is a memory copy, cheaper than a hop to a worker thread
    (and on the shared virtual machine of our benchmarks, writing from a second thread
    while the loop received cost three times the CPU). Writes go in the pieces
    :func:`_pieces` lays out; in the loop other tasks get a turn after every
    :data:`YIELD_EVERY` bytes.
    A kernel that throttles writers (dirty pages over its limit) can hold a write for
    long, though: once a slice takes longer than :data:`SLOW_WRITE`, every later write
    above :data:`INLINE_WRITE` bytes goes to a worker thread, one at a time and in
    order.

    Args:
        fh: The file.
        release: Called with each piece once its write has ended (to reuse its buffer).
    """

    def __init__(self, fh: IO[bytes], release: Callable[[bytes | memoryview], None]) -> None:
        self._fh = fh
        self._release = release
        self._inflight: asyncio.Future[None] | None = None
        self._data: bytes | memoryview = b""
        self._pos = 0
        #: Whether large writes go to a worker thread (after a slow one).
        self.threaded = False

    async def write(self, data: bytes | memoryview) -> None:
        """Write ``data`` now, or start writing it in a thread (after the previous write)."""
        await self.drain()
        pos = self._pos
        self._pos += len(data)
        if not self.threaded or len(data) <= INLINE_WRITE:
            try:
                await self._write_here(data, pos)
            finally:
                self._release(data)
            return
        self._data = data
        self._inflight = asyncio.get_running_loop().run_in_executor(
            None, _write_sliced, self._fh, data, pos
        )

    async def _write_here(self, data: bytes | memoryview, pos: int) -> None:
        """Write ``data`` (at file offset ``pos``) in the loop, piece by piece, timing each."""
        since_yield = 0
        with memoryview(data) as whole:
            for start, end in _pieces(pos, len(whole)):
                if since_yield >= YIELD_EVERY:
                    since_yield = 0
                    await asyncio.sleep(0)  # let other tasks run
                since_yield += end - start
                with whole[start:end] as piece:
                    began = _write_clock()
                    self._fh.write(piece)
                    if _write_clock() - began > SLOW_WRITE:
                        self.threaded = True

    async def rewind(self) -> None:
        """Empty the file, to write it again from its start."""
        await self.drain()
        self._fh.seek(0)
        self._fh.truncate()
        self._pos = 0

    async def drain(self, *, raise_errors: bool = True) -> None:
        """Wait until no write is running, even while being cancelled.

        The thread cannot be stopped, and the file must not be closed (nor its buffer
        reused) under it: a cancellation that arrives meanwhile is raised after the
        write has ended.
        """
        inflight, self._inflight = self._inflight, None
        if inflight is None:
            return
        cancelled: BaseException | None = None
        while not inflight.done():
            try:
                await asyncio.wait((inflight,))  # waiting is cancelled, never the write
            except asyncio.CancelledError as exc:
                cancelled = exc
        data, self._data = self._data, b""
        self._release(data)
        if cancelled is not None:
            raise cancelled
        if raise_errors and (error := inflight.exception()) is not None:
            raise error
