"""How fast to poll, and when to stop: the waiting logic without I/O.

Everything here is a pure function or a small state machine over plain values (headers,
:class:`~videoclient.Video`, page contents, numbers of seconds); no aiohttp, anyio or
asyncio. :mod:`videoclient._client.waiting` drives it over the network.

Pacing rules (one job):

1. If the latest response carried a poll hint (the provider reads it), wait that long, never less
   (the server knows how busy it is), but at least :data:`MIN_DELAY`, so a hint of 0
   cannot make a busy loop. When the job's progress predicts its end
   (:class:`ProgressTrack`) later than the hint, wait until then instead (at most
   :data:`MAX_INTERVAL`): polls the job cannot be done by are skipped, unless someone
   watches progress (``on_progress``).
2. Else the caller's ``poll_interval``, if given, every time (a caller's interval turns
   predictions off: rule 1 then waits the hint exactly).
3. Else :data:`DEFAULT_INTERVAL`, growing by :data:`BACKOFF_FACTOR` per hint-less poll up
   to :data:`MAX_INTERVAL`, cut short by a predicted end as described below.

Many jobs share one pace: the smallest hint among the still-pending jobs' latest
answers, if that answer was a retrieve (the list endpoint sends no hint, and a hint is
spent once the job has been refreshed again), else rules 2 and 3, with the soonest
predicted end among the pending jobs.

Without a hint or an interval, the back-off of rule 3 is cut short when progress
predicts that a job is about to finish: the poll comes at that predicted time, but never
sooner than :data:`MIN_ROUND` nor than :data:`LAG_SHARE` of the time waited so far; a
prediction that proved early backs off in proportion to how late the job is
(:meth:`Pacer.next_delay`).

A deadline is never overshot by a sleep: when the next poll would fall at or after the
deadline, :func:`plan_sleep` says to sleep only until the deadline and not poll again.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Iterable, Mapping

import attrs

from .models import PENDING_STATUSES, Video, VideoPage

__all__ = [
    "BACKOFF_FACTOR",
    "DEFAULT_INTERVAL",
    "LAG_SHARE",
    "LIST_PAGE_SIZE",
    "MAX_INTERVAL",
    "MIN_DELAY",
    "MIN_PROGRESS_SPAN",
    "MIN_ROUND",
    "MAX_POLL_HINT",
    "ListSweep",
    "Pacer",
    "ProgressTrack",
    "check_interval",
    "check_timeout",
    "group_hint",
    "pending_set",
    "plan_sleep",
    "progress_changed",
    "group_until",
    "round_floor",
]

#: A poll hint above this (seconds) is taken as no hint: no video job needs an hour
#: between polls, and a gateway that sends a timestamp there must not stall a wait.
MAX_POLL_HINT = 3600.0
#: First wait when the server gives no hint and the caller no interval (seconds).
DEFAULT_INTERVAL = 1.0
#: Each hint-less wait is this much longer than the one before...
BACKOFF_FACTOR = 1.5
#: ...up to this ceiling (seconds).
MAX_INTERVAL = 10.0
#: Shortest wait, whatever a server asks (a hint of 0 must not make a busy loop).
MIN_DELAY = 0.01
#: Largest page the list endpoint serves.
LIST_PAGE_SIZE = 100
#: Progress points a job must have gained, while watched, before its end is predicted
#: (progress is a whole percentage: over fewer points the rounding error is too large).
MIN_PROGRESS_SPAN = 5
#: Shortest hint-less wait between rounds when a job is predicted to finish (seconds)...
MIN_ROUND = 0.1
#: ...and its share of the time waited so far: a job that just finished is seen within
#: about this share of the wait (2 %: 0.2 s after 10 s, 3.6 s after 3 minutes).
LAG_SHARE = 0.02


def _number(name: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"{name} must be a number of seconds, got {type(value).__name__}")
    if math.isnan(value):
        raise ValueError(f"{name} must be a number of seconds, got nan")
    return float(value)


def check_interval(value: object) -> float | None:
    """Validate a caller's ``poll_interval``: None, or seconds > 0 and finite.

    Raises:
        TypeError: Not a number.
        ValueError: Zero, negative, infinite or NaN.
    """
    if value is None:
        return None
    seconds = _number("poll_interval", value)
    if seconds <= 0 or math.isinf(seconds):
        raise ValueError(f"poll_interval must be > 0 and finite, got {value!r}")
    return seconds


def check_timeout(value: object) -> float | None:
    """Validate a wait's overall ``timeout``: None (no deadline), or seconds >= 0.

    Raises:
        TypeError: Not a number.
        ValueError: Negative or NaN.
    """
    if value is None:
        return None
    seconds = _number("timeout", value)
    if seconds < 0:
        raise ValueError(f"timeout must be >= 0 seconds or None, got {value!r}")
    return None if math.isinf(seconds) else seconds


def pending_set(statuses: Collection[str] | None) -> frozenset[str]:
    """The statuses that mean "keep waiting": :data:`PENDING_STATUSES` unless given.

    Raises:
        TypeError: A bare string (a common slip for ``{"queued"}``) or non-string members.
    """
    if statuses is None:
        return PENDING_STATUSES
    if isinstance(statuses, (str, bytes)):
        raise TypeError("pending_statuses must be a collection of statuses, not a single str")
    result = frozenset(statuses)
    if not all(isinstance(s, str) for s in result):
        raise TypeError("pending_statuses must contain only str")
    return result


def progress_changed(before: Video | None, after: Video) -> bool:
    """Whether ``after`` is news to a progress callback that last saw ``before``."""
    if before is None:
        return True
    return (before.status, before.progress) != (after.status, after.progress)


def group_hint(hints: Iterable[float | None]) -> float | None:
    """The pace for a group of jobs: the smallest hint any of them carries, or None."""
    known = [h for h in hints if h is not None]
    return min(known) if known else None


@attrs.define
class Pacer:
    """Chooses each wait between polls (see the module docstring for the rules).

    Args:
        interval: The caller's fixed interval for hint-less answers, or None for back-off.
        initial: First hint-less wait when no interval is given.
        factor: Growth of each further hint-less wait.
        ceiling: Longest hint-less wait.
        stretch: Whether a predicted end may stretch a hint. Off when someone watches
            progress (``on_progress``): to them a poll that cannot find the job done still
            brings news.
        minimum: The shortest wait whatever the answers or predictions say, unless the
            caller gave an interval (a provider's floor: Runway's 5 s).
    """

    interval: float | None = None
    initial: float = DEFAULT_INTERVAL
    factor: float = BACKOFF_FACTOR
    ceiling: float = MAX_INTERVAL
    stretch: bool = True
    minimum: float = 0.0
    _hintless: int = attrs.field(default=0, init=False)

    @classmethod
    def for_provider(
        cls, interval: float | None, floor: float, ceiling: float, *, stretch: bool = True
    ) -> Pacer:
        """A pacer keeping a provider's floor and ceiling unless the caller gave an interval."""
        if interval is not None or floor <= 0:
            return cls(interval, ceiling=max(ceiling, DEFAULT_INTERVAL), stretch=stretch)
        return cls(
            interval, initial=floor, ceiling=max(ceiling, floor), stretch=stretch, minimum=floor
        )

    def next_delay(
        self,
        hint: float | None,
        until_done: float | None = None,
        floor: float = MIN_ROUND,
        room: float | None = None,
    ) -> float:
        """Seconds to wait before the next poll.

        Args:
            hint: The latest answer's hint, or None.
            until_done: Seconds until a job is predicted to finish (negative: it is that
                late), or None. Ignored when the caller gave an interval. With a hint, it
                stretches the wait up to the predicted end (at most to :attr:`ceiling`;
                only if :attr:`stretch`), never below the hint; without one, it cuts the
                back-off short, never below ``floor``.
            floor: The shortest wait a prediction may cause.
            room: Seconds left before the caller's deadline, if any: a stretch that would
                reach it is not made (the hint's poll may still find the job done in time).
        """
        if self.interval is None and self.minimum > 0:
            return max(self.minimum, self._next(hint, until_done, floor, room))
        return self._next(hint, until_done, floor, room)

    def _next(
        self, hint: float | None, until_done: float | None, floor: float, room: float | None
    ) -> float:
        if self.interval is not None:
            return self.interval if hint is None else max(hint, MIN_DELAY)
        if hint is not None:
            delay = max(hint, MIN_DELAY)
            if until_done is not None and self.stretch:
                stretched = max(delay, min(until_done, self.ceiling))
                if room is None or stretched < room:
                    delay = stretched
            return delay
        delay = min(self.initial * self.factor**self._hintless, self.ceiling)
        self._hintless += 1
        if until_done is not None:
            if until_done < 0:
                # The prediction was early (a job stalled near its end): grow the wait with
                # the lateness, as the back-off would, instead of polling at the floor.
                until_done = -until_done * (self.factor - 1)
            delay = min(delay, max(floor, until_done))
        return delay


def round_floor(waited: float) -> float:
    """The shortest predicted-end wait after ``waited`` seconds of waiting (see LAG_SHARE)."""
    return max(MIN_ROUND, LAG_SHARE * waited)


def group_until(
    ends: Collection[float | None], now: float, *, hinted: bool, factor: float = BACKOFF_FACTOR
) -> float | None:
    """The ``until_done`` of :meth:`Pacer.next_delay` for a group of jobs' predicted ends.

    With a hint, the soonest end, and only when every job has one (a job without a
    prediction could be done by the hint's time: the hint must not be stretched). Without
    one, the job most worth a look: a job late on its prediction counts as due in
    ``lateness * (factor - 1)`` (as :meth:`Pacer.next_delay` treats it), so one stalled job
    does not hide another about to finish.
    """
    if hinted:
        if not ends or None in ends:
            return None
        return min(e for e in ends if e is not None) - now
    known = [e - now for e in ends if e is not None]
    if not known:
        return None
    return min(known, key=lambda u: u if u >= 0 else -u * (factor - 1))


@attrs.define
class ProgressTrack:
    """Predicts when a job finishes from the ``progress`` it showed while it was watched.

    The rate is measured from the first sighting with progress above 0 to the first
    sighting of the current progress value (so a job whose progress stalls keeps its
    prediction, which then falls in the past, and is polled less and less often), and
    extrapolated linearly to 100. Progress 0 or None (queued, or a server that does not
    report it) and progress going backwards start over.
    """

    _first: tuple[float, int] | None = None
    _latest: tuple[float, int] | None = None

    def observe(self, at: float, video: Video) -> None:
        """Take the state ``video`` seen at time ``at``."""
        progress = video.progress
        if progress is None or progress <= 0 or progress >= 100:
            self._first = self._latest = None
            return
        if self._latest is None or self._first is None or progress < self._latest[1]:
            self._first = self._latest = (at, progress)
        elif progress > self._latest[1]:
            self._latest = (at, progress)

    def predicted_end(self) -> float | None:
        """When the job should be done, on the clock of ``at``; None if unknown.

        The aim is one progress point past 100: reported progress is rounded down, and a
        poll that comes a little late costs less than one that comes too early (which
        costs a request and then a whole further wait). The prediction reaches no further
        past the latest sighting than the span the rate was measured over: a short early
        span extrapolated far would magnify any error in it (a timestamp off by the event
        loop's lag, a job that speeds up), so a long wait is taken in steps that each
        measure the rate again.
        """
        if self._first is None or self._latest is None:
            return None
        (t0, p0), (t1, p1) = self._first, self._latest
        if p1 - p0 < MIN_PROGRESS_SPAN or t1 <= t0:
            return None
        return t1 + min((101 - p1) * (t1 - t0) / (p1 - p0), t1 - t0)


def plan_sleep(delay: float, now: float, deadline: float | None) -> tuple[float, bool]:
    """How long to sleep and whether to poll afterwards, given an absolute deadline.

    Returns:
        ``(delay, True)`` when the poll falls before the deadline; otherwise
        ``(time left, False)``: sleep out the deadline and give up without a request
        the server did not ask for.
    """
    if deadline is None or now + delay < deadline:
        return delay, True
    return max(0.0, deadline - now), False


@attrs.define
class ListSweep:
    """One refresh of many pending jobs through ``GET /videos?order=desc&limit=100``.

    Feed it each page; it collects the wanted jobs and says whether another page is
    worth a request. It stops when every wanted id was seen, when the listing ends, when
    a page reaches jobs older than every unseen one (they are not in the listing), or
    once it has fetched as many pages as there are unseen jobs (retrieving those one by
    one would cost no more).

    Args:
        wanted: Ids of the jobs to refresh.
        created: Their known ``created_at`` (missing or None when unknown).
    """

    wanted: frozenset[str]
    created: Mapping[str, int | None] = attrs.field(factory=dict)
    found: dict[str, Video] = attrs.field(factory=dict, init=False)
    pages: int = attrs.field(default=0, init=False)
    cursor: str | None = attrs.field(default=None, init=False)

    @property
    def unseen(self) -> frozenset[str]:
        """Wanted ids not on any page so far."""
        return self.wanted - self.found.keys()

    def _oldest_unseen(self) -> int | None:
        stamps = [self.created.get(i) for i in self.unseen]
        if not stamps or any(s is None for s in stamps):
            return None
        return min(s for s in stamps if s is not None)

    def feed(self, page: VideoPage) -> bool:
        """Take one page; True if the next page (``after=self.cursor``) should be fetched."""
        self.pages += 1
        for video in page.data:
            if video.id in self.wanted:
                self.found[video.id] = video
        unseen = self.unseen
        if not unseen or not page.has_more or not page.data:
            return False
        if self.pages >= len(unseen):
            return False
        oldest = self._oldest_unseen()
        last = page.data[-1]
        if oldest is not None and last.created_at is not None and last.created_at < oldest:
            return False
        self.cursor = page.last_id or last.id
        return True
