"""The session: all an operation may touch of its client.

An :class:`~videoclient.AsyncVideoClient` is a facade over one :class:`Session`; the
operation classes (``client.videos``) receive the session, never the client, so no
module of this package reaches into the client's private members, and the import graph
has no cycle.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any

from .._io import clock
from .._sansio.adapter import Provider, require
from .._sansio.config import ClientConfig
from .._sansio.errors import APIConnectionError
from .._sansio.inline import RecentAnswers
from .._sansio.loops import LoopWatch
from .._sansio.options import CallOptions, resolve_options

if TYPE_CHECKING:
    from .._io.transport import Transport

__all__ = ["Session", "guarded"]

#: Set inside the client's own loops (waits, batches): only their calls count against the
#: loop guard. A caller's own calls never do: a web service that retrieves a popular job
#: for each of its requests is not a runaway loop.
_GUARDED: ContextVar[bool] = ContextVar("videoclient_loop_guarded", default=False)


@contextlib.contextmanager
def guarded() -> Iterator[None]:
    """Count the calls made in this block (and the tasks it starts) against the loop guard."""
    token = _GUARDED.set(True)
    try:
        yield
    finally:
        _GUARDED.reset(token)


class Session:
    """The configuration, its resolved default options, the provider and the transport.

    ``answers`` holds the last finished answers of a provider whose content comes inline
    (Vertex), for the download that follows the poll which read them.

    The transport (and with it aiohttp) is created on the first request, inside the
    running event loop; once the session is closed it is never created again.
    """

    __slots__ = (
        "_loops",
        "_transport",
        "answers",
        "closed",
        "config",
        "default_options",
        "list_refused",
        "provider",
    )

    def __init__(self, config: ClientConfig, provider: Provider) -> None:
        self.config = config
        self.provider = provider
        # Most calls pass no options: their CallOptions (frozen) is worked out once.
        self.default_options = resolve_options(config, {})
        self.closed = False
        self.answers = RecentAnswers()
        self._transport: Transport | None = None
        guard = config.loop_guard
        self._loops = LoopWatch(guard) if guard is not None else None
        #: The list endpoint answered a 4xx meaning "no list here" (a gateway): many-job
        #: waits of this session refresh each job by retrieve from then on.
        self.list_refused = False

    @property
    def base_url(self) -> str:
        return self.config.base_url

    @property
    def transport_if_open(self) -> Transport | None:
        """The transport, if one was made (for tests and the client's repr)."""
        return self._transport

    def options(self, options: Mapping[str, Any]) -> CallOptions:
        """The call's options merged over the client's (TypeError for unknown names)."""
        if not options:
            return self.default_options
        return resolve_options(self.config, options)

    def require(self, operation: str) -> None:
        """UnsupportedOperationError (before any request) unless the provider has ``operation``."""
        require(self.provider, operation)

    def watch(self, *key: str) -> None:
        """Count a call about ``key`` against the loop guard (before it is sent), when it
        is made by one of the client's own loops (:func:`guarded`).

        Raises:
            RequestLoopError: Too many calls about ``key`` within the guard's window.
        """
        if self._loops is not None and _GUARDED.get():
            self._loops.note(key, clock.now())

    def progressed(self, *key: str, prefix: bool = False) -> None:
        """What ``key`` is about moved on (a job's status or progress changed)."""
        if self._loops is not None:
            self._loops.progressed(key, prefix=prefix)

    def transport(self) -> Transport:
        """The transport, created on first use."""
        if self._transport is None:
            if self.closed:
                raise APIConnectionError("the client is closed")
            from .._io.transport import Transport  # aiohttp is imported here, on first use

            self._transport = Transport(self.config, self.provider)
        return self._transport

    def abandon(self) -> None:
        """In a forked child: unusable from now on, without closing the parent's connections."""
        self.closed = True
        self.answers.clear()
        if self._transport is not None:
            self._transport.abandon()

    async def close(self) -> None:
        """Close the HTTP session; idempotent."""
        self.closed = True
        self.answers.clear()
        if self._transport is not None:
            await self._transport.close()
