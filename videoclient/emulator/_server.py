"""The :class:`Emulator`: one server on one event loop, with what tests need to look inside."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import shutil
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING

from aiohttp import web

from .._sansio.models import Video
from ._app import build_app, build_asset_app
from ._config import EmulatorConfig
from ._log import RequestLog
from ._render import check_variant
from ._state import EmulatorState

if TYPE_CHECKING:
    from ._thread import EmulatorThread

__all__ = ["Emulator"]

logger = logging.getLogger("videoclient.emulator")


def _url_host(host: str) -> str:
    if host in ("", "0.0.0.0"):
        return "127.0.0.1"
    if host == "::":
        return "[::1]"
    return f"[{host}]" if ":" in host else host


class Emulator:
    """A local Videos API server, run on the current event loop.

    Use it as an async context manager; :attr:`base_url` is then the base to give a client::

        async with Emulator(EmulatorConfig(render_seconds=0.5)) as emu:
            client = AsyncVideoClient(base_url=emu.base_url, api_key="test")

    For synchronous code (or a test that must not share its loop) run it on its own thread
    with :meth:`in_thread`.

    Args:
        config: How to behave (defaults: ephemeral port, 5 s jobs, no faults).
        clock: Wall-clock seconds driving job lifecycles; inject one to control time.

    .. versionadded:: 0.1.0
    """

    def __init__(
        self, config: EmulatorConfig | None = None, *, clock: Callable[[], float] = time.time
    ) -> None:
        self.config = config if config is not None else EmulatorConfig()
        self._clock = clock
        self._state: EmulatorState | None = None
        self._runner: web.AppRunner | None = None
        self._asset_runner: web.AppRunner | None = None
        self._asset_port: int | None = None
        self._ticker: asyncio.Task[None] | None = None
        self._tmp: Path | None = None
        self._port: int | None = None
        self.request_log = RequestLog(self.config.request_log_limit)
        """Every request seen, in arrival order (thread-safe); kept after :meth:`stop`."""

    # -- lifecycle ---------------------------------------------------------------------------

    async def start(self) -> str:
        """Start listening; return :attr:`base_url`.

        Raises:
            RuntimeError: If already started.
            OSError: If the port cannot be bound.
        """
        if self._runner is not None:
            raise RuntimeError("the emulator is already running")
        config = self.config
        if config.data_dir is not None:
            root = config.data_dir
        else:
            self._tmp = root = Path(tempfile.mkdtemp(prefix="videoclient-emulator-"))
        try:
            state = EmulatorState(config, root, clock=self._clock, log=self.request_log)
            self._state = state
            runner = web.AppRunner(
                build_app(state),
                access_log=logger if config.access_log else None,
                handle_signals=False,
                shutdown_timeout=1.0,
            )
            await runner.setup()
            self._runner = runner
            site = web.TCPSite(runner, config.host, config.port, backlog=4096)
            await site.start()
            self._port = int(runner.addresses[0][1])
            # The second origin (another port): signed asset URLs that refuse credentials.
            asset_runner = web.AppRunner(
                build_asset_app(state), access_log=None, handle_signals=False, shutdown_timeout=1.0
            )
            await asset_runner.setup()
            self._asset_runner = asset_runner
            await web.TCPSite(asset_runner, config.host, 0).start()
            self._asset_port = int(asset_runner.addresses[0][1])
            state.cdn_origin = f"http://{_url_host(config.host)}:{self._asset_port}"
            self._ticker = asyncio.get_running_loop().create_task(state.run_ticker())
        except BaseException:
            await self.stop()
            raise
        return self.base_url

    async def stop(self) -> None:
        """Stop serving, finish background work and remove the temporary directory."""
        # Each part is detached before it is awaited, so a stop interrupted half-way (or a
        # second stop) never touches a part twice.
        try:
            ticker, self._ticker = self._ticker, None
            if ticker is not None:
                ticker.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await ticker
            runner, self._runner = self._runner, None
            if runner is not None:
                await runner.cleanup()
            asset_runner, self._asset_runner = self._asset_runner, None
            if asset_runner is not None:
                await asset_runner.cleanup()
            if self._state is not None:
                await self._state.close()
        finally:  # even a stop that failed or was interrupted leaves no temp dir behind
            tmp, self._tmp = self._tmp, None
            if tmp is not None:
                shutil.rmtree(tmp, ignore_errors=True)

    async def __aenter__(self) -> Emulator:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    def in_thread(self) -> EmulatorThread:
        """This emulator, to run on its own loop in a background thread (a sync context manager)."""
        from ._thread import EmulatorThread

        return EmulatorThread(self)

    # -- addresses ---------------------------------------------------------------------------

    @property
    def port(self) -> int:
        """The port listened on (after :meth:`start`)."""
        if self._port is None:
            raise RuntimeError("the emulator is not running")
        return self._port

    @property
    def url(self) -> str:
        """``http://host:port`` (no base path)."""
        return f"http://{_url_host(self.config.host)}:{self.port}"

    @property
    def base_url(self) -> str:
        """The OpenAI-style base URL, ``http://host:port/v1``."""
        return self.url + "/v1"

    @property
    def runway_base_url(self) -> str:
        """Runway's base URL (the root: its paths are ``/v1/...``), ``http://host:port``.

        .. versionadded:: 0.1.0
        """
        return self.url

    @property
    def asset_origin(self) -> str:
        """``http://host:port`` of the second origin serving signed asset URLs."""
        return self.state.cdn_origin

    @property
    def azure_base_url(self) -> str:
        """The Azure-style base URL, ``http://host:port/openai/v1``."""
        return self.url + "/openai/v1"

    # -- looking inside ----------------------------------------------------------------------

    @property
    def state(self) -> EmulatorState:
        """The running emulator's parts (store, renderer, faults, ...)."""
        if self._state is None:
            raise RuntimeError("the emulator was never started")
        return self._state

    def count(
        self,
        method: str | None = None,
        path: str | None = None,
        *,
        route: str | None = None,
        status: int | None = None,
    ) -> int:
        """How many requests matched (see :meth:`RequestLog.filter`)."""
        return self.request_log.count(method, path, route=route, status=status)

    @property
    def jobs_created(self) -> int:
        """Distinct jobs created (an idempotent replay creates none)."""
        return self._state.store.jobs_created if self._state is not None else 0

    @property
    def faults_injected(self) -> dict[str, int]:
        """Faults injected so far, by kind."""
        return dict(self._state.faults.injected) if self._state is not None else {}

    @property
    def renders(self) -> dict[str, int]:
        """Assets rendered so far, by variant."""
        return dict(self._state.renderer.renders) if self._state is not None else {}

    def video(self, video_id: str) -> Video:
        """A job as ``GET /videos/{id}`` would show it now (call on the emulator's loop).

        Raises:
            KeyError: If there is no such job.
        """
        state = self.state
        state.advance()
        job = state.store.find(video_id)
        if job is None:
            raise KeyError(video_id)
        return state.store.view(job)

    async def asset_path(self, video_id: str, variant: str = "video") -> Path:
        """The file holding a completed job's asset, rendering it if needed.

        Raises:
            KeyError: If there is no such job.
            ValueError: If the job has no downloadable content (pending, failed, expired)
                or ``variant`` is unknown.
        """
        from ._errors import ApiError

        state = self.state
        state.advance()
        try:
            job = state.store.downloadable(video_id)
            asset = await state.renderer.asset(job, check_variant(variant))
        except ApiError as exc:
            if exc.status == 404 and exc.code == "video_not_found":
                raise KeyError(video_id) from exc
            raise ValueError(exc.message) from exc
        return asset.path

    async def asset_bytes(self, video_id: str, variant: str = "video") -> bytes:
        """The bytes of a completed job's asset (see :meth:`asset_path`)."""
        path = await self.asset_path(video_id, variant)
        return await asyncio.get_running_loop().run_in_executor(None, path.read_bytes)
