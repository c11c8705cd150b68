"""An :class:`~._server.Emulator` on its own event loop in a background thread.

For code that blocks the calling thread (the sync client) and for pytest fixtures shared by
sync and async tests. Inspection calls that must run on the emulator's loop are sent there
and waited for.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading
from collections.abc import Awaitable, Callable
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, TypeVar

from .._sansio.models import Video
from ._log import RequestLog

if TYPE_CHECKING:
    from ._server import Emulator

__all__ = ["EmulatorThread"]

T = TypeVar("T")

#: Seconds to wait for the emulator thread to start, stop or answer an inspection call.
TIMEOUT = 30.0


class EmulatorThread:
    """Runs ``emulator`` in a daemon thread; a sync context manager.

    ::

        with Emulator(EmulatorConfig(render_seconds=0.2)).in_thread() as emu:
            client = VideoClient(base_url=emu.base_url, api_key="test")

    .. versionadded:: 0.1.0
    """

    def __init__(self, emulator: Emulator) -> None:
        self.emulator = emulator
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._ready = threading.Event()
        self._error: BaseException | None = None

    def start(self) -> str:
        """Start the thread and the server; return the base URL.

        Raises:
            Exception: Whatever stopped the emulator from starting (e.g. ``OSError``).
        """
        if self._thread is not None:
            raise RuntimeError("the emulator thread is already running")
        self._ready.clear()
        self._thread = threading.Thread(target=self._run, name="videoclient-emulator", daemon=True)
        self._thread.start()
        if not self._ready.wait(TIMEOUT):
            raise RuntimeError("the emulator did not start in time")
        if self._error is not None:
            self._thread.join(TIMEOUT)
            self._thread = None
            raise self._error
        return self.base_url

    def _run(self) -> None:
        asyncio.run(self._main())

    async def _main(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        try:
            await self.emulator.start()
        except BaseException as exc:
            self._error = exc
            self._ready.set()
            return
        self._ready.set()
        try:
            await self._stop.wait()
        finally:
            await self.emulator.stop()

    def stop(self) -> None:
        """Stop the server and join the thread."""
        thread, loop, stop = self._thread, self._loop, self._stop
        if thread is None:
            return
        if loop is not None and stop is not None and not loop.is_closed():
            loop.call_soon_threadsafe(stop.set)
        thread.join(TIMEOUT)
        self._thread = self._loop = self._stop = None

    def __enter__(self) -> EmulatorThread:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # -- running things on the emulator's loop -----------------------------------------------

    def submit(self, fn: Callable[[], Awaitable[T]]) -> concurrent.futures.Future[T]:
        """Start awaiting ``fn()`` on the emulator's loop; return a future for its result."""
        if self._loop is None:
            raise RuntimeError("the emulator thread is not running")

        async def call() -> T:
            return await fn()

        return asyncio.run_coroutine_threadsafe(call(), self._loop)

    def run(self, fn: Callable[[], Awaitable[T]]) -> T:
        """Await ``fn()`` on the emulator's loop and return its result."""
        future = self.submit(fn)
        try:
            return future.result(TIMEOUT)
        except concurrent.futures.TimeoutError:
            future.cancel()
            raise

    def call(self, fn: Callable[[], T]) -> T:
        """Call ``fn()`` on the emulator's loop and return its result."""

        async def wrapped() -> T:
            return fn()

        return self.run(wrapped)

    # -- the emulator's surface, usable from any thread ---------------------------------------

    @property
    def base_url(self) -> str:
        """``http://host:port/v1``."""
        return self.emulator.base_url

    @property
    def azure_base_url(self) -> str:
        """``http://host:port/openai/v1``."""
        return self.emulator.azure_base_url

    @property
    def runway_base_url(self) -> str:
        """Runway's base URL, ``http://host:port`` (its paths are ``/v1/...``)."""
        return self.emulator.runway_base_url

    @property
    def url(self) -> str:
        """``http://host:port``."""
        return self.emulator.url

    @property
    def port(self) -> int:
        return self.emulator.port

    @property
    def request_log(self) -> RequestLog:
        """Every request seen (thread-safe)."""
        return self.emulator.request_log

    def count(
        self,
        method: str | None = None,
        path: str | None = None,
        *,
        route: str | None = None,
        status: int | None = None,
    ) -> int:
        """How many requests matched (see :meth:`RequestLog.filter`)."""
        return self.emulator.count(method, path, route=route, status=status)

    @property
    def jobs_created(self) -> int:
        """Distinct jobs created (an idempotent replay creates none)."""
        return self.emulator.jobs_created

    @property
    def faults_injected(self) -> dict[str, int]:
        """Faults injected so far, by kind."""
        return self.emulator.faults_injected

    @property
    def renders(self) -> dict[str, int]:
        """Assets rendered so far, by variant."""
        return self.emulator.renders

    def video(self, video_id: str) -> Video:
        """A job as ``GET /videos/{id}`` would show it now."""
        return self.call(lambda: self.emulator.video(video_id))

    def asset_path(self, video_id: str, variant: str = "video") -> Path:
        """The file holding a completed job's asset (rendered if needed)."""
        return self.run(lambda: self.emulator.asset_path(video_id, variant))

    def asset_bytes(self, video_id: str, variant: str = "video") -> bytes:
        """The bytes of a completed job's asset."""
        return self.asset_path(video_id, variant).read_bytes()
