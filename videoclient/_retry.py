"""Retry decisions, without I/O: whether to try again and how long to wait first.

Hand-written rather than built on stamina or tenacity because the core may depend
on aiohttp, attrs, cattrs and anyio only; what is here is two small pure functions,
tested with canned headers and a fixed clock.

Retried: connection errors and timeouts, 408, 409, 429 and 5xx, unless the server
says ``x-should-retry: false`` (and always when it says ``true``). The wait is the
server's ``retry-after-ms``, else ``Retry-After`` (seconds or an HTTP date), if it
is between 0 and :data:`MAX_SERVER_DELAY` — plus an upward jitter (up to a quarter more
and 100 ms) so that many clients told to wait alike do not return in one herd; otherwise
exponential back-off with jitter: 0.5 s, 1 s, 2 s, ... capped at 8 s, each shortened by up
to a quarter.
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


def should_retry_status(status: int, headers: Mapping[str, str]) -> bool:
    """Whether a response with this status and these (lower-cased) headers is worth retrying."""
    hint = headers.get("x-should-retry", "").strip().lower()
    if hint == "true":
        return True
    if hint == "false":
        return False
    return status in RETRY_STATUSES or status >= 500


def server_delay(headers: Mapping[str, str], *, now: float | None = None) -> float | None:
    """The wait the server asked for, in seconds, or None if it asked for none we accept."""
    raw_ms = headers.get("retry-after-ms")
    if raw_ms:
        try:
            delay = float(raw_ms) / 1000.0
        except ValueError:
            delay = None
        if delay is not None and 0 <= delay <= MAX_SERVER_DELAY:
            return delay
    raw = headers.get("retry-after")
    if raw:
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
    headers: Mapping[str, str] | None = None,
    *,
    now: float | None = None,
    rand: Callable[[], float] = random.random,
) -> float:
    """Seconds to wait before retry number ``attempt`` (1 for the first retry)."""
    if headers:
        asked = server_delay(headers, now=now)
        if asked is not None:
            # Never sooner than asked, but spread out: clients told "retry in 10 ms" together
            # would otherwise all come back in the same instant and be refused together again.
            return asked + float(rand()) * (SERVER_DELAY_SPREAD * asked + SERVER_DELAY_JITTER)
    base: float = min(INITIAL_DELAY * 2.0 ** (attempt - 1), MAX_DELAY)
    return base * (1.0 - 0.25 * float(rand()))
