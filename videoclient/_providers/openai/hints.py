"""What OpenAI's answers say about timing: ``openai-poll-after-ms``, ``x-should-retry``,
``retry-after-ms``. The neutral rules that use them are :mod:`videoclient._sansio.retry`
and :mod:`videoclient._sansio.pacing`.
"""

from __future__ import annotations

from collections.abc import Mapping

from ..._sansio import retry
from ..._sansio.pacing import MAX_POLL_HINT

__all__ = ["POLL_AFTER_HEADER", "poll_after", "retry_hint", "server_delay"]

POLL_AFTER_HEADER = "openai-poll-after-ms"


def poll_after(headers: Mapping[str, str]) -> float | None:
    """The wait a response asks for, in seconds, from its ``openai-poll-after-ms`` header.

    Args:
        headers: Response headers with lower-cased names.

    Returns:
        Seconds, or None when the header is absent, or not a number from 0 to
        :data:`~videoclient._sansio.pacing.MAX_POLL_HINT` seconds.
    """
    raw = headers.get(POLL_AFTER_HEADER)
    if raw is None:
        return None
    try:
        ms = float(raw.strip())
    except ValueError:
        return None
    if not 0 <= ms <= MAX_POLL_HINT * 1000.0:  # also NaN and infinities
        return None
    return ms / 1000.0


def retry_hint(headers: Mapping[str, str]) -> bool | None:
    """``x-should-retry: true|false`` as a decision, or None when the server gave none."""
    hint = headers.get("x-should-retry", "").strip().lower()
    if hint == "true":
        return True
    if hint == "false":
        return False
    return None


def server_delay(headers: Mapping[str, str], *, now: float | None = None) -> float | None:
    """The wait the server asked for: ``retry-after-ms``, else the standard ``Retry-After``."""
    raw_ms = headers.get("retry-after-ms")
    if raw_ms:
        try:
            delay = float(raw_ms) / 1000.0
        except ValueError:
            delay = None
        if delay is not None and 0 <= delay <= retry.MAX_SERVER_DELAY:
            return delay
    return retry.retry_after(headers, now=now)
