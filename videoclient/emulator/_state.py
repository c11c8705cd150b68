"""Everything one running emulator holds, and the side effects of time passing.

The store is pure; this is where its changes meet the world: a ticker advances it on time,
ended jobs fire webhooks (and an eager render with ``prerender``), signed content URLs are
made and checked.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
import secrets
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

from ._config import EmulatorConfig
from ._errors import ApiError
from ._faults import FaultPlan, RateLimiter
from ._journal import Journal
from ._log import RequestLog
from ._render import Renderer
from ._store import Job, NewJob, Store
from ._webhooks import WebhookSender

__all__ = ["EmulatorState"]

logger = logging.getLogger("videoclient.emulator")

#: The ticker looks at the store at least this often (seconds), even with nothing due.
MAX_TICK = 1.0


def _release(waiter: asyncio.Future[None]) -> None:
    if not waiter.done():
        waiter.set_result(None)


class EmulatorState:
    """The parts of a running emulator, shared by its routes.

    Args:
        config: How to behave.
        root: Directory for assets and uploads (``config.data_dir`` or a temporary one).
        clock: Wall-clock seconds for the job lifecycle.
        monotonic: Monotonic seconds for the rate limit and the request log.
        log: Where to record requests (a new log if None).
    """

    def __init__(
        self,
        config: EmulatorConfig,
        root: Path,
        *,
        clock: Callable[[], float] = time.time,
        monotonic: Callable[[], float] = time.monotonic,
        log: RequestLog | None = None,
    ) -> None:
        self.config = config
        self.clock = clock
        self.monotonic = monotonic
        self.journal = Journal(config.data_dir) if config.data_dir is not None else None
        self.store = Store(
            clock=clock,
            render_seconds=config.render_seconds,
            max_active=config.max_active,
            asset_ttl=config.asset_ttl,
            poll_after_ms=(config.poll_after_min_ms, config.poll_after_max_ms),
            seed=config.seed,
            journal=self.journal,
        )
        if self.journal is not None:
            self.store.restore(*self.journal.load())
        self.renderer = Renderer(root, fps=config.fps, workers=config.render_workers)
        self.faults = FaultPlan(
            seed=config.seed,
            fault_rate=config.fault_rate,
            fail_rate=config.fail_rate,
            kinds=config.fault_kinds,
        )
        self.limiter = RateLimiter(config.rate_limit, monotonic) if config.rate_limit else None
        self.log = log if log is not None else RequestLog()
        self.webhooks = (
            WebhookSender(config.webhook_url, config.webhook_secret, clock=clock)
            if config.webhook_url
            else None
        )
        self._url_key = secrets.token_bytes(32)
        #: ``http://host:port`` of the second origin serving signed asset URLs (set on start).
        self.cdn_origin = ""
        self._waiter: asyncio.Future[None] | None = None
        self._background: set[asyncio.Task[object]] = set()
        self._closed = False

    # -- time --------------------------------------------------------------------------------

    def advance(self) -> None:
        """Bring every job up to now and act on the ones that ended."""
        for job in self.store.advance():
            if self.webhooks is not None:
                self.webhooks.send(f"video.{job.status}", job.id)
            if self.config.prerender and job.status == "completed":
                self._spawn(self.renderer.asset(job, "video"))

    def _spawn(self, coro: Awaitable[object]) -> None:
        task: asyncio.Task[object] = asyncio.ensure_future(coro)
        self._background.add(task)

        def done(t: asyncio.Task[object]) -> None:
            self._background.discard(t)
            if not t.cancelled() and t.exception() is not None:
                logger.warning("background render failed: %s", t.exception())

        task.add_done_callback(done)

    def create(self, new: NewJob) -> Job:
        """Create a job (deciding ``fail_rate``) and wake the ticker for its deadlines."""
        self.advance()
        job = self.store.create(new, doomed=self.faults.doomed())
        if self._waiter is not None:
            _release(self._waiter)  # its deadlines may come before the ticker's next look
        return job

    async def run_ticker(self) -> None:
        """Advance the store whenever something is due, until cancelled."""
        loop = asyncio.get_running_loop()
        while True:
            self.advance()
            deadline = self.store.next_deadline()
            timeout = MAX_TICK if deadline is None else max(0.0, deadline - self.clock())
            # A bare future, not wait_for(): on 3.10/3.11 wait_for can swallow a cancel that
            # races the event it waits on, and the ticker would then never stop.
            waiter = loop.create_future()
            self._waiter = waiter
            handle = loop.call_later(min(timeout, MAX_TICK) + 0.001, _release, waiter)
            try:
                await waiter
            finally:
                handle.cancel()
                self._waiter = None

    # -- signed content URLs -----------------------------------------------------------------

    def _signature(self, video_id: str, variant: str, expires: int) -> str:
        msg = f"{video_id}:{variant}:{expires}".encode()
        return hmac.new(self._url_key, msg, hashlib.sha256).hexdigest()

    def signed_path(self, video_id: str, variant: str) -> str:
        """A path (with query) that serves the content without a key until it expires."""
        expires = int(self.clock() + self.config.signed_url_ttl)
        sig = self._signature(video_id, variant, expires)
        return f"/_emulator/signed/{video_id}/{variant}?expires={expires}&signature={sig}"

    def check_signature(self, video_id: str, variant: str, expires: str, signature: str) -> None:
        """Accept a signed URL's parts, or raise 403 as a storage gateway would."""
        try:
            when = int(expires)
        except ValueError:
            when = -1
        good = hmac.compare_digest(self._signature(video_id, variant, when), signature)
        if not good:
            raise ApiError(403, "Signature does not match.", code="invalid_signature")
        if self.clock() >= when:
            raise ApiError(403, "Request has expired.", code="signed_url_expired")

    # -- lifecycle ---------------------------------------------------------------------------

    async def close(self) -> None:
        """Stop background work and release files, threads and sessions (once)."""
        if self._closed:
            return
        self._closed = True
        try:
            for task in list(self._background):
                task.cancel()
            if self._background:
                await asyncio.gather(*self._background, return_exceptions=True)
            if self.webhooks is not None:
                await self.webhooks.close()
            await self.renderer.close()
        finally:
            if self.journal is not None:
                self.journal.close()
