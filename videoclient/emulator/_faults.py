"""Seeded fault and failure decisions, and the per-key rate limit (pure; no I/O).

Decisions are a hash of (seed, what is decided, which route, how many times that route was
decided before), not a shared random stream, so with a seed the n-th request to a route
meets the same fault in every run, however requests to other routes interleave.
"""

from __future__ import annotations

import hashlib
import math
import random
from collections import Counter
from collections.abc import Callable

__all__ = ["PRE_HANDLER_FAULTS", "FaultPlan", "RateLimiter"]

#: Faults that answer instead of the handler (the request has no effect).
PRE_HANDLER_FAULTS = frozenset({"http_500", "http_502", "http_503", "reset"})


def _unit(*parts: object) -> float:
    """A deterministic number in [0, 1) from ``parts``."""
    digest = hashlib.blake2b("|".join(map(str, parts)).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2**64


class FaultPlan:
    """Decides which requests meet a fault and which jobs fail.

    Args:
        seed: Base of every decision; None draws one at random.
        fault_rate: Probability that a request meets a fault.
        fail_rate: Probability that a job ends failed.
        kinds: The faults to choose from.
    """

    def __init__(
        self,
        *,
        seed: int | None,
        fault_rate: float,
        fail_rate: float,
        kinds: frozenset[str],
    ) -> None:
        self.seed = random.randrange(2**63) if seed is None else seed
        self.fault_rate = fault_rate
        self.fail_rate = fail_rate
        self.kinds = kinds
        self._counts: Counter[str] = Counter()
        self._jobs = 0
        #: Faults injected so far, by kind.
        self.injected: Counter[str] = Counter()

    def fault_for(self, route: str, *, creates: bool, streams: bool) -> str | None:
        """The fault the next request to ``route`` meets, or None.

        ``lost_response`` only applies where the request ``creates`` something, and
        ``truncated`` where the answer ``streams`` a body.
        """
        if self.fault_rate <= 0:
            return None
        n = self._counts[route]
        self._counts[route] += 1
        if _unit(self.seed, "fault", route, n) >= self.fault_rate:
            return None
        options = sorted(
            k
            for k in self.kinds
            if (k != "lost_response" or creates) and (k != "truncated" or streams)
        )
        if not options:
            return None
        return options[int(_unit(self.seed, "kind", route, n) * len(options))]

    def record(self, kind: str) -> None:
        """Count a fault that was actually injected."""
        self.injected[kind] += 1

    def doomed(self) -> bool:
        """Whether the next job ends failed."""
        n = self._jobs
        self._jobs += 1
        return self.fail_rate > 0 and _unit(self.seed, "fail", n) < self.fail_rate


class RateLimiter:
    """A token bucket per key: ``per_minute`` requests, refilled continuously.

    Args:
        per_minute: Bucket size and refill per minute.
        clock: Monotonic seconds.
    """

    def __init__(self, per_minute: int, clock: Callable[[], float]) -> None:
        self.limit = per_minute
        self.clock = clock
        self._rate = per_minute / 60.0
        self._buckets: dict[str, tuple[float, float]] = {}  # key -> (tokens, at)

    def take(self, key: str) -> tuple[bool, dict[str, str]]:
        """Spend a token for ``key``; return (allowed, the ``x-ratelimit-*`` headers)."""
        now = self.clock()
        tokens, at = self._buckets.get(key, (float(self.limit), now))
        tokens = min(float(self.limit), tokens + (now - at) * self._rate)
        allowed = tokens >= 1.0
        if allowed:
            tokens -= 1.0
        self._buckets[key] = (tokens, now)
        full_in = (self.limit - tokens) / self._rate
        headers = {
            "x-ratelimit-limit-requests": str(self.limit),
            "x-ratelimit-remaining-requests": str(math.floor(tokens)),
            "x-ratelimit-reset-requests": f"{full_in:.3f}s",
        }
        if not allowed:
            wait = (1.0 - tokens) / self._rate
            headers["retry-after-ms"] = str(math.ceil(wait * 1000))
            headers["retry-after"] = str(math.ceil(wait))
        return allowed, headers
