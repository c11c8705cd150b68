"""The one clock every wait in videoclient reads and sleeps on, and the one switch tests turn.

Every pause the package takes goes through :func:`sleep` with its kind: ``"retry"`` for
the waits between attempts (back-off, a 429's pause, a resumed download, the batch
runner's back-offs) and ``"poll"`` for the waits between polls (and the batch waiter's
rounds). Deadlines and rate-limit pauses are planned on :func:`now`. Nothing else in
the package sleeps or reads a clock to pace requests, so replacing the
clock (:func:`use`) changes every wait at once: a test can skip the retry back-offs
only, or run polls and retries on virtual time, without patching module attributes.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Literal, TypeVar

__all__ = ["Clock", "Pause", "now", "sleep", "use"]

#: What a pause is for: between attempts of one request, or between polls of a job.
Pause = Literal["retry", "poll"]


class Clock:
    """Real time: the event loop's clock and its sleep.

    The client runs on asyncio (aiohttp does), so this reads the loop directly: the same
    values as ``anyio.current_time()``/``anyio.sleep``, without their backend lookup, which
    every request would pay several times.
    """

    def now(self) -> float:
        """The time pauses and deadlines are planned on (the event loop's clock)."""
        return asyncio.get_running_loop().time()

    async def sleep(self, seconds: float, kind: Pause) -> None:
        """Pause the current task for ``seconds`` (a pause of kind ``kind``)."""
        await asyncio.sleep(seconds)


_clock: Clock = Clock()

C = TypeVar("C", bound=Clock)


def now() -> float:
    """The current clock's time."""
    return _clock.now()


async def sleep(seconds: float, kind: Pause) -> None:
    """Pause on the current clock."""
    await _clock.sleep(seconds, kind)


@contextmanager
def use(clock: C) -> Iterator[C]:
    """Make ``clock`` the clock of every wait in the package until the block ends."""
    global _clock
    previous, _clock = _clock, clock
    try:
        yield clock
    finally:
        _clock = previous
