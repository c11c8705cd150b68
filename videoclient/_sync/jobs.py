"""The portal's units of work: one :class:`Job` per blocking call, and the loop's registry.

A :class:`Job` is one task on the portal's loop that any thread can cancel and whose end
one thread waits for; :class:`Running` is the loop side, which starts jobs and drains them
when the portal shuts down. See :mod:`videoclient._sync.portal` for the invariants.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import anyio
from anyio.from_thread import BlockingPortal

try:
    import sniffio
except ImportError:  # pragma: no cover - anyio works without it
    sniffio = None  # type: ignore[assignment]

from .._sansio.errors import APIConnectionError
from .wakeup import Waker

__all__ = ["CLOSE_TIMEOUT", "Job", "Running", "closed_error"]

#: Bound on closing the async client when a portal shuts down.
CLOSE_TIMEOUT = 10.0


def closed_error() -> APIConnectionError:
    return APIConnectionError("the client is closed")


log = logging.getLogger("videoclient")


class Job:
    """One task on the loop that any thread can cancel, and whose end one thread awaits.

    ``over`` becomes true when the task is over (value or error recorded, cleanup
    done), whether it ran, was cancelled before it started, or was never spawned. The
    outcome is kept here, not in the task, so that a ``BaseException`` raised by the
    work stays off the loop.

    The waiting thread sleeps on its :class:`~videoclient._sync.wakeup.Waker`, stored in
    ``waker`` before it first checks ``over``; the loop thread wakes it (:meth:`poke`)
    after the job ended or an awaited reply arrived. (A
    :class:`concurrent.futures.Future` cost a condition, a lock per wait, and woke the
    waiter with the GIL held, so that it slept again at once; see ``_wakeup``.)

    Spawning and cancelling both go through the loop in FIFO order, so when
    :meth:`cancel` runs on the loop and the job was not spawned, it never will be: a
    waiter interrupted anywhere, even while handing the job over, cannot hang.
    """

    __slots__ = (
        "_cancelled",
        "_scope",
        "completed",
        "error",
        "over",
        "spawned",
        "value",
        "waker",
    )

    def __init__(self) -> None:
        self.waker: Waker | None = None
        self._scope: anyio.CancelScope | None = None
        self._cancelled = False
        self.spawned = False
        self.over = False
        self.completed = False
        self.value: Any = None
        self.error: BaseException | None = None

    async def run(
        self,
        running: Running,
        fn: Callable[..., Awaitable[Any]],
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
    ) -> None:
        try:
            if self._cancelled:  # cancelled between spawning and starting
                return
            # Cancellation is anyio's (level-triggered), as the async client expects.
            with anyio.CancelScope() as scope:
                self._scope = scope
                try:
                    self.value = await fn(*args, **kwargs)
                except asyncio.CancelledError:
                    raise
                except BaseException as exc:  # handed to the waiting thread, never the loop
                    self.error = exc
                self.completed = True
        finally:
            running.finished(self)

    def poke(self, _: object = None) -> None:
        """Wake the waiting thread, if any; also a done callback for its replies."""
        waker = self.waker
        if waker is not None:
            waker.wake()

    def end(self) -> None:
        """Mark the job over and wake its waiter (idempotent)."""
        if not self.over:
            self.over = True
            self.poke()

    def cancel(self) -> None:
        """Cancel the job; on the loop thread, before or after it started."""
        self._cancelled = True
        if self._scope is not None:
            self._scope.cancel()
        elif not self.spawned:  # never handed to the loop: it never will be now
            self.end()
        # else spawned, not started: ``run`` sees ``_cancelled`` and ends at once

    def outcome(self) -> Any:
        """The job's value, or raise what it raised (in the calling thread)."""
        if not self.completed:  # cancelled by the portal stopping: the client was closed
            raise closed_error()
        error = self.error
        if error is not None:
            self.error = None  # no reference cycle through the traceback
            try:
                raise error
            finally:
                del error
        return self.value


class Running:
    """What a started loop offers to other threads, and the jobs it is running."""

    __slots__ = ("accepting", "jobs", "loop", "portal")

    def __init__(self, portal: BlockingPortal, loop: asyncio.AbstractEventLoop) -> None:
        self.portal = portal
        self.loop = loop
        self.jobs: dict[Job, asyncio.Task[None]] = {}
        self.accepting = True

    def spawn(self, job: Job, fn: Callable[..., Any], args: tuple[Any, ...]) -> None:
        """Start ``job.run(fn, *args)`` as a task; runs on the loop thread.

        A plain asyncio task rather than a task-group child: the group's bookkeeping
        cost more per call than the whole hand-over. The jobs are tracked here and
        cancelled when the loop stops. No done callback: ``run`` ends the job itself
        (even when cancelled before it started), so the waiter is woken as the
        task's last step and the loop has no further per-call work.
        """
        if not self.accepting or job._cancelled:  # the loop is stopping: ended unrun ("closed")
            job.end()
            return
        if sniffio is not None:  # as anyio's own thread entry points do
            sniffio.current_async_library_cvar.set("asyncio")
        job.spawned = True
        self.jobs[job] = self.loop.create_task(job.run(self, fn, *args))

    def finished(self, job: Job) -> None:
        """Forget ``job`` and wake its waiter: the last thing its task does."""
        self.jobs.pop(job, None)
        job.end()

    async def drain(self) -> None:
        """Stop accepting jobs, cancel those running, and wait (bounded) for their cleanup."""
        self.accepting = False
        jobs = list(self.jobs.items())
        for job, _ in jobs:
            job.cancel()
        tasks = [task for _, task in jobs]
        if tasks:
            with anyio.move_on_after(CLOSE_TIMEOUT, shield=True):
                await asyncio.wait(tasks)
