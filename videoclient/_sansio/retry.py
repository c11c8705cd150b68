"""Retry decisions, without I/O: whether to try again and how long to wait first.

Hand-written rather than built on stamina or tenacity because the core may depend
on aiohttp, attrs, cattrs and anyio only; what is here is small pure functions,
tested with canned headers and a fixed clock.

Retried: connection errors and timeouts, 408, 409, 429 and 5xx, unless the provider
reads a "do not retry" in the answer (and always when it reads "retry"). The wait is
the one the server asked for (the provider reads it: the standard ``Retry-After``, in
seconds or as an HTTP date, is :func:`retry_after`), if it is between 0 and
:data:`MAX_SERVER_DELAY` — plus an upward jitter (up to a quarter more and 100 ms) so
that many clients told to wait alike do not return in one herd; otherwise exponential
back-off with jitter: 0.5 s, 1 s, 2 s, ... capped at 8 s, each shortened by up to a quarter.
"""

from __future__ import annotations

import email.utils
import random
import time
from collections.abc import Callable, Mapping

__all__ = [
    "INITIAL_DELAY",
    "MAX_DELAY",
    "MAX_SERVER_DELAY",
    "RETRY_STATUSES",
    "retry_after",
    "retry_delay",
    "should_retry_status",
]

INITIAL_DELAY = 0.5
MAX_DELAY = 8.0
MAX_SERVER_DELAY = 60.0
RETRY_STATUSES = frozenset({408, 409, 429})
#: Upward jitter on a server-requested delay: up to this fraction of it, plus SERVER_DELAY_JITTER s.
SERVER_DELAY_SPREAD = 0.25
SERVER_DELAY_JITTER = 0.1
#: Shortest wait before a retry, whatever a server asks ("retry in 0 ms" must not make a loop).
MIN_RETRY_DELAY = 0.05


def should_retry_status(status: int, hint: bool | None = None) -> bool:
    """Whether a response with this status is worth retrying; ``hint`` is the server's say."""
    if hint is not None:
        return hint
    return status in RETRY_STATUSES or status >= 500


def retry_after(headers: Mapping[str, str], *, now: float | None = None) -> float | None:
    """The standard ``Retry-After`` (seconds or an HTTP date), or None if absent or unusable."""
    raw = headers.get("retry-after")
    if not raw:
        return None
    try:
        delay = float(raw)
    except ValueError:
        parsed = email.utils.parsedate_tz(raw)
        if parsed is None:
            return None
        try:
            stamp = email.utils.mktime_tz(parsed)
        except (ValueError, OverflowError):  # a date no clock can reach: no server delay
            return None
        delay = stamp - (time.time() if now is None else now)
    if 0 <= delay <= MAX_SERVER_DELAY:
        return delay
    return None


def retry_delay(
    attempt: int,
    asked: float | None = None,
    *,
    rand: Callable[[], float] = random.random,
) -> float:
    """Seconds to wait before retry number ``attempt`` (1 for the first retry).

    ``asked`` is the wait the server asked for (read by the provider), if any.
    """
    if asked is not None:
        # Never sooner than asked, but spread out: clients told "retry in 10 ms" together
        # would otherwise all come back in the same instant and be refused together again.
        asked = max(asked, MIN_RETRY_DELAY)
        return asked + float(rand()) * (SERVER_DELAY_SPREAD * asked + SERVER_DELAY_JITTER)
    base: float = min(INITIAL_DELAY * 2.0 ** (attempt - 1), MAX_DELAY)
    return base * (1.0 - 0.25 * float(rand()))
