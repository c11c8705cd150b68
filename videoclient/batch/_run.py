"""The batch runner: drives each line through create, wait and download, journalling every step.

:func:`videoclient.batch.run_batch` plans the lines; this module runs them. Lines hold a slot
of an anyio ``CapacityLimiter`` whose size :class:`~._concurrency.AdaptiveConcurrency` sets.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import anyio
import attrs

from .._io import clock
from .._sansio.errors import (
    APIConnectionError,
    APIResponseValidationError,
    APIStatusError,
    InternalServerError,
    NotFoundError,
    RateLimitError,
    RequestLoopError,
    VideoClientError,
    VideoFailedError,
    WaitTimeoutError,
)
from .._sansio.models import handle_of
from . import _journal as jr
from ._concurrency import AdaptiveConcurrency, backoff
from ._input import BatchRequest
from ._journal import Journal, JournalRow, Step
from ._models import BatchEvent, LineResult
from ._wait import SharedWaiter

if TYPE_CHECKING:
    from .._client.client import AsyncVideoClient
    from .._sansio.models import Video

__all__ = ["Runner"]


def _reason(exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    return " ".join(text.split())[:500]


class _RetryLater(Exception):
    """The step should be retried after ``delay`` seconds (the slot is given back meanwhile)."""

    def __init__(self, delay: float) -> None:
        self.delay = delay


class ResendRefusedError(VideoClientError):
    """A line's earlier create may have made a job, and its provider does not deduplicate:
    it is not sent again unless the run is told to (``resend_uncertain=True``)."""

    def __init__(self, provider: str) -> None:
        super().__init__(
            f"an earlier create of this line may have made a job on {provider} (no answer "
            f"named it), and {provider} does not deduplicate creates: not sent again; look "
            "for the job, then rerun with --resend-uncertain (resend_uncertain=True) to send it"
        )


class Runner:
    """Drives every line of one run through its steps, journalling each transition."""

    def __init__(
        self,
        client: AsyncVideoClient,
        journal: Journal,
        out_dir: Path,
        *,
        concurrency: int,
        on_event: Callable[[BatchEvent], None] | None,
        wait_timeout: float | None,
        poll_interval: float | None,
        retries: int,
        clients: Mapping[str, AsyncVideoClient] | None = None,
        resend_uncertain: bool = False,
    ) -> None:
        self.client = client
        #: Resend a create that may have made a job even where the server does not deduplicate.
        self.resend_uncertain = resend_uncertain
        #: The client of each provider a line may name (the batch's own client included).
        self.clients: dict[str, AsyncVideoClient] = {client.provider: client, **(clients or {})}
        self.journal = journal
        self.out_dir = out_dir
        self.control = AdaptiveConcurrency(concurrency)
        self.limiter = anyio.CapacityLimiter(concurrency)
        self.on_event = on_event
        self.wait_timeout = wait_timeout
        self.retries = retries
        self.results: dict[str, LineResult] = {}
        self.waiting: dict[str, JournalRow] = {}
        self.last_job: dict[str, str] = {}
        #: Lines whose output file is someone else's, to be replaced (``overwrite=True``).
        self.replace: set[str] = set()
        #: The latest saved row of each line: what the journal holds, even after a step raised.
        self.current: dict[str, JournalRow] = {}
        #: One shared waiter per provider: each polls its own jobs.
        self.waiters = {
            name: SharedWaiter(
                each.videos,
                on_progress=self._job_progress,
                on_rate_limited=lambda: self._limit(
                    self.control.on_rate_limited(self.control.epoch)
                ),
                poll_interval=poll_interval,
                retries=retries,
            )
            for name, each in self.clients.items()
        }
        self.waiter = self.waiters[client.provider]

    def client_for(self, request: BatchRequest) -> AsyncVideoClient:
        """The client of the line's provider (the batch's client when it names none)."""
        return self.clients[request.provider or self.client.provider]

    def output(self, row: JournalRow) -> Path:
        return self.out_dir / row.output

    def emit(self, row: JournalRow, status: str | None = None, **fields: Any) -> None:
        if self.on_event is not None:
            self.on_event(
                BatchEvent(
                    line=row.line,
                    status=status or row.status,
                    output=self.output(row),
                    video_id=row.video_id,
                    concurrency=self.control.limit,
                    error=row.error,
                    **fields,
                )
            )

    def save(self, row: JournalRow) -> JournalRow:
        self.journal.save(row)
        self.current[row.key] = row
        self.emit(row)
        return row

    def _limit(self, new: int) -> None:
        if new != self.limiter.total_tokens:
            self.limiter.total_tokens = new

    def _job_progress(self, video: Video) -> None:
        row = self.waiting.get(handle_of(video))
        if row is not None:
            self.emit(row, progress=video.progress)

    # -- one line --------------------------------------------------------------------------

    async def line(self, row: JournalRow, request: BatchRequest) -> None:
        attempts = 0
        self.current[row.key] = row
        while True:
            async with self.limiter:
                epoch = self.control.epoch
                try:
                    row = await self.steps(self.current[row.key], request)
                except RateLimitError as exc:
                    row = self.current[row.key]
                    attempts += 1
                    self._limit(self.control.on_rate_limited(epoch))
                    delay = self.client_for(request).videos._server_delay(exc) or backoff(attempts)
                    if attempts > self.retries + 6:
                        row = self.fail(row, exc, job_lost=False)
                        break
                except _RetryLater as later:
                    row = self.current[row.key]
                    attempts += 1
                    delay = later.delay
                    if attempts > self.retries:
                        row = self.fail(row, later.__cause__ or later, job_lost=False)
                        break
                else:
                    break
            await clock.sleep(delay, "retry")
        self.results[row.key] = LineResult(
            line=row.line,
            request=request,
            output=self.output(row),
            status=row.status,
            video_id=row.video_id or self.last_job.get(row.key),
            error=row.error,
            answered_id=row.answered_id,
        )

    def fail(self, row: JournalRow, exc: BaseException, *, job_lost: bool) -> JournalRow:
        if row.video_id is not None:
            self.last_job[row.key] = row.video_id  # reported even when the journal drops it
        return self.save(jr.failed(row, _reason(exc), job_lost=job_lost))

    async def steps(self, row: JournalRow, request: BatchRequest) -> JournalRow:
        """Run ``row`` from wherever it stands to completed or failed."""
        while True:
            exists = row.key not in self.replace and self.output(row).exists()
            step = jr.next_step(row, output_exists=exists)
            if step is Step.DONE:
                if row.status != jr.COMPLETED:
                    row = self.save(jr.downloaded(row))
                return row
            try:
                if step is Step.CREATE:
                    row = await self.create(row, request)
                elif step is Step.WAIT:
                    row = await self.wait(row, request)
                else:
                    row = await self.download(row, request)
            except RateLimitError:
                raise
            except (APIConnectionError, InternalServerError, APIResponseValidationError) as exc:
                if step is Step.CREATE and self._unsure_stays(exc, request):
                    # It may have made a job, and a resend could make a second one.
                    return self.fail(self.latest(row), exc, job_lost=False)
                # Transient after the transport's own retries: the key and the job id stay
                # in the journal, so trying the step again cannot create a second job.
                raise _RetryLater(backoff(1)) from exc
            except VideoFailedError as exc:
                return self.fail(self.latest(row), exc, job_lost=True)
            except NotFoundError as exc:
                # the job is gone (expired or deleted): only a new job can help
                row = self.latest(row)
                return self.fail(row, exc, job_lost=row.video_id is not None)
            except TimeoutError:
                message = f"video {row.video_id} still pending after {self.wait_timeout:g} s"
                return self.fail(self.latest(row), WaitTimeoutError(message), job_lost=False)
            except (
                APIStatusError,
                RequestLoopError,
                OSError,
                ValueError,
                TypeError,
                ResendRefusedError,
            ) as exc:
                return self.fail(self.latest(row), exc, job_lost=False)
            self._limit(self.control.on_success())

    def latest(self, row: JournalRow) -> JournalRow:
        """The line's last saved row (a step that raised may have saved one)."""
        return self.current.get(row.key, row)

    def _no_resend(self, request: BatchRequest) -> bool:
        """Whether a create of this line that may have made a job must not be sent again:
        its client's policy is conservative, and the run was not told to resend anyway."""
        return self.client_for(request).create_retry == "conservative" and not self.resend_uncertain

    def _unsure_stays(self, exc: Exception, request: BatchRequest) -> bool:
        """Whether this failure of a create may have made a job that must not be resent."""
        return bool(getattr(exc, "job_may_exist", False)) and self._no_resend(request)

    async def create(self, row: JournalRow, request: BatchRequest) -> JournalRow:
        client = self.client_for(request)
        if jr.create_unsure(row) and self._no_resend(request):
            raise ResendRefusedError(client.provider)
        row = self.save(jr.begin_create(row))  # committed before anything is sent
        assert row.idempotency_key is not None
        try:
            video = await client.videos.create(
                **request.create_arguments(), idempotency_key=row.idempotency_key
            )
        except Exception as exc:
            if not getattr(exc, "job_may_exist", False):
                self.save(jr.create_refused(row))  # nothing was made: a resend is safe
            raise
        return self.save(jr.created(row, video.id))

    async def wait(self, row: JournalRow, request: BatchRequest) -> JournalRow:
        video_id = row.video_id
        assert video_id is not None
        if row.status != jr.WAITING:
            row = self.save(attrs.evolve(row, status=jr.WAITING))
        self.waiting[video_id] = row
        limit = self.wait_timeout
        try:
            with anyio.fail_after(limit) if limit is not None else contextlib.nullcontext():
                video = await self.waiters[request.provider or self.client.provider].wait(video_id)
        finally:
            del self.waiting[video_id]
        if not video.is_completed:
            raise VideoFailedError(video)
        return self.save(jr.job_finished(row, answered_id=video.id))

    async def download(self, row: JournalRow, request: BatchRequest) -> JournalRow:
        assert row.video_id is not None
        target = self.output(row)
        await anyio.Path(target.parent).mkdir(parents=True, exist_ok=True)

        def progress(done: int, total: int | None) -> None:
            self.emit(row, bytes_done=done, bytes_total=total)

        await self.client_for(request).videos.download(
            row.video_id, target, on_progress=progress, overwrite=True
        )
        self.replace.discard(row.key)  # the file is ours now
        return self.save(jr.downloaded(row))


# -- the entry point -----------------------------------------------------------------------
