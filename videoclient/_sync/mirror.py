"""Sync methods made from async ones: each sync twin is one line, and no body is written twice.

A sync twin class derives from :class:`SyncMirror` (which holds the async object and the
:class:`~videoclient._sync.portal.Portal` that drives it) and lists its methods as::

    class Videos(SyncMirror):
        create = sync_method(AsyncVideos.create)                  # a coroutine -> its result
        as_completed = sync_iterator(AsyncVideos.as_completed)    # async iterable -> iterator
        list = sync_adapted(AsyncVideos.list, to_pager)           # async object -> its sync twin
        stream_content = sync_context(AsyncVideos.stream_content, to_stream)  # async with -> with

Each factory is typed ``Callable[Concatenate[AsyncX, P], Awaitable[T]] ->
Callable[Concatenate[SyncMirror, P], T]`` (and so on), so mypy sees the same parameters
and the sync return type. The result is a plain function carrying the async method's name,
docstring and (through ``__wrapped__``) its signature, so ``help()`` and
``inspect.signature`` show the real parameters.
"""

from __future__ import annotations

import asyncio
import functools
import inspect
from collections.abc import AsyncIterable, Awaitable, Callable, Iterator
from contextlib import AbstractAsyncContextManager
from typing import Any, Concatenate, ParamSpec, TypeVar, overload

import anyio

from .portal import BlockingContextManager, Portal, callback_of

__all__ = [
    "SyncMirror",
    "offloaded",
    "sync_adapted",
    "sync_context",
    "sync_iterator",
    "sync_method",
]

P = ParamSpec("P")
T = TypeVar("T")
A = TypeVar("A")
R = TypeVar("R")


class SyncMirror:
    """Base of a sync twin: the async object it drives and the portal that drives it.

    Args:
        async_obj: The async object whose methods the twin's methods call.
        portal: The event loop they run on.
        owner: Kept alive as long as this object: the client that owns ``portal``, so
            that its finalizer cannot stop the loop while a namespace, a pager or a
            stream is still in use.
    """

    def __init__(self, async_obj: Any, portal: Portal, owner: object = None) -> None:
        self._async = async_obj
        self._portal = portal
        self._owner = owner

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        for name, value in vars(cls).items():
            if getattr(value, "__videoclient_sync__", False):
                value.__qualname__ = f"{cls.__qualname__}.{name}"
                value.__module__ = cls.__module__


def _twin(afn: Callable[..., Any], method: Callable[..., Any]) -> None:
    functools.update_wrapper(method, afn, assigned=("__name__", "__doc__"))
    method.__videoclient_sync__ = True  # type: ignore[attr-defined]


def _marked(loop: asyncio.AbstractEventLoop, callback: Any, args: tuple[Any, ...]) -> Any:
    """Call ``callback(*args)`` in a worker thread marked as running a callback for ``loop``."""
    callback_of.loop = loop
    try:
        return callback(*args)
    finally:
        callback_of.loop = None


def offloaded(callback: Any) -> Any:
    """``callback``, made to run in a worker thread whenever the loop calls it.

    A sync callback given to the sync client (``on_progress``) is called from anyio's
    worker threads, never on the loop itself: a slow one cannot stall other calls, and it
    may itself use the sync client. The operation waits for it before going on.
    Coroutine functions, and anything not callable (which the async method then
    rejects), are returned as they are.
    """
    if not callable(callback) or inspect.iscoroutinefunction(callback):
        return callback

    @functools.wraps(callback)
    async def in_worker(*args: Any) -> None:
        loop = asyncio.get_running_loop()
        result = await anyio.to_thread.run_sync(_marked, loop, callback, args)
        if inspect.isawaitable(result):
            await result

    return in_worker


def sync_method(
    afn: Callable[Concatenate[Any, P], Awaitable[T]], *, offload: tuple[str, ...] = ()
) -> Callable[Concatenate[SyncMirror, P], T]:
    """A sync method that awaits ``afn`` (an async method) on the portal's loop.

    Args:
        afn: The async method, taken from its class (``AsyncVideos.create``).
        offload: Names of callback keyword arguments to run in worker threads
            (see :func:`offloaded`).
    """

    def method(self: SyncMirror, /, *args: P.args, **kwargs: P.kwargs) -> T:
        for name in offload:
            if name in kwargs:
                kwargs[name] = offloaded(kwargs[name])
        return self._portal.call(afn, self._async, *args, **kwargs)

    _twin(afn, method)
    return method


def sync_iterator(
    afn: Callable[Concatenate[Any, P], AsyncIterable[T]],
) -> Callable[Concatenate[SyncMirror, P], Iterator[T]]:
    """A sync method returning an iterator over what ``afn`` returns (an async iterable).

    ``afn`` is called in the calling thread, so argument errors are raised at once; the
    async iterator then runs in one task on the loop, one item per ``next()``.
    """

    def method(self: SyncMirror, /, *args: P.args, **kwargs: P.kwargs) -> Iterator[T]:
        return self._portal.iterate(afn(self._async, *args, **kwargs), keepalive=self)

    _twin(afn, method)
    return method


def sync_adapted(
    afn: Callable[Concatenate[Any, P], A], adapt: Callable[[SyncMirror, A], R]
) -> Callable[Concatenate[SyncMirror, P], R]:
    """A sync method returning ``adapt(self, afn(...))``, for a plain (not async) ``afn``.

    For methods that hand back an async object without doing I/O (``list`` returns an
    ``AsyncPager``): ``adapt`` wraps the object in its sync twin.
    """

    def method(self: SyncMirror, /, *args: P.args, **kwargs: P.kwargs) -> R:
        return adapt(self, afn(self._async, *args, **kwargs))

    _twin(afn, method)
    return method


@overload
def sync_context(
    afn: Callable[Concatenate[Any, P], AbstractAsyncContextManager[A]],
) -> Callable[Concatenate[SyncMirror, P], BlockingContextManager[A, A]]: ...


@overload
def sync_context(
    afn: Callable[Concatenate[Any, P], AbstractAsyncContextManager[A]],
    adapt: Callable[[SyncMirror, A], R],
) -> Callable[Concatenate[SyncMirror, P], BlockingContextManager[A, R]]: ...


def sync_context(
    afn: Callable[Concatenate[Any, P], AbstractAsyncContextManager[A]],
    adapt: Callable[[SyncMirror, A], Any] | None = None,
) -> Callable[Concatenate[SyncMirror, P], BlockingContextManager[A, Any]]:
    """A sync method returning a ``with`` context manager made from ``afn``'s async one.

    ``afn`` is called in the calling thread; its async context manager is entered and
    exited in one task on the loop, and ``with`` gives ``adapt(self, value)`` (the value
    itself without ``adapt``).
    """

    def method(self: SyncMirror, /, *args: P.args, **kwargs: P.kwargs) -> Any:
        acm = afn(self._async, *args, **kwargs)
        convert: Callable[[A], Any] = (
            (lambda value: value) if adapt is None else functools.partial(adapt, self)
        )
        return BlockingContextManager(self._portal, acm, convert, keepalive=self)

    _twin(afn, method)
    return method
