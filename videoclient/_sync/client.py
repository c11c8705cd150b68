"""VideoClient: the blocking twin of AsyncVideoClient, made from it one line per method.

Each method below is produced from its async twin by a factory of :mod:`._mirror`, so
the parameters, defaults and docstrings are the async ones and no body is written twice.
Every call runs the async client's coroutine on one event loop that the client owns, in
a daemon thread (:class:`~._portal.Portal`): started on the first request, stopped by
:meth:`VideoClient.close`. A drift test fails when an async method has no twin here.

To mirror a new async method, add one line to the twin class:

- a coroutine: ``name = sync_method(AsyncVideos.name)`` (``offload=("on_progress",)``
  for a callback argument, which then runs in a worker thread);
- an async iterable (an async generator, or a method returning one):
  ``name = sync_iterator(AsyncVideos.name)``;
- an async context manager: ``name = sync_context(AsyncVideos.name, adapt)``, where
  ``adapt`` wraps the value ``async with`` gives in its sync twin;
- a plain method returning an async object: ``name = sync_adapted(AsyncVideos.name, adapt)``.
"""

from __future__ import annotations

import functools
import weakref
from collections.abc import Awaitable, Callable
from types import TracebackType
from typing import TYPE_CHECKING, Any, Concatenate, Generic, ParamSpec, TypeVar

from .._client.client import AsyncVideoClient, AsyncVideos
from .._client.operations import AsyncPager
from .._client.raw import RawResponse, with_raw
from .._client.transfers import ContentStream
from .._sansio.config import ClientConfig, CreateRetry
from .mirror import SyncMirror, sync_adapted, sync_context, sync_iterator, sync_method
from .portal import Portal

if TYPE_CHECKING:
    from typing_extensions import Self

__all__ = ["ContentStreamSync", "Pager", "VideoClient", "Videos", "VideosWithRawResponse"]

P = ParamSpec("P")
T = TypeVar("T")
C = TypeVar("C", bound="VideoClient")

#: Keyword arguments holding callbacks: the sync client runs them in worker threads.
_CALLBACKS = ("on_progress", "on_download_progress")


# -- values ----------------------------------------------------------------------------------


class Pager(SyncMirror):
    """Iterates every job of a listing, fetching pages by the ``after`` cursor.

    ``for video in client.videos.list(order="desc")``; ``for page in ...pages()``.
    Nothing is sent until iteration starts; each page is fetched when it is reached.
    """

    __iter__ = sync_iterator(AsyncPager.__aiter__)
    pages = sync_iterator(AsyncPager.pages)


class ContentStreamSync(SyncMirror):
    """An asset's bytes as they arrive: ``for chunk in stream``.

    Given by ``with client.videos.stream_content(video_id) as stream:``. A connection
    that breaks mid-body is resumed transparently within the call's retry budget, so the
    chunks always add up to the whole asset, in order, exactly once. Iterate it once,
    inside its ``with`` block.

    .. versionadded:: 0.1.0
    """

    __iter__ = sync_iterator(ContentStream.__aiter__)

    @property
    def content_type(self) -> str | None:
        """The Content-Type the server declared (``video/mp4``, ...)."""
        value: str | None = self._async.content_type
        return value

    @property
    def content_length(self) -> int | None:
        """The asset's size in bytes, when the server declared it."""
        value: int | None = self._async.content_length
        return value

    @property
    def etag(self) -> str | None:
        """The asset's strong ETag, when it has one."""
        value: str | None = self._async.etag
        return value

    @property
    def request_id(self) -> str | None:
        """The ``x-request-id`` of the first response."""
        value: str | None = self._async.request_id
        return value

    @property
    def bytes_read(self) -> int:
        """Bytes handed out so far."""
        value: int = self._async.bytes_read
        return value

    @property
    def resumes(self) -> int:
        """How many times a broken connection was resumed with a Range request."""
        value: int = self._async.resumes
        return value

    def __repr__(self) -> str:
        return repr(self._async).replace("ContentStream(", "ContentStreamSync(", 1)


def _pager(owner: SyncMirror, pager: AsyncPager) -> Pager:
    return Pager(pager, owner._portal, owner)


def _content_stream(owner: SyncMirror, stream: ContentStream) -> ContentStreamSync:
    return ContentStreamSync(stream, owner._portal, owner)


def _raw(
    afn: Callable[Concatenate[Any, P], Awaitable[T]],
) -> Callable[Concatenate[SyncMirror, P], RawResponse[T]]:
    """The sync raw-response twin of ``afn``: the same call, returning a RawResponse."""
    method = sync_method(with_raw(afn))
    method.__wrapped__ = afn  # type: ignore[attr-defined]  # signature: afn's parameters
    return method


# -- the videos namespace --------------------------------------------------------------------


class VideosWithRawResponse(SyncMirror):
    """``client.videos.with_raw_response``: each method returns a :class:`RawResponse`."""

    create = _raw(AsyncVideos.create)
    retrieve = _raw(AsyncVideos.retrieve)
    list_page = _raw(AsyncVideos.list_page)
    delete = _raw(AsyncVideos.delete)
    remix = _raw(AsyncVideos.remix)
    edit = _raw(AsyncVideos.edit)
    extend = _raw(AsyncVideos.extend)
    create_character = _raw(AsyncVideos.create_character)
    get_character = _raw(AsyncVideos.get_character)
    download_content = _raw(AsyncVideos.download_content)


class Videos(SyncMirror):
    """``client.videos``: every operation of the Videos API."""

    @property
    def with_raw_response(self) -> VideosWithRawResponse:
        """The same methods, returning :class:`RawResponse` (status, headers, ``parse()``)."""
        return VideosWithRawResponse(self._async, self._portal, self)

    # core operations (_client/operations.py)
    create = sync_method(AsyncVideos.create)
    retrieve = sync_method(AsyncVideos.retrieve)
    list_page = sync_method(AsyncVideos.list_page)
    list = sync_adapted(AsyncVideos.list, _pager)
    delete = sync_method(AsyncVideos.delete)
    remix = sync_method(AsyncVideos.remix)
    edit = sync_method(AsyncVideos.edit)
    extend = sync_method(AsyncVideos.extend)
    create_character = sync_method(AsyncVideos.create_character)
    get_character = sync_method(AsyncVideos.get_character)

    # waiting (_client/waiting.py)
    poll = sync_method(AsyncVideos.poll, offload=_CALLBACKS)
    create_and_poll = sync_method(AsyncVideos.create_and_poll, offload=_CALLBACKS)
    remix_and_poll = sync_method(AsyncVideos.remix_and_poll, offload=_CALLBACKS)
    edit_and_poll = sync_method(AsyncVideos.edit_and_poll, offload=_CALLBACKS)
    extend_and_poll = sync_method(AsyncVideos.extend_and_poll, offload=_CALLBACKS)
    as_completed = sync_iterator(AsyncVideos.as_completed)
    wait_all = sync_method(AsyncVideos.wait_all, offload=_CALLBACKS)

    # transfers (_client/transfers.py)
    stream_content = sync_context(AsyncVideos.stream_content, _content_stream)
    download = sync_method(AsyncVideos.download, offload=_CALLBACKS)
    download_content = sync_method(AsyncVideos.download_content)

    # all in one (_client/generate.py)
    generate = sync_method(AsyncVideos.generate, offload=_CALLBACKS)


# -- the client ------------------------------------------------------------------------------


def _mirror_init(
    ainit: Callable[Concatenate[Any, P], None],
) -> Callable[[Callable[..., None]], Callable[Concatenate[Any, P], None]]:
    """Give ``__init__`` the parameters (for mypy and ``inspect``) of ``ainit``."""

    def decorate(init: Callable[..., None]) -> Callable[Concatenate[Any, P], None]:
        init.__wrapped__ = ainit  # type: ignore[attr-defined]
        return init

    return decorate


class _MirrorConstructor(Generic[P]):
    """A classmethod of :class:`VideoClient` made from a classmethod of AsyncVideoClient."""

    def __init__(self, afactory: Callable[P, AsyncVideoClient]) -> None:
        self._afactory = afactory
        self.__doc__ = afactory.__doc__

    def __get__(self, obj: object, owner: type[C]) -> Callable[P, C]:
        afactory = self._afactory

        def build(*args: P.args, **kwargs: P.kwargs) -> C:
            return owner._wrap(afactory(*args, **kwargs))

        functools.update_wrapper(build, afactory, assigned=("__name__", "__doc__"))
        build.__qualname__ = f"{owner.__qualname__}.{build.__name__}"
        return build


class VideoClient:
    """A blocking client for the Videos API: the async client's methods, run for you.

    Takes the same arguments as :class:`~videoclient.AsyncVideoClient` and offers the
    same methods, properties and docstrings, returning results instead of coroutines:
    ``client.videos.create(...)`` returns a :class:`~videoclient.Video`, ``list()`` an
    iterable :class:`Pager`, ``as_completed()`` an iterator, and ``stream_content()`` a
    ``with`` block.

    Args:
        api_key: The key; defaults to ``OPENAI_API_KEY``. A missing key raises
            :class:`~videoclient.MissingAPIKeyError` at the first request, not here.
        base_url: Defaults to ``OPENAI_BASE_URL``, else ``https://api.openai.com/v1``.
        organization: The organization id sent with every request; defaults to ``OPENAI_ORG_ID``.
        project: The project id sent with every request; defaults to ``OPENAI_PROJECT_ID``.
        timeout: Seconds for a whole JSON request, or a :class:`~videoclient.Timeout`.
        max_retries: Retries of a failed request (connection errors, 408/409/429/5xx).
        create_retry: When a failed create may be sent again: ``"idempotent"`` (like any
            request: the server deduplicates it by ``Idempotency-Key``) or
            ``"conservative"`` (only when the failure shows it was not acted on: refused,
            429, the provider's load shedding). None: the provider's default,
            ``"idempotent"`` for OpenAI's protocol, ``"conservative"`` for Runway and Vertex.
            Choose ``"conservative"`` behind a gateway that drops the key.
        loop_guard: Calls about one job allowed within a window before
            :class:`~videoclient.RequestLoopError` (a :class:`~videoclient.LoopGuard`);
            None turns the guard off.
        default_headers: Headers sent on every request.
        default_query: Query parameters sent on every request.
        max_connections: Size of the connection pool.
        max_connections_per_host: Per-host limit (0: only the pool limit).
        ssl: An :class:`ssl.SSLContext`, a CA bundle path, or False to skip verification.

    Every call runs on one event loop that the client owns, in a background (daemon)
    thread started by the first request. So the client can be shared by many threads at
    once, and called where an event loop is already running (a Jupyter cell, an async
    function). Ctrl-C during a call cancels it cleanly (no partial file, no connection
    left open) and raises ``KeyboardInterrupt``. Callbacks (``on_progress``) run in a
    worker thread, never in the thread that called.

    Use it as ``with VideoClient() as client:`` or call :meth:`close`. A client that is
    never closed is closed when it is garbage-collected, or at interpreter exit.

    .. versionadded:: 0.1.0
    """

    @_mirror_init(AsyncVideoClient.__init__)
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._adopt(AsyncVideoClient(*args, **kwargs))

    def _adopt(self, aclient: AsyncVideoClient) -> None:
        self._async = aclient
        self._portal = Portal(name=f"videoclient-loop-{id(self):x}")
        # Runs at garbage collection or interpreter exit, whichever comes first. It holds
        # the portal and the async client, never this object.
        self._finalizer = weakref.finalize(
            self, self._portal.shutdown, aclient.close, aclient._abandon
        )
        self.videos = Videos(aclient.videos, self._portal, self)

    @classmethod
    def _wrap(cls, aclient: AsyncVideoClient) -> Self:
        self = cls.__new__(cls)
        self._adopt(aclient)
        return self

    from_config = _MirrorConstructor(AsyncVideoClient.from_config)
    azure = _MirrorConstructor(AsyncVideoClient.azure)
    runway = _MirrorConstructor(AsyncVideoClient.runway)
    vertex = _MirrorConstructor(AsyncVideoClient.vertex)

    @property
    def provider(self) -> str:
        """The API this client speaks: ``"openai"``, ``"runway"`` or ``"vertex"``."""
        return self._async.provider

    @property
    def create_retry(self) -> CreateRetry:
        """The create-retry policy in force: the client's ``create_retry``, else the
        provider's default (``"idempotent"`` only where the API deduplicates creates)."""
        return self._async.create_retry

    @property
    def config(self) -> ClientConfig:
        """The frozen configuration this client was built with."""
        return self._async.config

    @property
    def base_url(self) -> str:
        """The API's base URL, e.g. ``https://api.openai.com/v1``."""
        return self._async.base_url

    def close(self) -> None:
        """Close the HTTP session and stop the client's event loop thread.

        Idempotent and thread-safe; the client cannot be used afterwards (calls raise
        :class:`~videoclient.APIConnectionError`, and so do calls still running in
        other threads).
        """
        self._finalizer.detach()
        self._portal.shutdown(self._async.close, self._async._abandon)

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"{type(self).__name__}(base_url={self.base_url!r})"
