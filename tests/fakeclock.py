"""The test clock: one object that replaces every wait the package takes.

``videoclient._io.clock`` is the only place the package sleeps or reads the time it paces
requests by; :class:`TestClock` takes its place (``with clock.use(TestClock(...))``) so a
test chooses which kinds of pause are virtual (recorded, skipped or capped, with the time
they asked for added to the clock) and which still take real time.
"""

from __future__ import annotations

from collections.abc import Collection

import anyio

from videoclient._io.clock import Clock, Pause


class TestClock(Clock):
    """Virtual time for the chosen kinds of pause.

    Args:
        virtual: The kinds of pause that take no (or ``cap``) real time; the others sleep
            for real.
        cap: Real seconds a virtual pause still sleeps at most (0: only a checkpoint).
            Chaos runs keep a few milliseconds so retries against a live server do not spin.
        start: Freeze the clock at this time: it then moves only by virtual pauses. None
            follows the event loop's clock (plus every virtual pause so far).

    Attributes:
        polls: The seconds of every ``"poll"`` pause asked for, in order.
        retries: The seconds of every ``"retry"`` pause asked for, in order.
    """

    __test__ = False  # not a test class, whatever pytest thinks of its name

    def __init__(
        self,
        virtual: Collection[Pause] = ("retry", "poll"),
        *,
        cap: float = 0.0,
        start: float | None = None,
    ) -> None:
        self.virtual = frozenset(virtual)
        self.cap = cap
        self.start = start
        self.offset = 0.0
        self.polls: list[float] = []
        self.retries: list[float] = []

    def now(self) -> float:
        base = super().now() if self.start is None else self.start
        return base + self.offset

    async def sleep(self, seconds: float, kind: Pause) -> None:
        (self.polls if kind == "poll" else self.retries).append(seconds)
        if kind not in self.virtual:
            await anyio.sleep(seconds)
            return
        self.offset += seconds
        if self.cap > 0:
            await anyio.sleep(min(seconds, self.cap))
        else:
            await anyio.lowlevel.checkpoint()
