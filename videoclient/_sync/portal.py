"""One event loop on a daemon thread, and the blocking calls other threads make into it.

The sync client is the async client driven through this module: every coroutine of one
client runs on one loop (an aiohttp session belongs to the loop it was created in), and
any thread may wait for it. :class:`Portal` owns that loop, on its own thread, through
an anyio :class:`~anyio.from_thread.BlockingPortal` (asyncio backend).

Invariants kept here:
- a thread waiting in :meth:`Portal.call` (or an iterator's ``next``, a context
  manager's ``__enter__``/``__exit__``) can be interrupted: on ``KeyboardInterrupt`` (or
  any exception raised in the waiting thread) the work is cancelled *in the loop*, its
  cleanup is waited for, and only then does the exception go on. Waits use a short
  timeout in a loop so that signals reach the main thread on every platform;
- nothing the work raises, ``BaseException`` included, escapes into the loop: it is
  handed to the waiting thread and raised there, so the loop outlives any one call;
- an async iterator, and an async context manager, each run in *one* task from start to
  end, as they would under ``async for``/``async with`` (cancel scopes and task groups
  held across a ``yield`` stay valid);
- the thread is a daemon, so a portal that is never shut down cannot hang interpreter
  exit; owners register :meth:`Portal.shutdown` with :func:`weakref.finalize`, which
  also runs at exit, to close their resources cleanly;
- a waiter re-checks its job's state around every sleep, and the loop records the
  outcome before it wakes the waiter: a wake may come early or be spurious, and a lost
  one would cost one ``TICK``, never a hang.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import contextvars
import logging
import os
import sys
import threading
from collections import deque
from collections.abc import (
    AsyncIterable,
    AsyncIterator,
    Awaitable,
    Callable,
    Generator,
)
from concurrent.futures import Future
from contextlib import AbstractAsyncContextManager, AbstractContextManager
from types import TracebackType
from typing import Any, Generic, ParamSpec, TypeVar

import anyio
from anyio.from_thread import BlockingPortal

try:
    import sniffio
except ImportError:  # pragma: no cover - anyio works without it
    sniffio = None  # type: ignore[assignment]

from .._sansio.errors import APIConnectionError
from .jobs import CLOSE_TIMEOUT, Job, Running, closed_error
from .wakeup import thread_waker

__all__ = ["BlockingContextManager", "Portal"]

log = logging.getLogger("videoclient")

P = ParamSpec("P")
T = TypeVar("T")
A = TypeVar("A")
R = TypeVar("R")

#: Longest a waiting thread goes without a chance to see a signal (Ctrl-C). Waking up
#: costs nothing measurable; a finished call wakes its waiter at once.
TICK = 0.1
#: Bound on joining the loop thread (only a wedged loop ever reaches it).
JOIN_TIMEOUT = 10.0
#: Bound on an async iterator's clean-up after its consumer went away or was cancelled.
CLEANUP_TIMEOUT = 10.0

_END = object()  # an async iterator's end, as a reply

#: How many times this process is a forked child of the one that imported this module
#: (a loop thread does not survive a fork; comparing it is cheaper than ``os.getpid()``).
_forks = 0


def _count_fork() -> None:  # pragma: no cover - runs in a forked child
    global _forks
    _forks += 1


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_count_fork)

#: Set in a worker thread while it runs a sync callback for a loop (``callback_of.loop``):
#: a callback that closes its own client must not wait for the call that is waiting for it.
callback_of = threading.local()


def _forked_error() -> APIConnectionError:
    return APIConnectionError(
        "this client was created in the parent of this forked process, and its event loop "
        "thread does not exist here: create a new client after os.fork()"
    )


class Portal:
    """An event loop on a daemon thread, started on first use, and calls into it.

    Thread-safe: any number of threads may call, iterate and enter at once. The loop
    runs under ``anyio.run`` (asyncio backend) and
    :class:`~anyio.from_thread.BlockingPortal` frames its life (``stop``, the closing
    call), but a call does not go through the portal's ``call``/``start_task_soon``:
    those wait on a :class:`concurrent.futures.Future` (a second hand-over, and a wake
    with the GIL held) and cancel nothing on Ctrl-C. Per call there is instead one
    ``loop.call_soon_threadsafe`` (in the caller's ``contextvars`` context, as anyio's
    portal does), one plain task inside an anyio cancel scope, and one wake of the
    waiting thread through its :class:`~videoclient._sync.wakeup.Waker`, which releases
    the GIL before it wakes: two thread switches per call, the least a second thread
    allows.

    Args:
        name: The loop thread's name.
    """

    def __init__(self, name: str = "videoclient-portal") -> None:
        self._name = name
        # Re-entrant: a finalizer run by the garbage collector may call shutdown()
        # in a thread that is inside one of our locked sections.
        self._lock = threading.RLock()
        self._ready: Future[Running] | None = None
        self._live: Running | None = None  # ``_ready``'s result once there: the hot path
        self._thread: threading.Thread | None = None
        self._thread_id: int | None = None
        self._closed = False
        self._stopped = threading.Event()
        self._forks = _forks  # a forked child inherits this object, not the loop thread

    # -- lifetime -----------------------------------------------------------------------------

    @property
    def closed(self) -> bool:
        """True once :meth:`shutdown` was called."""
        return self._closed

    @property
    def thread(self) -> threading.Thread | None:
        """The loop's thread, once started."""
        return self._thread

    @property
    def running(self) -> bool:
        """True while the loop thread is alive."""
        thread = self._thread
        return thread is not None and thread.is_alive()

    def in_loop_thread(self) -> bool:
        """True when called on the loop's own thread (where blocking would deadlock)."""
        return self._thread_id is not None and threading.get_ident() == self._thread_id

    def _start(self) -> Future[Running]:
        ready: Future[Running] = Future()

        async def serve() -> None:
            running: Running | None = None
            try:
                async with BlockingPortal() as portal:
                    self._thread_id = threading.get_ident()
                    running = Running(portal, asyncio.get_running_loop())
                    ready.set_result(running)
                    await portal.sleep_until_stopped()
            finally:
                if running is not None:
                    await running.drain()

        def main() -> None:
            try:
                anyio.run(serve, backend="asyncio")
            except BaseException as exc:
                if not ready.done():
                    ready.set_exception(exc)
                else:  # pragma: no cover - the loop itself failed after starting
                    log.error("the videoclient event loop stopped with an error", exc_info=exc)
            finally:
                self._stopped.set()

        kwargs: dict[str, Any] = {}
        if sys.version_info >= (3, 14):  # pragma: no cover - threads may inherit a context there
            kwargs["context"] = contextvars.Context()
        thread = threading.Thread(target=main, name=self._name, daemon=True, **kwargs)
        self._thread = thread
        thread.start()
        return ready

    def _running(self) -> Running:
        """The running loop, started if needed."""
        live = self._live
        if live is not None and not self._closed:
            if self._forks != _forks:
                raise _forked_error()
            return live
        with self._lock:
            if self._closed:
                raise closed_error()
            if self._forks != _forks:
                raise _forked_error()
            if self._ready is None:
                self._ready = self._start()
            ready = self._ready
        while True:  # in short steps so that signals get through
            try:
                live = ready.result(TICK)  # raises if the loop failed to start
            except concurrent.futures.TimeoutError:
                thread = self._thread
                if thread is not None and not thread.is_alive() and not ready.done():
                    raise closed_error() from None  # pragma: no cover - killed at exit
                continue
            self._live = live
            return live

    def shutdown(
        self,
        aclose: Callable[[], Awaitable[object]] | None = None,
        abandon: Callable[[], object] | None = None,
    ) -> None:
        """Run ``aclose()`` on the loop, stop the loop and join its thread.

        Idempotent and thread-safe; a second caller waits for the first to finish. Calls
        still in flight in other threads are cancelled and raise
        :class:`~videoclient.APIConnectionError` ("the client is closed").

        Args:
            aclose: A coroutine function that releases what lives on the loop (the
                HTTP session), awaited (at most ``CLOSE_TIMEOUT`` seconds) first.
            abandon: Called instead in a forked child, where the loop thread does not
                exist: forgets what lives on the loop without closing it (it is the
                parent's).
        """
        with self._lock:
            first = not self._closed
            self._closed = True
            ready = self._ready
        if ready is None or self._forks != _forks:
            # Never started, or a forked child: the loop thread is not in this process,
            # and what it held (sockets) the parent still uses; nothing to stop here.
            if ready is not None and first and abandon is not None:
                abandon()
            self._stopped.set()
            return
        live = self._live
        in_callback = live is not None and getattr(callback_of, "loop", None) is live.loop
        if self.in_loop_thread() or in_callback:
            # Reached from the loop itself (a finalizer run by the garbage collector
            # there), or from a callback a call on the loop is waiting for: waiting here
            # for that call would never end, so a helper thread finishes.
            if first:
                threading.Thread(
                    target=self._stop, args=(ready, aclose), name=f"{self._name}-stop", daemon=True
                ).start()
            return
        if first:
            self._stop(ready, aclose)
        else:
            self._stopped.wait(JOIN_TIMEOUT)

    def _stop(self, ready: Future[Running], aclose: Callable[[], Awaitable[object]] | None) -> None:
        try:
            running = ready.result()
        except BaseException:  # the loop never started: nothing to stop
            return
        portal = running.portal

        async def bounded_close() -> None:
            # Calls in flight end first, as "the client is closed", before what they
            # use (the HTTP session) is closed under them.
            await running.drain()
            if aclose is not None:
                with anyio.move_on_after(CLOSE_TIMEOUT):
                    await aclose()

        try:
            portal.call(bounded_close)
        finally:
            with contextlib.suppress(RuntimeError):  # it had stopped already
                portal.call(portal.stop, True)
            thread = self._thread
            if thread is not None:
                thread.join(JOIN_TIMEOUT)
                if thread.is_alive():  # pragma: no cover - a task that ignores cancellation
                    log.warning("the videoclient event loop thread did not stop in time")

    # -- calls --------------------------------------------------------------------------------

    def _submit(self, job: Job, fn: Callable[..., Awaitable[Any]], *args: Any) -> None:
        """Start ``job.run(fn, *args)`` on the loop."""
        if self.in_loop_thread():
            raise RuntimeError(
                "a sync VideoClient cannot be called from its own event loop thread "
                "(e.g. from an async on_progress callback); use the AsyncVideoClient there"
            )
        running = self._running()
        try:
            running.loop.call_soon_threadsafe(running.spawn, job, fn, args)
        except RuntimeError as exc:  # the loop closed between the check and now
            raise closed_error() from exc

    def _soon(self, fn: Callable[..., object], *args: Any) -> bool:
        """Run a plain function on the loop thread soon; False if the loop is gone."""
        if self.in_loop_thread():
            fn(*args)
            return True
        live = self._live
        if live is None:
            return False
        try:
            live.loop.call_soon_threadsafe(fn, *args)
        except RuntimeError:  # the loop is closed
            return False
        return True

    def _block(self, job: Job, until: Future[Any] | None = None) -> None:
        """Wait until ``job`` is over (or ``until`` is done), in short steps so that
        signals get through; return early if the loop thread died (nothing would
        finish then). ``until`` must poke ``job`` when done (a done callback)."""
        waker = job.waker = thread_waker()  # before the checks: no wake can be missed
        while not job.over and (until is None or not until.done()):
            waker.sleep(TICK)
            thread = self._thread
            if thread is not None and not thread.is_alive():
                return

    def _cancel(self, job: Job) -> None:
        """Cancel ``job`` and wait for its cleanup (not on the loop thread: there, only cancel)."""
        if job.over or not self._soon(job.cancel) or self.in_loop_thread():
            return
        # A second Ctrl-C while the cleanup runs stops this wait, not the cleanup.
        self._block(job)

    def _run(self, job: Job, until: Future[Any] | None, fn: Callable[..., Any], *args: Any) -> None:
        """Start ``job`` and wait for its end (or ``until``). Whatever interrupts
        (Ctrl-C), even while the job is handed over, cancels it; its cleanup ends
        before the exception goes on."""
        try:
            self._submit(job, fn, *args)
        except BaseException:
            self._cancel(job)
            raise
        self._wait(job, until)

    def _wait(self, job: Job, until: Future[Any] | None = None) -> None:
        """Wait for ``job`` to end (or ``until``); cancel it if the wait is interrupted."""
        try:
            self._block(job, until)
        except BaseException:
            self._cancel(job)
            raise

    def call(self, fn: Callable[P, Awaitable[T]], /, *args: P.args, **kwargs: P.kwargs) -> T:
        """Await ``fn(*args, **kwargs)`` on the loop and return its result here.

        Raises:
            APIConnectionError: The portal was shut down (the client was closed).
            RuntimeError: Called from the loop's own thread.
        """
        job = Job()
        self._run(job, None, fn, args, kwargs)
        result: T = job.outcome()
        return result

    def iterate(
        self, source: AsyncIterable[T], keepalive: object = None
    ) -> Generator[T, None, None]:
        """Iterate ``source`` from this thread; it runs in one task on the loop.

        Nothing starts until the first ``next()``. Leaving early (``break``, an
        exception, dropping the iterator) cancels that task, which closes the async
        iterator on the loop.

        Args:
            source: The async iterable.
            keepalive: Kept alive while iterating (the client, so that its finalizer
                cannot stop the loop under the iterator).
        """
        return self._iterate(source, keepalive)

    def _iterate(self, source: AsyncIterable[T], keepalive: object) -> Generator[T, None, None]:
        # ``keepalive`` lives as long as this generator's frame: that is its whole job.
        pump = _Pump(source)
        job = Job()
        try:
            self._submit(job, pump.run, (), {})
            while True:
                reply: Future[Any] = Future()
                reply.add_done_callback(job.poke)
                if not self._soon(pump.ask, reply):
                    raise closed_error()
                self._block(job, reply)
                if not reply.done():  # the task ended without answering: cancelled
                    job.outcome()
                    raise closed_error()
                item = reply.result()
                if item is _END:
                    return
                yield item
        finally:
            # Idle between items or busy on one, the pump's task is cancelled; its
            # finally closes the async iterator (shielded, bounded).
            self._cancel(job)


class _Pump(Generic[T]):
    """Drives one async iterator in one task, an item per request from other threads."""

    def __init__(self, source: AsyncIterable[T]) -> None:
        self._source = source
        self._requests: deque[Future[Any] | None] = deque()
        self._wakeup: anyio.Event | None = None

    def ask(self, reply: Future[Any] | None) -> None:
        """Request the next item into ``reply`` (None: stop). Runs on the loop thread."""
        self._requests.append(reply)
        if self._wakeup is not None:
            self._wakeup.set()

    async def _request(self) -> Future[Any] | None:
        while not self._requests:
            self._wakeup = anyio.Event()
            await self._wakeup.wait()
        return self._requests.popleft()

    async def run(self) -> None:
        iterator: AsyncIterator[T] = self._source.__aiter__()
        try:
            while True:
                reply = await self._request()
                if reply is None:
                    return
                try:
                    item = await iterator.__anext__()
                except StopAsyncIteration:
                    reply.set_result(_END)
                    return
                except anyio.get_cancelled_exc_class():
                    raise
                except BaseException as exc:  # raised in the consumer's thread
                    reply.set_exception(exc)
                    return
                reply.set_result(item)
        finally:
            aclose = getattr(iterator, "aclose", None)
            if aclose is not None:
                with anyio.move_on_after(CLEANUP_TIMEOUT, shield=True):
                    await aclose()


class BlockingContextManager(AbstractContextManager[R], Generic[A, R]):
    """An async context manager used with ``with``: entered and exited in one task.

    ``__enter__`` returns ``adapt(value)`` where ``value`` is what ``__aenter__`` gave.
    An interrupt while entering or exiting cancels the task after its cleanup, then
    goes on; the exception that ends the ``with`` body reaches ``__aexit__`` as usual.
    """

    def __init__(
        self,
        portal: Portal,
        acm: AbstractAsyncContextManager[A],
        adapt: Callable[[A], R],
        keepalive: object = None,
    ) -> None:
        self._portal = portal
        self._acm = acm
        self._adapt = adapt
        self._keepalive = keepalive
        self._job: Job | None = None
        self._entered: Future[A] = Future()
        self._exit_event: anyio.Event | None = None
        self._exit_info: tuple[Any, Any, Any] = (None, None, None)

    async def _hold(self) -> bool | None:
        self._exit_event = anyio.Event()
        try:
            value = await self._acm.__aenter__()
        except asyncio.CancelledError:
            raise
        except BaseException as exc:
            self._entered.set_exception(exc)
            return None
        self._entered.set_result(value)
        try:
            await self._exit_event.wait()
        except BaseException as exc:  # cancelled before __exit__: the client is closing
            with anyio.move_on_after(CLEANUP_TIMEOUT, shield=True):
                await self._acm.__aexit__(type(exc), exc, exc.__traceback__)
            raise
        return await self._acm.__aexit__(*self._exit_info)

    def __enter__(self) -> R:
        if self._job is not None:
            raise RuntimeError("this context manager was already entered")
        job = self._job = Job()
        self._entered.add_done_callback(job.poke)
        self._portal._run(job, self._entered, self._hold, (), {})
        if not self._entered.done():  # the task ended without entering: the loop stopped
            job.outcome()
            raise closed_error()
        value = self._entered.result()
        try:
            return self._adapt(value)
        except BaseException:
            self.__exit__(*sys.exc_info())
            raise

    def _request_exit(self) -> None:
        assert self._exit_event is not None
        self._exit_event.set()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> bool:
        job = self._job
        assert job is not None
        self._exit_info = (exc_type, exc, tb)
        try:
            if self._portal._soon(self._request_exit):
                self._portal._wait(job)
            if not job.over or not job.completed:
                return False  # the loop was shut down (client closed): nothing left to exit
            if exc is not None and job.error is exc:
                return False  # __aexit__ let the body's exception through: it goes on as is
            return bool(job.outcome())
        finally:
            self._exit_info = (None, None, None)
            self._keepalive = None
