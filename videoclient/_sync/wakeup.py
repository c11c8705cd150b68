"""Waking a thread that waits for the event loop's thread, without a second trip through the GIL.

A thread blocked in the sync client sleeps until the loop thread says its call is over.
How it is woken matters more than anything else in the sync client's per-call cost:

- ``threading.Lock.release()`` (and so ``Event``, ``Condition``, ``Future``) wakes the
  sleeper *while the waker still holds the GIL*. The kernel often runs the woken thread
  at once on the waker's CPU; it finds the GIL taken and sleeps again, and the waker
  has to be scheduled back to release it: two more context switches per call (measured:
  about 5.7 switches per loop round trip, against 2 with a file descriptor).
- ``os.write`` on an eventfd (Linux) or a pipe releases the GIL *before* the system
  call that wakes the sleeper, which then finds the GIL free.

So each thread that waits gets one :class:`Waker` (an eventfd, else a pipe, polled with
a timeout so that signals still reach the main thread), made on first use, closed when
the thread is gone and nothing refers to it any more. Where ``select.poll`` is missing
(Windows), and for threads beyond :data:`MAX_FD_WAKERS`, a lock stands in.

A wake that arrives while its thread is not sleeping is kept for the next
:meth:`Waker.sleep` (one, however many arrived), and a sleep may end early: callers
re-check their condition around every sleep, and set it before they wake.
"""

from __future__ import annotations

import abc
import os
import select
import sys
import threading
from collections.abc import Callable

__all__ = ["Waker", "thread_waker"]


class Waker(abc.ABC):
    """One thread's alarm: any thread may :meth:`wake` it; only its owner :meth:`sleep` s."""

    __slots__ = ()

    @abc.abstractmethod
    def wake(self) -> None:
        """Wake the owner, now or at its next :meth:`sleep`."""

    @abc.abstractmethod
    def sleep(self, timeout: float) -> None:
        """Sleep until woken (or a wake is pending) or ``timeout`` seconds passed.

        A signal handler that raises (Ctrl-C) ends the sleep with its exception.
        """


#: At most this many threads get a descriptor-based waker at a time (an eventfd is one
#: descriptor, a pipe two); threads beyond it use a lock: correct, a little slower, and
#: a pool of a thousand threads cannot run the process out of descriptors. The count is
#: kept without a lock (a lock here could be held across ``os.fork()`` or re-entered by
#: a ``__del__`` run by the garbage collector), so it is approximate, by a few at most.
MAX_FD_WAKERS = 256

_fd_wakers = 0


class _FdWaker(Waker):
    """An eventfd (Linux) or a non-blocking pipe, polled by its owner."""

    __slots__ = ("_one", "_poll", "_read", "_size", "_write")

    def __init__(self) -> None:
        if hasattr(os, "eventfd"):
            fd = os.eventfd(0, os.EFD_CLOEXEC | os.EFD_NONBLOCK)
            self._read = self._write = fd
            self._one = (1).to_bytes(8, sys.byteorder)
            self._size = 8  # one read returns (and resets) the whole counter
        else:  # pragma: no cover - other POSIX systems
            self._read, self._write = os.pipe()  # not inheritable (PEP 446)
            os.set_blocking(self._read, False)
            os.set_blocking(self._write, False)
            self._one = b"\0"
            self._size = 4096
        self._poll = select.poll()
        self._poll.register(self._read, select.POLLIN)

    def wake(self) -> None:
        try:  # noqa: SIM105 - per call: cheaper than contextlib.suppress
            os.write(self._write, self._one)
        except BlockingIOError:  # pragma: no cover - full: a wake is pending anyway
            pass

    def sleep(self, timeout: float) -> None:
        if self._poll.poll(timeout * 1000.0):
            try:  # noqa: SIM105 - per call: cheaper than contextlib.suppress
                os.read(self._read, self._size)
            except BlockingIOError:  # pragma: no cover - drained by a racing read
                pass

    def __del__(self, _close: Callable[[int], None] = os.close) -> None:
        # Only when unreachable: no job refers to it, so no write can reach a reused fd.
        # Defaults and builtins only: at interpreter exit this module's globals may be gone.
        global _fd_wakers
        fds = {getattr(self, "_read", -1), getattr(self, "_write", -1)} - {-1}
        if not fds:  # pragma: no cover - __init__ failed: never counted
            return
        for fd in fds:
            try:  # noqa: SIM105 - contextlib may be gone at interpreter exit
                _close(fd)
            except OSError:  # pragma: no cover
                pass
        try:  # noqa: SIM105 - contextlib may be gone at interpreter exit
            _fd_wakers -= 1
        except TypeError:  # pragma: no cover - interpreter exit: the counter is gone
            pass


class _LockWaker(Waker):
    """A lock, held while no wake is pending (where ``select.poll`` is missing, and for
    threads beyond :data:`MAX_FD_WAKERS`)."""

    __slots__ = ("_lock",)

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._lock.acquire()

    def wake(self) -> None:
        try:  # noqa: SIM105 - per call: cheaper than contextlib.suppress
            self._lock.release()
        except RuntimeError:  # not held: a wake is pending already
            pass

    def sleep(self, timeout: float) -> None:
        self._lock.acquire(timeout=timeout)


def _new_waker() -> Waker:
    global _fd_wakers
    if hasattr(select, "poll") and sys.platform != "win32" and _fd_wakers < MAX_FD_WAKERS:
        try:
            waker = _FdWaker()
        except OSError:  # pragma: no cover - out of descriptors: still correct, slower
            pass
        else:
            _fd_wakers += 1
            return waker
    return _LockWaker()


_local = threading.local()


def thread_waker() -> Waker:
    """The calling thread's :class:`Waker`, made on first use."""
    try:
        waker: Waker = _local.waker
    except AttributeError:
        waker = _local.waker = _new_waker()
    return waker


def _forget_after_fork() -> None:  # pragma: no cover - runs in a forked child
    # The child must not share the parent's descriptors: a wake meant for one would be
    # consumed by the other.
    global _local
    _local = threading.local()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_after_fork)
