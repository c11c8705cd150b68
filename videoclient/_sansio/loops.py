"""The client-wide loop guard: too many calls about one thing, too fast, is an error.

Every loop in the package that sends requests waits between rounds (pacing, back-off); this
is the backstop for the loop nobody foresaw — a gateway whose answers a wait cannot make
sense of, a server that keeps saying "poll again now". Each call a wait of the client makes
is counted under what it is about (a job's retrieve, one page of one many-job listing); the
caller's own direct calls are not counted. When one of them sees more than
``max_requests`` calls within ``window`` seconds with no progress in between, the next call
raises :class:`~videoclient.RequestLoopError` instead of being sent.

Pure: times come in as numbers (the package clock's), nothing here sleeps or sends.
"""

from __future__ import annotations

import math
from collections import deque

import attrs

from .errors import RequestLoopError

__all__ = ["DEFAULT_LOOP_GUARD", "LoopGuard", "LoopWatch"]


def _positive_int(_: object, attribute: attrs.Attribute[int], value: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"LoopGuard.{attribute.name} must be an int, not {value!r}")
    if value < 1:
        raise ValueError(f"LoopGuard.{attribute.name} must be >= 1, got {value!r}")


def _positive_seconds(_: object, attribute: attrs.Attribute[float], value: float) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"LoopGuard.{attribute.name} must be a number of seconds, not {value!r}")
    if not 0 < value < math.inf:
        raise ValueError(f"LoopGuard.{attribute.name} must be > 0 and finite, got {value!r}")


@attrs.frozen
class LoopGuard:
    """How many calls about one job (or one page of one listing) a client's waits may make,
    how fast (the caller's own direct calls are never counted).

    More than ``max_requests`` calls within ``window`` seconds about the same thing, with
    no progress in between (a wait that sees the job's status or progress change starts
    its count again), raise :class:`~videoclient.RequestLoopError` rather than send the
    next one. The default (100 in 10 s, ten a second for ten seconds) is far above any
    paced wait: polls follow the server's hint, else 1 s growing to 10 s. Retries of one
    call are not counted apart (they are paced and bounded by ``max_retries``).

    Attributes:
        max_requests: Calls allowed within one window.
        window: Seconds the calls are counted over.

    .. versionadded:: 0.1.0
    """

    max_requests: int = attrs.field(default=100, validator=_positive_int)
    window: float = attrs.field(default=10.0, validator=_positive_seconds)


DEFAULT_LOOP_GUARD = LoopGuard()

#: Calls between sweeps that forget keys nobody asked about for a whole window.
_SWEEP_EVERY = 1024

Key = tuple[str, ...]


class LoopWatch:
    """The counts behind one client's :class:`LoopGuard` (one per client session).

    Args:
        guard: The limits.
    """

    def __init__(self, guard: LoopGuard) -> None:
        self.guard = guard
        self._times: dict[Key, deque[float]] = {}
        self._calls = 0

    def note(self, key: Key, now: float) -> None:
        """Count a call about ``key`` made at ``now``.

        Raises:
            RequestLoopError: ``key`` already saw ``max_requests`` calls this window.
        """
        guard = self.guard
        since = now - guard.window
        times = self._times.get(key)
        if times is None:
            times = self._times[key] = deque()
        while times and times[0] <= since:
            times.popleft()
        if len(times) >= guard.max_requests:
            raise RequestLoopError(
                f"{len(times)} {key[0]} requests for {_what(key)} within "
                f"{guard.window:g} s without progress: stopped before sending another. "
                "A server that answers in a way the client cannot make sense of (a gateway) "
                "or a loop without a pause does this; a client made with "
                "loop_guard=LoopGuard(max_requests=..., window=...) allows more, None no limit",
                key=key,
                count=len(times),
                window=guard.window,
            )
        times.append(now)
        self._calls += 1
        if self._calls % _SWEEP_EVERY == 0:
            self._sweep(since)

    def progressed(self, key: Key, *, prefix: bool = False) -> None:
        """The thing ``key`` is about moved on: its count starts again.

        With ``prefix``, every key that starts with ``key`` does (all pages of a listing).
        """
        if not prefix:
            self._times.pop(key, None)
            return
        n = len(key)
        for other in [k for k in self._times if k[:n] == key]:
            del self._times[other]

    def _sweep(self, since: float) -> None:
        stale = [k for k, times in self._times.items() if not times or times[-1] <= since]
        for key in stale:
            del self._times[key]

    def __len__(self) -> int:
        return len(self._times)


def _what(key: Key) -> str:
    rest = [part for part in key[1:] if part]
    return " ".join(rest) if rest else "the same thing"
