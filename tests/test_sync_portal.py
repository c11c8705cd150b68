"""The portal under the sync client: one loop thread, blocking calls, iterators, context
managers, interrupts and shutdown; pure coroutines, no network."""

from __future__ import annotations

import _thread
import threading
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from typing import Any

import anyio
import anyio.lowlevel
import pytest

from tests.conftest import thread_running
from videoclient import APIConnectionError
from videoclient._sync.mirror import offloaded
from videoclient._sync.portal import Portal


@pytest.fixture
def portal() -> Iterator[Portal]:
    p = Portal(name="test-portal")
    try:
        yield p
    finally:
        p.shutdown()
        thread = p.thread
        assert thread is None or not thread.is_alive()


def task_id() -> int:
    return anyio.get_current_task().id


async def loop_thread_name() -> str:
    return threading.current_thread().name


# -- calls ------------------------------------------------------------------------------------


def test_nothing_starts_before_the_first_call() -> None:
    """A new portal starts no thread; shutting down one that never ran is a no-op."""
    p = Portal(name="never-used")
    assert p.thread is None and not p.running
    p.shutdown()
    p.shutdown()
    assert p.closed and p.thread is None


def test_every_call_runs_on_the_same_loop_thread(portal: Portal) -> None:
    """Calls return their coroutine's value and all run on the portal's one daemon thread."""

    async def double(x: int, *, factor: int = 2) -> int:
        return x * factor

    assert portal.call(double, 21) == 42
    assert portal.call(double, 5, factor=3) == 15
    names = {portal.call(loop_thread_name) for _ in range(3)}
    assert names == {"test-portal"}
    assert portal.thread is not None and portal.thread.daemon


def test_an_exception_is_raised_in_the_calling_thread(portal: Portal) -> None:
    """The coroutine's exception is raised to the caller, and the portal stays usable."""

    async def fail() -> None:
        raise ValueError("bad input")

    with pytest.raises(ValueError, match="bad input"):
        portal.call(fail)
    assert portal.call(loop_thread_name) == "test-portal"


@pytest.mark.parametrize(
    "exc_type",
    [pytest.param(SystemExit, id="SystemExit"), pytest.param(GeneratorExit, id="GeneratorExit")],
)
def test_a_base_exception_never_reaches_the_loop(portal: Portal, exc_type: type) -> None:
    """A BaseException from the coroutine goes to the caller; the loop keeps running."""

    async def escape() -> None:
        raise exc_type("from the loop")

    with pytest.raises(exc_type):
        portal.call(escape)
    assert portal.call(loop_thread_name) == "test-portal"


def test_calling_from_the_loop_thread_is_refused_not_deadlocked(portal: Portal) -> None:
    """A blocking call made on the loop's own thread raises RuntimeError at once."""

    async def reenter() -> str:
        try:
            portal.call(loop_thread_name)
        except RuntimeError as exc:
            return str(exc)
        return "no error"

    assert "own event loop thread" in portal.call(reenter)


def test_calls_after_shutdown_raise_closed(portal: Portal) -> None:
    """After shutdown, calls raise APIConnectionError('the client is closed')."""
    portal.call(loop_thread_name)
    portal.shutdown()
    with pytest.raises(APIConnectionError, match="closed"):
        portal.call(loop_thread_name)


def test_shutdown_awaits_aclose_once_then_joins_the_thread(portal: Portal) -> None:
    """shutdown() awaits the closer on the loop once, stops the loop and joins its thread."""
    closed_on: list[str] = []

    async def aclose() -> None:
        closed_on.append(threading.current_thread().name)

    portal.call(loop_thread_name)
    portal.shutdown(aclose)
    portal.shutdown(aclose)
    assert closed_on == ["test-portal"]
    assert portal.thread is not None and not portal.thread.is_alive()


def test_shutdown_cancels_calls_in_flight_in_other_threads(portal: Portal) -> None:
    """A call still running when the portal shuts down raises 'closed' in its thread."""
    started = threading.Event()

    async def forever() -> None:
        started.set()
        await anyio.sleep_forever()

    with thread_running(lambda: portal.call(forever), join=10) as outcome:
        assert started.wait(10)
        portal.shutdown()
    assert len(outcome) == 1
    assert isinstance(outcome[0], APIConnectionError)


def test_shutdown_reached_on_the_loop_thread_finishes_in_a_helper(portal: Portal) -> None:
    """shutdown() called on the loop itself (a finalizer run there) returns and still stops."""

    async def shut() -> None:
        portal.shutdown()

    portal.call(shut)
    thread = portal.thread
    assert thread is not None
    thread.join(10)
    assert not thread.is_alive()


# -- interrupts -------------------------------------------------------------------------------


def test_ctrl_c_cancels_the_coroutine_and_waits_for_its_cleanup(portal: Portal) -> None:
    """KeyboardInterrupt in the waiting thread cancels the task, whose cleanup ends first."""
    cleaned: list[str] = []

    async def slow() -> None:
        _thread.interrupt_main()  # Ctrl-C, delivered to the (waiting) main thread
        try:
            await anyio.sleep_forever()
        finally:
            with anyio.CancelScope(shield=True):
                await anyio.lowlevel.checkpoint()  # a cleanup that awaits
                cleaned.append("cleaned")

    with pytest.raises(KeyboardInterrupt):
        portal.call(slow)
    assert cleaned == ["cleaned"]
    assert portal.call(loop_thread_name) == "test-portal"


def test_ctrl_c_during_iteration_closes_the_async_iterator(portal: Portal) -> None:
    """Ctrl-C while waiting for the next item cancels the async generator's task and runs its finally."""
    closed: list[bool] = []

    async def items() -> AsyncIterator[int]:
        try:
            yield 1
            _thread.interrupt_main()
            await anyio.sleep_forever()
            yield 2
        finally:
            closed.append(True)

    got: list[int] = []

    def consume() -> None:
        for item in portal.iterate(items()):
            got.append(item)

    with pytest.raises(KeyboardInterrupt):
        consume()
    assert got == [1]
    assert closed == [True]


# -- iterators --------------------------------------------------------------------------------


def test_iterate_yields_every_item_in_order_from_one_task(portal: Portal) -> None:
    """An async generator is driven in one task, item by item, in order."""

    async def items() -> AsyncIterator[tuple[int, int]]:
        for i in range(5):
            await anyio.lowlevel.checkpoint()
            yield i, task_id()

    got = list(portal.iterate(items()))
    assert [i for i, _ in got] == [0, 1, 2, 3, 4]
    assert len({tid for _, tid in got}) == 1


def test_iterate_allows_a_task_group_held_across_yields(portal: Portal) -> None:
    """A generator that yields inside a task group (as as_completed may) works when mirrored."""

    async def fed() -> AsyncIterator[int]:
        send, receive = anyio.create_memory_object_stream[int](10)

        async def produce() -> None:
            async with send:
                for i in range(3):
                    await send.send(i)

        async with anyio.create_task_group() as tg, receive:
            tg.start_soon(produce)
            async for value in receive:
                yield value

    assert list(portal.iterate(fed())) == [0, 1, 2]


def test_iterate_is_lazy(portal: Portal) -> None:
    """Nothing runs (not even the loop starts) until the first next()."""
    ran: list[bool] = []

    async def items() -> AsyncIterator[int]:
        ran.append(True)
        yield 1

    iterator = portal.iterate(items())
    assert ran == [] and portal.thread is None
    assert next(iterator) == 1
    assert ran == [True]
    iterator.close()


def test_breaking_out_closes_the_async_generator(portal: Portal) -> None:
    """Leaving a for loop early runs the async generator's finally on the loop."""
    closed: list[str] = []

    async def endless() -> AsyncIterator[int]:
        try:
            i = 0
            while True:
                yield i
                i += 1
        finally:
            closed.append(threading.current_thread().name)

    for i in portal.iterate(endless()):
        if i == 2:
            break
    assert closed == ["test-portal"]


def test_an_iterators_error_is_raised_after_the_items_before_it(portal: Portal) -> None:
    """Items before an error are delivered; the error is raised by the next next()."""

    async def items() -> AsyncIterator[int]:
        yield 1
        raise ValueError("broken page")

    got: list[int] = []

    def consume() -> None:
        for item in portal.iterate(items()):
            got.append(item)

    with pytest.raises(ValueError, match="broken page"):
        consume()
    assert got == [1]


# -- context managers -------------------------------------------------------------------------


def make_cm(log: list[Any], *, suppress: bool = False) -> Any:
    @asynccontextmanager
    async def cm() -> AsyncIterator[str]:
        log.append(("enter", task_id()))
        try:
            yield "value"
        except BaseException as exc:
            log.append(("error", type(exc).__name__))
            if not suppress:
                raise
        finally:
            log.append(("exit", task_id()))

    return cm()


def test_a_context_manager_is_entered_and_exited_in_one_task(portal: Portal) -> None:
    """__aenter__ and __aexit__ run in the same task; `with` gives the adapted value."""
    from videoclient._sync.portal import BlockingContextManager

    log: list[Any] = []
    with BlockingContextManager(portal, make_cm(log), str.upper) as value:
        assert value == "VALUE"
    assert [step for step, _ in log] == ["enter", "exit"]
    assert log[0][1] == log[1][1]


@pytest.mark.parametrize(
    ("suppress", "raised"),
    [pytest.param(False, True, id="propagates"), pytest.param(True, False, id="suppressed")],
)
def test_the_bodys_exception_reaches_aexit(portal: Portal, suppress: bool, raised: bool) -> None:
    """An exception in the `with` body is thrown into the async context manager, which may suppress it."""
    from videoclient._sync.portal import BlockingContextManager

    log: list[Any] = []
    caught: list[BaseException] = []
    try:
        with BlockingContextManager(portal, make_cm(log, suppress=suppress), str):
            raise LookupError("in the body")
    except LookupError as exc:
        caught.append(exc)
    assert ("error", "LookupError") in log
    assert bool(caught) is raised


def test_an_error_entering_is_raised_by_with(portal: Portal) -> None:
    """An exception from __aenter__ is raised by the `with` statement."""
    from videoclient._sync.portal import BlockingContextManager

    @asynccontextmanager
    async def refuses() -> AsyncIterator[None]:
        raise PermissionError("no")
        yield  # pragma: no cover

    with (
        pytest.raises(PermissionError),
        BlockingContextManager(portal, refuses(), lambda v: v),
    ):
        pass  # pragma: no cover


def test_ctrl_c_while_entering_cancels_aenter_and_skips_the_body(portal: Portal) -> None:
    """KeyboardInterrupt during __aenter__ cancels it (its cleanup runs) and the body never runs."""
    from videoclient._sync.portal import BlockingContextManager

    log: list[str] = []

    @asynccontextmanager
    async def slow_to_open() -> AsyncIterator[None]:
        try:
            _thread.interrupt_main()
            await anyio.sleep_forever()
        finally:
            log.append("aenter cleaned up")
        yield  # pragma: no cover

    def enter() -> None:
        with BlockingContextManager(portal, slow_to_open(), lambda v: v):
            log.append("body")  # pragma: no cover

    with pytest.raises(KeyboardInterrupt):
        enter()
    assert log == ["aenter cleaned up"]


def test_closing_inside_a_with_block_exits_the_async_cm(portal: Portal) -> None:
    """Shutting the portal down inside a `with` body exits the async cm (as cancelled), quietly."""
    from videoclient._sync.portal import BlockingContextManager

    log: list[Any] = []
    with BlockingContextManager(portal, make_cm(log), str):
        portal.shutdown()
        assert ("error", "CancelledError") in log
    assert [step for step, _ in log] == ["enter", "error", "exit"]


# -- callbacks --------------------------------------------------------------------------------


def test_sync_callbacks_run_in_a_worker_thread_not_on_the_loop(portal: Portal) -> None:
    """An offloaded sync callback runs off the loop thread; async callbacks are left as they are."""
    seen: list[str] = []

    def on_progress(done: int, total: int | None) -> None:
        seen.append(threading.current_thread().name)

    async def report(callback: Any) -> None:
        await callback(1, 2)

    portal.call(report, offloaded(on_progress))
    assert seen and seen[0] != "test-portal"

    async def already_async(done: int, total: int | None) -> None:
        pass

    assert offloaded(already_async) is already_async
    assert offloaded(None) is None
