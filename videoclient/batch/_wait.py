"""One waiter for every job of a batch: a few list requests per round instead of a poll per job.

Lines hand their job to :class:`SharedWaiter` and wait for its final state. The waiter runs
``client.videos.as_completed`` over all the jobs registered so far, in *generations*: when a
job is registered during a generation, that generation is ended ``regroup`` seconds after it
began (at once if that is past) and the next one takes in the new job, so a job is first looked
at no later than about ``regroup`` seconds after its create (far less than it takes to render).
A generation nobody joins runs until its jobs are done. Generations begin at least
``poll_interval`` (else :data:`MIN_GENERATION_GAP`, never more than ``regroup`` nor less than
0.1 s) apart: one that ended with jobs still registered never restarts at once.

One failing request does not fail every line: a 429 backs off, transient errors are retried,
and a 404 (a job deleted meanwhile) is traced to its own line by a retrieve each.

Every job is keyed by the id its line registered (a gateway may answer each retrieve with a
new id: the Video then carries the registered one as ``requested_id``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import anyio

from .._io import clock
from .._sansio.errors import (
    APIConnectionError,
    APIError,
    APIResponseValidationError,
    APIStatusError,
    InternalServerError,
    NotFoundError,
    RateLimitError,
    RequestLoopError,
)
from .._sansio.models import Video, handle_of
from .._sansio.pacing import MIN_ROUND
from ._concurrency import backoff

if TYPE_CHECKING:
    from .._client.client import AsyncVideos

__all__ = ["MIN_GENERATION_GAP", "SharedWaiter"]

#: Shortest time between the starts of two generations (seconds) without a ``poll_interval``.
MIN_GENERATION_GAP = 1.0


class _Slot:
    def __init__(self, video_id: str) -> None:
        self.video_id = video_id
        self.done = anyio.Event()
        self.video: Video | None = None
        self.error: BaseException | None = None


class SharedWaiter:
    """Waits for many jobs with one ``as_completed`` at a time.

    Args:
        videos: ``client.videos``.
        on_progress: Called with each Video whose status or progress changed.
        on_rate_limited: Called when the server answered 429 (to lower concurrency).
        poll_interval: Passed to ``as_completed`` (None: the server's pace).
        regroup: Seconds a generation runs at least before newly registered jobs join.
        retries: Transient failures in a row before every waiting line is failed.
    """

    def __init__(
        self,
        videos: AsyncVideos,
        *,
        on_progress: Callable[[Video], None],
        on_rate_limited: Callable[[], None],
        poll_interval: float | None = None,
        regroup: float = 2.0,
        retries: int = 2,
    ) -> None:
        self._videos = videos
        self._on_progress = on_progress
        self._on_rate_limited = on_rate_limited
        self._poll_interval = poll_interval
        self._regroup = regroup
        self._retries = retries
        self._slots: dict[str, _Slot] = {}
        self._known: dict[str, Video] = {}
        self._arrived = anyio.Event()
        self._generation: anyio.CancelScope | None = None
        self._in_generation: set[str] = set()
        self._began = 0.0

    async def wait(self, video_id: str) -> Video:
        """The job's final state once it leaves the pending statuses.

        Raises:
            APIError: The waiter could not find out (after its retries); 404 when the
                job is gone.
        """
        slot = self._slots.get(video_id)
        if slot is None:
            slot = self._slots[video_id] = _Slot(video_id)
        self._arrived.set()
        generation = self._generation
        if generation is not None and video_id not in self._in_generation:
            generation.deadline = min(generation.deadline, self._began + self._regroup)
        try:
            await slot.done.wait()
        finally:
            if self._slots.get(video_id) is slot and not slot.done.is_set():
                del self._slots[video_id]  # the line gave up (cancelled or timed out)
        if slot.error is not None:
            raise slot.error
        assert slot.video is not None
        return slot.video

    def _deliver(self, video_id: str, video: Video | None, error: BaseException | None) -> None:
        slot = self._slots.pop(video_id, None)
        self._known.pop(video_id, None)
        if slot is not None:
            slot.video, slot.error = video, error
            slot.done.set()

    def _seen(self, video: Video) -> None:
        handle = handle_of(video)  # the id the line registered, whatever the server answered
        if handle in self._slots:
            self._known[handle] = video
            self._on_progress(video)

    async def run(self) -> None:
        """Wait for registered jobs until cancelled."""
        failures = 0
        began: float | None = None
        while True:
            if not self._slots:
                self._arrived = anyio.Event()
                await self._arrived.wait()
                continue
            if began is not None:  # paced like rounds: a generation is at least one request
                gap = max(MIN_ROUND, min(self._poll_interval or MIN_GENERATION_GAP, self._regroup))
                wait = began + gap - clock.now()
                if wait > 0:
                    await clock.sleep(wait, "poll")
                if not self._slots:
                    continue
            began = clock.now()
            items = [self._known.get(i, i) for i in self._slots]
            self._in_generation = set(self._slots)
            try:
                with anyio.CancelScope() as self._generation:
                    self._began = clock.now()
                    async for video in self._videos.as_completed(
                        items, poll_interval=self._poll_interval, on_progress=self._seen
                    ):
                        self._deliver(handle_of(video), video, None)
                self._generation = None
                failures = 0  # done, or ended so that newly registered jobs can join
            except RateLimitError as exc:
                self._generation = None
                self._on_rate_limited()
                await clock.sleep(self._videos._server_delay(exc) or backoff(1), "retry")
            except NotFoundError:
                await self._isolate()
            except (APIConnectionError, InternalServerError, APIResponseValidationError) as exc:
                failures += 1
                if failures > self._retries:
                    self._fail_all(exc)
                    failures = 0
                else:
                    await clock.sleep(backoff(failures), "retry")
            except (APIStatusError, RequestLoopError) as exc:
                self._fail_all(exc)

    async def _isolate(self) -> None:
        """A 404 ended the round: find which jobs are gone by retrieving each one."""
        for video_id in list(self._slots):
            try:
                video = await self._videos.retrieve(video_id)
            except NotFoundError as exc:
                self._deliver(video_id, None, exc)
            except APIError:
                return  # the next generation will meet it again
            else:
                self._seen(video)

    def _fail_all(self, exc: BaseException) -> None:
        for video_id in list(self._slots):
            self._deliver(video_id, None, exc)
