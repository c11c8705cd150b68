"""The rest of a large response body, read straight off the socket into reused buffers.

aiohttp hands a body out as a new ``bytes`` object per socket read, copies it again
in its parser, and a file write copies it once more; on loopback that caps a
download at about half of what ``curl`` does. For a large asset the transport takes
the connection over from aiohttp once the status line and headers are in
(:meth:`~videoclient._io.transport.StreamResponse.hand_over`) and gives it to a
:class:`BodyReceiver`: an :class:`asyncio.BufferedProtocol` that lets the event loop
``recv_into`` a few reused buffers. Each full buffer is handed to the consumer
(which writes it to a file) and comes back with :meth:`recycle`.

Buffers start small (:data:`MIN_BUFFER_SIZE`) and double, up to :data:`BUFFER_SIZE`,
each time one fills faster than :data:`GROW_RATE`: a fast link gets large reads and few
trips through the consumer (per byte, that is most of the client's CPU), while many
concurrent downloads over slower links keep small buffers. The largest stays small
enough (1 MiB) to be written while it is still in the CPU's cache.

Invariants kept here:
- at most ``max_ready`` full buffers wait for the consumer, plus the one being
  filled and those the consumer holds: reading pauses (TCP flow control) instead of
  buffering more, so memory stays constant whatever the body size;
- not one byte past the declared length is taken into a buffer; whatever arrives
  after it is dropped (the connection is closed after the body, never reused);
- a body that stops short is an :class:`~videoclient.APIConnectionError` after every
  byte that did arrive was handed out, so a resume can continue from there; silence
  longer than the idle timeout (while not paused by us) is an
  :class:`~videoclient.APITimeoutError`.
"""

from __future__ import annotations

import asyncio
from collections import deque

from .._sansio.errors import APIConnectionError, APITimeoutError

__all__ = ["BUFFER_SIZE", "GROW_RATE", "MIN_BUFFER_SIZE", "BodyReceiver"]

#: Largest receive buffer (one file write each).
BUFFER_SIZE = 1024 * 1024
#: First receive buffer.
MIN_BUFFER_SIZE = 256 * 1024
#: A buffer filled faster than this (bytes per second) makes the next one twice as large.
GROW_RATE = 256 * 1024 * 1024
_SCRAPS = 64 * 1024


class BodyReceiver(asyncio.BufferedProtocol):
    """Receives ``expected`` more body bytes of one response into reused buffers.

    Args:
        expected: Bytes of the body still to come (after what aiohttp already read).
        url: The response's URL without secrets, for error messages.
        idle_timeout: Longest silence of the server while reading, None for no limit.
        buffer_size: Largest buffer (default :data:`BUFFER_SIZE`).
        max_ready: Full buffers allowed to wait for the consumer before reading pauses.
    """

    def __init__(
        self,
        expected: int,
        *,
        url: str,
        idle_timeout: float | None,
        buffer_size: int | None = None,
        max_ready: int = 4,
    ) -> None:
        self._loop = asyncio.get_running_loop()
        self._left = expected
        self._url = url
        self._idle = idle_timeout
        self._max_size = buffer_size or BUFFER_SIZE
        self._size = min(MIN_BUFFER_SIZE, self._max_size)
        self._fill_started = 0.0
        self._max_ready = max_ready
        self._free: list[bytearray] = []
        self._ready: deque[memoryview] = deque()
        self._buf: bytearray | None = None
        self._pos = 0
        self._scraps: bytearray | None = None
        self._transport: asyncio.Transport | None = None
        self._paused = False
        self._lost = False
        self._error: APIConnectionError | None = None
        self._waiter: asyncio.Future[None] | None = None
        self._last = self._loop.time()
        self._watchdog: asyncio.TimerHandle | None = None

    # -- set-up and tear-down (called by the transport and the consumer) --------------

    def start(self, transport: asyncio.Transport | None, head: bytes) -> None:
        """Begin: ``head`` is what was read before the hand-over; then read the socket.

        The transport must already deliver to this protocol and be paused; None when
        the hand-over failed (:meth:`fail`): only ``head`` is handed out then.
        """
        self._transport = transport
        if head:
            self._take(head)
        if transport is None:
            self._seal()
        self._last = self._loop.time()
        if self._left > 0 and transport is not None:
            if not self._paused:  # the head alone may have filled max_ready buffers
                self._resume()
            self._arm(self._idle)

    def fail(self, error: APIConnectionError) -> None:
        """End the body with ``error`` (the hand-over could not be completed)."""
        if self._error is None and self._left > 0:
            self._error = error
        self._wake()

    def close(self) -> None:
        """Stop reading and close the connection (idempotent)."""
        if self._watchdog is not None:
            self._watchdog.cancel()
            self._watchdog = None
        transport, self._transport = self._transport, None
        if transport is not None and not transport.is_closing():
            transport.close()

    # -- the consumer's side -----------------------------------------------------------

    async def next(self) -> memoryview | None:
        """The next full buffer of body bytes, or None once the whole body arrived.

        Give each buffer back with :meth:`recycle` when done with it.

        Raises:
            APIConnectionError: The body stopped short (every byte that arrived
                was handed out first); :class:`~videoclient.APITimeoutError` for
                silence longer than the idle timeout.
        """
        while not self._ready:
            if self._error is not None:
                raise self._error
            if self._left <= 0:
                return None
            self._waiter = self._loop.create_future()
            try:
                await self._waiter
            finally:
                self._waiter = None
        view = self._ready.popleft()
        if self._paused and self._left > 0 and not self._lost:
            self._resume()
        return view

    def recycle(self, view: memoryview) -> None:
        """Take back a buffer :meth:`next` handed out, to fill it again."""
        buf = view.obj
        view.release()
        if isinstance(buf, bytearray) and len(buf) == self._size and len(self._free) < 2:
            self._free.append(buf)

    # -- asyncio.BufferedProtocol ---------------------------------------------------------

    def get_buffer(self, sizehint: int) -> memoryview:
        if self._left <= 0:
            # Bytes past the declared length: read and dropped by buffer_updated.
            if self._scraps is None:
                self._scraps = bytearray(_SCRAPS)
            return memoryview(self._scraps)
        if self._buf is None:
            self._buf = self._free.pop() if self._free else bytearray(self._size)
            self._pos = 0
            self._fill_started = self._loop.time()
        end = min(len(self._buf), self._pos + self._left)
        return memoryview(self._buf)[self._pos : end]

    def buffer_updated(self, nbytes: int) -> None:
        if self._left <= 0 or self._buf is None:
            return
        self._pos += nbytes
        self._left -= nbytes
        self._last = self._loop.time()
        if self._pos >= len(self._buf) or self._left <= 0:
            self._seal()
        if self._left <= 0:
            self._pause()
            self._wake()

    def eof_received(self) -> bool:
        return False  # let the transport close; connection_lost tells the rest

    def connection_lost(self, exc: Exception | None) -> None:
        self._lost = True
        self._transport = None
        if self._watchdog is not None:
            self._watchdog.cancel()
            self._watchdog = None
        self._seal()
        if self._left > 0 and self._error is None:
            why = (str(exc) or type(exc).__name__) if exc is not None else "closed by the server"
            self._error = APIConnectionError(
                f"the connection broke mid-body: {why[:300]}", url=self._url
            )
        self._wake()

    # -- internals ------------------------------------------------------------------------

    def _take(self, data: bytes) -> None:
        """Copy bytes read before the hand-over into the buffers."""
        view = memoryview(data)[: self._left]
        while view:
            target = self.get_buffer(len(view))
            n = min(len(target), len(view))
            target[:n] = view[:n]
            target.release()
            self.buffer_updated(n)
            view = view[n:]

    def _seal(self) -> None:
        """Hand the buffer being filled to the consumer, if it holds anything."""
        buf, pos = self._buf, self._pos
        self._buf, self._pos = None, 0
        if buf is not None and pos == len(buf) and self._size < self._max_size:
            elapsed = self._loop.time() - self._fill_started
            if pos > GROW_RATE * elapsed:
                self._size = min(2 * self._size, self._max_size)
        if buf is not None and pos:
            self._ready.append(memoryview(buf)[:pos])
            if len(self._ready) >= self._max_ready:
                self._pause()
            self._wake()

    def _pause(self) -> None:
        if not self._paused:
            self._paused = True
            if self._transport is not None and not self._lost:
                self._transport.pause_reading()

    def _resume(self) -> None:
        self._paused = False
        self._last = self._loop.time()
        if self._transport is not None and not self._lost:
            self._transport.resume_reading()

    def _wake(self) -> None:
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    def _arm(self, delay: float | None) -> None:
        if delay is not None:
            self._watchdog = self._loop.call_later(delay, self._check_idle)

    def _check_idle(self) -> None:
        """Fail the body when the server went silent for the idle timeout."""
        self._watchdog = None
        if self._lost or self._left <= 0 or self._idle is None:
            return
        now = self._loop.time()
        if self._paused:
            self._last = now  # our own pause is not the server's silence
        elif now - self._last >= self._idle:
            self._error = APITimeoutError(
                "timed out reading the response body (no byte within the read timeout)",
                url=self._url,
            )
            self._wake()
            transport, self._transport = self._transport, None
            if transport is not None:
                transport.abort()
            return
        self._arm(self._last + self._idle - now)
