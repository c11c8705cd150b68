"""The machinery of waiting: one job's poll loop, and the many-jobs rounds of ``as_completed``.

The decisions (how long to sleep, when a deadline ends a wait, which page to fetch next)
are pure code in :mod:`videoclient._sansio.pacing`; this module does the I/O they call
for. :mod:`videoclient._client.waiting` puts the public methods on top of it.

Invariants kept here:
- no background task outlives a call: the only tasks (a round's fallback retrieves) run in
  a task group that is left before anything is returned or yielded, so cancelling the
  awaiting task, or a cancel scope around it, stops everything at once;
- a deadline (``timeout``) is enforced twice: :func:`~videoclient._sansio.pacing.plan_sleep`
  never sleeps past it nor sends a request the server did not ask for, and a cancel scope
  on the loop clock stops a request or callback still running when it passes;
- ``on_progress`` runs on the event loop, between requests, never concurrently with itself.
"""

from __future__ import annotations

import hashlib
import logging
import math
from collections import deque
from collections.abc import Callable, Collection, Iterable, Mapping
from typing import TYPE_CHECKING, Any, TypedDict

import anyio
import attrs

from .._io import clock
from .._sansio import pacing
from .._sansio.callbacks import notify
from .._sansio.errors import APIStatusError, WaitTimeoutError
from .._sansio.models import Video, handle_of
from .._sansio.validate import check_id
from .operations import VideoOperations
from .raw import RawResponse, with_raw
from .session import guarded

if TYPE_CHECKING:
    from anyio.abc import TaskGroup

__all__ = ["PollOptions", "ProgressCallback", "StartOptions"]

log = logging.getLogger("videoclient")

#: Called with each Video whose status or progress changed; may be sync or async.
ProgressCallback = Callable[[Video], object]

#: List answers that mean "this server cannot list" (a gateway without a list route for a
#: deployment answers 400): refresh by retrieve instead, for the rest of the session.
_NO_LIST_STATUSES = frozenset({400, 403, 404, 405, 422, 501})
#: Fallback retrieves of one round in flight at once.
_RETRIEVE_CONCURRENCY = 8
#: Longest gap between two retrieves of one round when a provider cannot list (seconds).
_MAX_SPACING = 1.0


class PollOptions(TypedDict, total=False):
    """Per-request options for the requests a wait sends (``timeout`` is the wait's own).

    Attributes:
        max_retries: Retries of each request instead of the client's.
        extra_headers: Headers to add on each request.
        extra_query: Query parameters to add on each request.
    """

    max_retries: int
    extra_headers: Mapping[str, str]
    extra_query: Mapping[str, str]


class StartOptions(PollOptions, total=False):
    """:class:`PollOptions` plus the options of the request that starts a job.

    Attributes:
        extra_body: Fields to add to the create/remix/edit/extend body.
        idempotency_key: The ``Idempotency-Key`` of that request.
    """

    extra_body: Mapping[str, Any]
    idempotency_key: str


def _poll_options(options: Mapping[str, Any]) -> dict[str, Any]:
    """The options that apply to polls (the start request's body and key do not)."""
    return {k: v for k, v in options.items() if k not in ("extra_body", "idempotency_key")}


def _check_callback(on_progress: object) -> ProgressCallback | None:
    if on_progress is not None and not callable(on_progress):
        raise TypeError(f"on_progress must be callable, got {type(on_progress).__name__}")
    return on_progress


def _pacer(
    ops: VideoOperations, poll_interval: float | None, on_progress: ProgressCallback | None
) -> pacing.Pacer:
    """The pace of one wait: the caller's interval, else the provider's floor and ceiling."""
    provider = ops._session.provider
    return pacing.Pacer.for_provider(
        pacing.check_interval(poll_interval),
        provider.min_poll_interval,
        provider.max_poll_interval,
        stretch=on_progress is None,
    )


def _target(video: object, check: Callable[[str], str] = check_id) -> tuple[str, Video | None]:
    """``(handle, known state)`` of a ``str`` id or a :class:`Video` (``check``: the provider's).

    A Video is known by the id it was asked for (:attr:`Video.requested_id`) when the server
    answered with another, so a job keeps one handle however often a gateway re-stamps it.
    """
    if isinstance(video, Video):
        return check(handle_of(video)), video
    if isinstance(video, str):
        return check(video), None
    raise TypeError(f"expected a video id (str) or a Video, got {type(video).__name__}")


async def _retrieve(
    ops: VideoOperations, video_id: str, options: Mapping[str, Any]
) -> tuple[Video, float | None, float]:
    """The job's state, the wait its answer asks for, and when the state was read.

    The server read the state somewhere between sending and receiving: the middle of the
    two is the time it is taken at (a busy event loop can delay either end).
    """
    sent = clock.now()
    with guarded():
        raw: RawResponse[Video] = await with_raw(ops.retrieve)(video_id, **options)
    return raw.parse(), ops._session.provider.poll_hint(raw.headers), (sent + clock.now()) / 2


def _scope(jobs: list[_Job]) -> str:
    """Which jobs a listing looks for, for the loop guard: a restarted wait for the same jobs
    counts against the same listing, concurrent waits for other jobs do not."""
    if len(jobs) < 2:
        return ""
    digest = hashlib.blake2b(digest_size=8)
    for video_id in sorted(j.id for j in jobs):
        digest.update(video_id.encode())
        digest.update(b"\n")
    return digest.hexdigest()


class _Deadline:
    """A wait's deadline: planned on the package clock, enforced on the loop clock."""

    def __init__(self, timeout: float | None) -> None:
        self.timeout = timeout
        self.planned = None if timeout is None else clock.now() + timeout
        self.hard = math.inf if timeout is None else anyio.current_time() + timeout

    def scope(self) -> anyio.CancelScope:
        return anyio.CancelScope(deadline=self.hard)

    def room(self) -> float | None:
        """Seconds left before the deadline (None: no deadline)."""
        return None if self.planned is None else self.planned - clock.now()

    async def pause(self, delay: float, what: str) -> bool:
        """Sleep ``delay`` (cut at the deadline); False when the deadline came first."""
        seconds, go = pacing.plan_sleep(delay, clock.now(), self.planned)
        log.debug("waiting %.3fs before polling %s", seconds, what)
        await clock.sleep(seconds, "poll")
        return go


class _OneJob:
    """Waits for one job; checks every argument on construction, before any request."""

    def __init__(
        self,
        ops: VideoOperations,
        *,
        poll_interval: float | None,
        timeout: float | None,
        on_progress: ProgressCallback | None,
        pending_statuses: Collection[str] | None,
        options: Mapping[str, Any],
    ) -> None:
        ops._session.options(_poll_options(options))  # unknown options: TypeError now
        self.ops = ops
        self.on_progress = _check_callback(on_progress)
        self.pacer = _pacer(ops, poll_interval, self.on_progress)
        self.timeout = pacing.check_timeout(timeout)
        self.pending = pacing.pending_set(pending_statuses)
        self.options = _poll_options(options)
        self.last: Video | None = None
        self.track = pacing.ProgressTrack()

    async def _seen(self, video: Video, handle: str | None = None) -> None:
        changed = pacing.progress_changed(self.last, video)
        self.last = video  # before the callback: a deadline during it still reports the job
        if changed:
            if handle is not None:
                self.ops._session.progressed("retrieve", handle)  # the loop guard counts anew
            await notify(self.on_progress, video)

    async def _poll(self, video_id: str) -> tuple[Video, float | None]:
        video, hint, at = await _retrieve(self.ops, video_id, self.options)
        self.track.observe(at, video)
        await self._seen(video, video_id)
        return video, hint

    async def run(self, video_id: str, start: Video | None, hint: float | None) -> Video:
        """Poll until a terminal status; ``start``/``hint`` come from a create's answer.

        Without ``hint`` the job is retrieved at once; with one, after that wait.
        """
        if start is not None and start.status not in self.pending:
            return start
        deadline = _Deadline(self.timeout)
        began = clock.now()
        with deadline.scope():
            video = start
            if video is None or hint is None:
                video, hint = await self._poll(video_id)
            while video.status in self.pending:
                now = clock.now()
                end = self.track.predicted_end()
                delay = self.pacer.next_delay(
                    hint,
                    None if end is None else end - now,
                    pacing.round_floor(now - began),
                    deadline.room(),
                )
                if not await deadline.pause(delay, video_id):
                    break
                video, hint = await self._poll(video_id)
            else:
                return video
        status = self.last.status if self.last else "unseen"
        raise WaitTimeoutError(
            f"video {video_id} still {status} after waiting {self.timeout or 0:g} s",
            video=self.last,
        )

    async def started(self, raw: RawResponse[Video]) -> Video:
        """Wait for a job just started: report it, then poll at the pace its answer asked.

        An error while waiting names the job it was created (in an exception note), so
        it can be waited for again with ``poll`` instead of being created twice.
        """
        video = raw.parse()
        try:
            await self._seen(video)
            hint = self.ops._session.provider.poll_hint(raw.headers)
            if hint is None:
                hint = self.pacer.next_delay(None)
            return await self.run(video.id, video, hint)
        except Exception as exc:
            if hasattr(exc, "add_note"):  # Python 3.11+
                exc.add_note(
                    f"the job {video.id} was created; wait for it again with "
                    f"client.videos.poll({video.id!r}) rather than creating another"
                )
            raise


@attrs.define
class _Job:
    """What a many-jobs wait knows of one job."""

    id: str
    last: Video | None
    hint: float | None = None  # from the latest answer, if it was a retrieve
    listable: bool = True
    track: pacing.ProgressTrack = attrs.field(factory=pacing.ProgressTrack)


class _AsCompleted:
    """The iterator behind :meth:`WaitingOperations.as_completed` (plain state, no generator).

    Being a class rather than an async generator, abandoning it mid-way leaves nothing to
    finalise: between ``__anext__`` calls it holds no connection and no task.
    """

    def __init__(
        self,
        ops: VideoOperations,
        items: Iterable[str | Video],
        *,
        poll_interval: float | None,
        timeout: float | None,
        on_progress: ProgressCallback | None,
        pending_statuses: Collection[str] | None,
        options: Mapping[str, Any],
    ) -> None:
        if isinstance(items, (str, Video)):
            raise TypeError("pass an iterable of ids or Videos, not a single one")
        ops._session.options(options)  # unknown options: TypeError now
        self._ops = ops
        self._on_progress = _check_callback(on_progress)
        self._pacer = _pacer(ops, poll_interval, self._on_progress)
        self._timeout = pacing.check_timeout(timeout)
        self._statuses = pacing.pending_set(pending_statuses)
        self._options = _poll_options(options)
        self.order: list[str] = []
        #: Each finished job's final state, by the handle it was passed in as.
        self.results: dict[str, Video] = {}
        self._pending: dict[str, _Job] = {}
        self._ready: deque[Video] = deque()
        seen: set[str] = set()
        for item in items:
            video_id, known = _target(item, ops._session.provider.check_id)
            self.order.append(video_id)
            if video_id in seen:
                continue
            seen.add(video_id)
            if known is not None and known.status not in self._statuses:
                self.results[video_id] = known
                self._ready.append(known)
            else:
                self._pending[video_id] = _Job(video_id, known)
        self._deadline: _Deadline | None = None
        self._began = 0.0
        self._rounds = 0
        #: When the next round is due (set once per finished round): a wait cut short by
        #: the caller (a timeout around ``__anext__``) resumes to this time, not anew.
        self._next_at: float | None = None
        #: Refresh many jobs by listing them, where the provider can list at all and the
        #: session has not been refused a listing.
        self._use_list = "list" in ops._session.provider.capabilities

    def __aiter__(self) -> _AsCompleted:
        return self

    async def __anext__(self) -> Video:
        if self._deadline is None:
            self._deadline = _Deadline(self._timeout)
        if not self._ready and self._pending:
            with self._deadline.scope():
                while not self._ready and await self._round(self._deadline):
                    pass
        if self._ready:
            return self._ready.popleft()
        if not self._pending:
            raise StopAsyncIteration
        raise self._timed_out()

    def _timed_out(self) -> WaitTimeoutError:
        first = next(iter(self._pending.values()))
        waiting = len(self._pending)
        return WaitTimeoutError(
            f"{waiting} of {len(set(self.order))} videos still pending after waiting "
            f"{self._timeout or 0:g} s (first: {first.id})",
            video=first.last,
        )

    async def _round(self, deadline: _Deadline) -> bool:
        """Sleep as paced, refresh every pending job once; False when the deadline came."""
        if self._rounds:
            if self._next_at is None:
                wait = self._delay(deadline)
                self._next_at = clock.now() + wait
            else:  # a wait cut short by the caller: only what is left of it
                wait = max(0.0, self._next_at - clock.now())
            if not await deadline.pause(wait, f"{len(self._pending)} videos"):
                return False
            self._next_at = None
        else:
            self._began = clock.now()
        self._rounds += 1
        session = self._ops._session
        use_list = self._use_list and not session.list_refused
        listable = [j for j in self._pending.values() if j.listable] if use_list else []
        scope = _scope(listable)
        found = await self._sweep(listable, scope) if len(listable) >= 2 else {}
        fetched = await self._retrieve_all([i for i in self._pending if i not in found])
        moved = False
        for job in list(self._pending.values()):
            if job.id in found:
                video, at = found[job.id]
                job.hint = None  # a listing carries none, and the last one is spent
            elif job.id in fetched:
                video, job.hint, at = fetched[job.id]
            else:
                continue
            job.track.observe(at, video)
            changed = pacing.progress_changed(job.last, video)
            job.last = video  # before the callback, as in _OneJob._seen
            if changed:
                moved = True
                session.progressed("retrieve", job.id)  # the loop guard counts anew
                await notify(self._on_progress, video)
            if video.status not in self._statuses:
                del self._pending[job.id]
                self.results[job.id] = video
                self._ready.append(video)
        if moved and found:
            session.progressed("list", scope, prefix=True)
        return True

    def _delay(self, deadline: _Deadline) -> float:
        """The wait before the next round (see :mod:`._pacing` for the rules)."""
        jobs = self._pending.values()
        hint = pacing.group_hint(job.hint for job in jobs)
        ends = [job.track.predicted_end() for job in jobs]
        now = clock.now()
        until_done = pacing.group_until(ends, now, hinted=hint is not None)
        floor = pacing.round_floor(now - self._began)
        return self._pacer.next_delay(hint, until_done, floor, deadline.room())

    async def _sweep(self, jobs: list[_Job], scope: str) -> dict[str, tuple[Video, float]]:
        """Refresh ``jobs`` through the list endpoint; mark the ones it did not show.

        A 4xx that means "no list here" makes this wait, and every later many-job wait of
        the same client, refresh by retrieve instead (``Session.list_refused``).

        Returns:
            Each job found, with the time its page was read (mid-way through the request).
        """
        sweep = pacing.ListSweep(
            frozenset(j.id for j in jobs),
            {j.id: (j.last.created_at if j.last else None) for j in jobs},
        )
        seen_at: dict[str, float] = {}
        more = True
        while more:
            sent = clock.now()
            try:
                with guarded():
                    page = await self._ops._list_page(
                        pacing.LIST_PAGE_SIZE, "desc", sweep.cursor, self._options, scope
                    )
            except APIStatusError as exc:
                if exc.status_code not in _NO_LIST_STATUSES:
                    raise
                log.debug("listing failed with %d; polling each video from now on", exc.status_code)
                self._use_list = False
                self._ops._session.list_refused = True
                break
            at = (sent + clock.now()) / 2
            seen_at.update((v.id, at) for v in page.data if v.id not in seen_at)
            more = sweep.feed(page)
        else:
            for job in jobs:
                if job.id not in sweep.found:
                    job.listable = False
        return {i: (v, seen_at[i]) for i, v in sweep.found.items()}

    def _spacing(self, count: int) -> float:
        """Seconds between the starts of a round's retrieves, for a provider that cannot list.

        Its jobs are polled one by one: spread over the caller's ``poll_interval``, else the
        provider's poll floor (Runway's 5 s), at most :data:`_MAX_SPACING` apart, so that N
        jobs never send N requests at once.
        """
        provider = self._ops._session.provider
        pace = self._pacer.interval or provider.min_poll_interval
        if "list" in provider.capabilities or provider.min_poll_interval <= 0 or count < 2:
            return 0.0
        return min(_MAX_SPACING, pace / count)

    async def _retrieve_all(self, ids: list[str]) -> dict[str, tuple[Video, float | None, float]]:
        """Retrieve ``ids``; each job's state, hint and the time it was read."""
        results: dict[str, tuple[Video, float | None, float]] = {}
        if len(ids) == 1:
            results[ids[0]] = await _retrieve(self._ops, ids[0], self._options)
            return results
        errors: list[Exception] = []
        limiter = anyio.CapacityLimiter(_RETRIEVE_CONCURRENCY)
        spacing = self._spacing(len(ids))

        async def one(video_id: str, index: int, tg: TaskGroup) -> None:
            if spacing and index:
                await clock.sleep(index * spacing, "poll")
            async with limiter:
                try:
                    results[video_id] = await _retrieve(self._ops, video_id, self._options)
                except Exception as exc:  # re-raised below, unwrapped from any group
                    errors.append(exc)
                    tg.cancel_scope.cancel()

        async with anyio.create_task_group() as tg:
            for index, video_id in enumerate(ids):
                tg.start_soon(one, video_id, index, tg)
        if errors:
            raise errors[0]
        return results
