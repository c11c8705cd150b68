"""How many requests to keep in flight, and how long to back off: pure decisions, no clock.

Used by :mod:`videoclient.batch`; no aiohttp, anyio or asyncio here.
"""

from __future__ import annotations

import random

__all__ = ["AdaptiveConcurrency", "backoff"]


class AdaptiveConcurrency:
    """Additive-increase, multiplicative-decrease limit on work in flight.

    A 429 halves the limit (never below 1). Requests that were already in flight when it
    was lowered carry an older :attr:`epoch`, so a burst of 429s from one crowd halves it
    once, not once per request. After ``limit`` calm successes in a row it grows by one,
    up to ``maximum``. Pure: no clock, no I/O.

    Args:
        maximum: The starting and largest limit.
    """

    def __init__(self, maximum: int) -> None:
        if isinstance(maximum, bool) or not isinstance(maximum, int) or maximum < 1:
            raise ValueError(f"concurrency must be a positive integer, got {maximum!r}")
        self.maximum = maximum
        self.limit = maximum
        self.epoch = 0
        self._calm = 0

    def on_rate_limited(self, epoch: int) -> int:
        """A request started at ``epoch`` was answered 429; return the new limit."""
        if epoch == self.epoch:
            self.limit = max(1, self.limit // 2)
            self.epoch += 1
            self._calm = 0
        return self.limit

    def on_success(self) -> int:
        """A request succeeded; return the (possibly raised) limit."""
        self._calm += 1
        if self.limit < self.maximum and self._calm >= self.limit:
            self.limit += 1
            self.epoch += 1
            self._calm = 0
        return self.limit


def backoff(attempt: int) -> float:
    """Exponential back-off with full jitter: up to 1, 2, 4, ... 30 seconds."""
    return random.uniform(0.5, 1.0) * min(30.0, 2.0 ** max(0, attempt - 1))
