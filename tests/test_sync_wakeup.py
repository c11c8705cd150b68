"""How a thread waiting for the sync client's loop is woken: one waker per thread, a wake
never lost, no descriptor left behind; and the portal's loop is the event loop policy's."""

from __future__ import annotations

import asyncio
import gc
import os
import queue
import sys
import threading
from collections.abc import Iterator

import anyio
import anyio.lowlevel
import pytest

from videoclient._sync import wakeup as _wakeup
from videoclient._sync.portal import Portal
from videoclient._sync.wakeup import Waker, _FdWaker, _LockWaker, thread_waker

LONG = 600.0  # only a wake ends a sleep this long before the per-test timeout (120 s)


@pytest.fixture
def portal() -> Iterator[Portal]:
    p = Portal(name="test-wakeup")
    try:
        yield p
    finally:
        p.shutdown()


def _kinds() -> list[type[Waker]]:
    kinds: list[type[Waker]] = [_LockWaker]
    if sys.platform != "win32":
        kinds.append(_FdWaker)
    return kinds


@pytest.mark.parametrize("kind", _kinds(), ids=lambda k: k.__name__)
def test_a_wake_sent_before_the_sleep_is_kept(kind: type[Waker]) -> None:
    """Wakes sent while the owner is not sleeping end its next sleep (all of them at once)."""
    waker = kind()
    waker.wake()
    waker.wake()
    waker.sleep(LONG)
    if isinstance(waker, _FdWaker):
        assert waker._poll.poll(0) == []  # both wakes were consumed by that one sleep


@pytest.mark.parametrize("kind", _kinds(), ids=lambda k: k.__name__)
def test_a_wake_from_another_thread_ends_a_sleep(kind: type[Waker]) -> None:
    """A thread sleeping on its waker is woken by another thread's wake()."""
    waker = kind()
    asleep = threading.Event()
    done = threading.Event()

    def sleeper() -> None:
        asleep.set()
        waker.sleep(LONG)
        done.set()

    thread = threading.Thread(target=sleeper)
    thread.start()
    assert asleep.wait(10)
    waker.wake()
    thread.join(10)
    assert done.is_set()


def test_each_thread_has_its_own_waker() -> None:
    """thread_waker() is the same object within a thread and a different one in another."""
    mine = thread_waker()
    assert thread_waker() is mine
    theirs: queue.Queue[Waker] = queue.Queue()
    thread = threading.Thread(target=lambda: theirs.put(thread_waker()))
    thread.start()
    thread.join(10)
    assert theirs.get_nowait() is not mine


@pytest.mark.skipif(sys.platform == "win32", reason="Windows always uses the lock waker")
def test_threads_beyond_the_descriptor_cap_get_a_lock_waker(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Once MAX_FD_WAKERS threads hold a descriptor waker, new threads get a lock one."""
    thread_waker()  # this thread's, so that at least one is counted
    monkeypatch.setattr(_wakeup, "MAX_FD_WAKERS", _wakeup._fd_wakers)
    theirs: queue.Queue[Waker] = queue.Queue()
    thread = threading.Thread(target=lambda: theirs.put(thread_waker()))
    thread.start()
    thread.join(10)
    assert isinstance(theirs.get_nowait(), _LockWaker)


@pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="counts /proc/self/fd")
def test_threads_that_called_leave_no_descriptor_behind(portal: Portal) -> None:
    """Threads that made calls and ended leave no file descriptor open."""

    async def double(x: int) -> int:
        await anyio.lowlevel.checkpoint()
        return 2 * x

    assert portal.call(double, 1) == 2  # the loop's own descriptors exist from here on
    before = len(os.listdir("/proc/self/fd"))
    results: list[int] = []

    def caller(i: int) -> None:
        results.append(portal.call(double, i))

    threads = [threading.Thread(target=caller, args=(i,)) for i in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    gc.collect()
    assert sorted(results) == [2 * i for i in range(10)]
    assert len(os.listdir("/proc/self/fd")) == before


def test_many_threads_calling_at_once_all_get_their_own_results(portal: Portal) -> None:
    """8 threads x 100 calls that suspend on the loop: each call returns its own value."""

    async def echo(x: tuple[int, int]) -> tuple[int, int]:
        await anyio.lowlevel.checkpoint()
        return x

    wrong: list[object] = []

    def caller(t: int) -> None:
        for i in range(100):
            got = portal.call(echo, (t, i))
            if got != (t, i):
                wrong.append(got)

    threads = [threading.Thread(target=caller, args=(t,)) for t in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not any(thread.is_alive() for thread in threads)
    assert wrong == []


@pytest.mark.skipif(sys.version_info >= (3, 14), reason="event loop policies are deprecated")
def test_a_custom_event_loop_policy_is_respected() -> None:
    """A user's event loop policy (uvloop, say) still makes the portal's loop."""

    class MarkedLoop(asyncio.SelectorEventLoop):
        pass

    class Policy(asyncio.DefaultEventLoopPolicy):
        def new_event_loop(self) -> asyncio.AbstractEventLoop:
            return MarkedLoop()

    async def loop_type() -> type:
        return type(asyncio.get_running_loop())

    saved = asyncio.get_event_loop_policy()
    asyncio.set_event_loop_policy(Policy())
    p = Portal(name="test-policy")
    try:
        assert p.call(loop_type) is MarkedLoop
    finally:
        p.shutdown()
        asyncio.set_event_loop_policy(saved)
