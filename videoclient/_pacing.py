"""How fast to poll, and when to stop: the waiting logic without I/O.

Everything here is a pure function or a small state machine over plain values (headers,
:class:`~videoclient.Video`, page contents, numbers of seconds); no aiohttp, anyio or
asyncio. :mod:`videoclient._waiting` drives it over the network.

Pacing rules (one job):

1. If the latest response carried ``openai-poll-after-ms``, wait exactly that long
   (never less: the server knows how busy it is), but at least :data:`MIN_DELAY`, so a
   hint of 0 cannot make a busy loop.
2. Else the caller's ``poll_interval``, if given, every time.
3. Else :data:`DEFAULT_INTERVAL`, growing by :data:`BACKOFF_FACTOR` per hint-less poll up
   to :data:`MAX_INTERVAL`.

Many jobs share one pace: the smallest hint among the still-pending jobs' latest
retrieve/create answers (the list endpoint sends no hint), else rules 2 and 3.

A deadline is never overshot by a sleep: when the next poll would fall at or after the
deadline, :func:`plan_sleep` says to sleep only until the deadline and not poll again.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Iterable, Mapping

import attrs

from ._models import PENDING_STATUSES, Video, VideoPage

__all__ = [
    "BACKOFF_FACTOR",
    "DEFAULT_INTERVAL",
    "LIST_PAGE_SIZE",
    "MAX_INTERVAL",
    "MIN_DELAY",
    "POLL_AFTER_HEADER",
    "ListSweep",
    "Pacer",
    "check_interval",
    "check_timeout",
    "group_hint",
    "pending_set",
    "plan_sleep",
    "poll_after",
    "progress_changed",
]

POLL_AFTER_HEADER = "openai-poll-after-ms"
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


def poll_after(headers: Mapping[str, str]) -> float | None:
    """The wait a response asks for, in seconds, from its ``openai-poll-after-ms`` header.

    Args:
        headers: Response headers with lower-cased names.

    Returns:
        Seconds, or None when the header is absent or not a finite number >= 0.
    """
    raw = headers.get(POLL_AFTER_HEADER)
    if raw is None:
        return None
    try:
        ms = float(raw.strip())
    except ValueError:
        return None
    if not math.isfinite(ms) or ms < 0:
        return None
    return ms / 1000.0


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
    """

    interval: float | None = None
    initial: float = DEFAULT_INTERVAL
    factor: float = BACKOFF_FACTOR
    ceiling: float = MAX_INTERVAL
    _hintless: int = attrs.field(default=0, init=False)

    def next_delay(self, hint: float | None) -> float:
        """Seconds to wait before the next poll, given the latest answer's hint (or None)."""
        if hint is not None:
            return max(hint, MIN_DELAY)
        if self.interval is not None:
            return self.interval
        delay = min(self.initial * self.factor**self._hintless, self.ceiling)
        self._hintless += 1
        return delay


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
