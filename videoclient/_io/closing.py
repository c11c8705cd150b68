"""The block a client's close ends: one cancel scope per attempt, read as "the client is closed"."""

from __future__ import annotations

from collections.abc import Callable
from types import TracebackType
from typing import TYPE_CHECKING

import anyio

from .._sansio.errors import APIConnectionError
from .stream import safe

if TYPE_CHECKING:
    from yarl import URL

    from .._sansio.http import Request
    from .._sansio.options import CallOptions

__all__ = ["EndedByClose"]


class EndedByClose:
    """A cancel scope that :meth:`Transport.close` cancels, turned into "the client is closed".

    ``inflight`` is the transport's set of open scopes (close cancels them); ``url`` gives
    the request's URL for the message.
    """

    __slots__ = ("_inflight", "_opts", "_req", "_scope", "_url")

    def __init__(
        self,
        inflight: set[anyio.CancelScope],
        url: Callable[[Request, CallOptions], URL],
        req: Request,
        opts: CallOptions,
    ) -> None:
        self._inflight = inflight
        self._url = url
        self._req = req
        self._opts = opts
        self._scope = anyio.CancelScope()

    def __enter__(self) -> None:
        self._inflight.add(self._scope)
        self._scope.__enter__()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> bool:
        try:
            swallowed = self._scope.__exit__(exc_type, exc, tb)
        finally:
            self._inflight.discard(self._scope)
        if self._scope.cancelled_caught:
            url = safe(self._url(self._req, self._opts))
            raise APIConnectionError("the client is closed", method=self._req.method, url=url)
        return bool(swallowed)
