"""The raw-response path: the same calls, returning headers and status beside the parsed value.

``client.videos.with_raw_response.retrieve(id)`` runs exactly the code of
``client.videos.retrieve(id)``; a context variable set around the call collects the
HTTP response it parsed, so no method is written twice.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable, Mapping
from contextvars import ContextVar
from typing import Generic, ParamSpec, TypeVar

import attrs

from .._providers.openai.protocol import Response

__all__ = ["RawResponse", "capture", "record", "with_raw"]

T = TypeVar("T")
P = ParamSpec("P")

_capture: ContextVar[list[Response] | None] = ContextVar("videoclient_raw_capture", default=None)


def record(resp: Response) -> None:
    """Remember ``resp`` for an enclosing :func:`with_raw` call, if there is one."""
    holder = _capture.get()
    if holder is not None:
        holder.append(resp)


def capture() -> list[Response] | None:
    return _capture.get()


@attrs.frozen
class RawResponse(Generic[T]):
    """A parsed value with the HTTP response it came from.

    Attributes:
        status_code: The HTTP status of the final response.
        headers: Its headers, lower-cased (e.g. ``x-ratelimit-remaining-requests``).
        request_id: Its ``x-request-id``.
    """

    _value: T
    status_code: int
    headers: Mapping[str, str]

    @property
    def request_id(self) -> str | None:
        return self.headers.get("x-request-id")

    def parse(self) -> T:
        """The value the plain method would have returned."""
        return self._value


def with_raw(fn: Callable[P, Awaitable[T]]) -> Callable[P, Awaitable[RawResponse[T]]]:
    """Wrap an API coroutine so it returns a :class:`RawResponse` of its result."""

    async def call(*args: P.args, **kwargs: P.kwargs) -> RawResponse[T]:
        holder: list[Response] = []
        token = _capture.set(holder)
        try:
            value = await fn(*args, **kwargs)
        finally:
            _capture.reset(token)
        last = holder[-1]
        return RawResponse(value, last.status, last.headers)

    functools.update_wrapper(call, fn)
    return call
