"""AsyncVideoClient and its ``videos`` namespace: drive the pure protocol over the transport."""

from __future__ import annotations

import os
from collections.abc import Mapping
from types import TracebackType
from typing import TYPE_CHECKING

from .._providers.openai import OPENAI
from .._providers.runway import RUNWAY
from .._providers.runway import auth as runway_auth
from .._providers.vertex import VertexProvider
from .._providers.vertex import auth as vertex_auth
from .._sansio.adapter import Provider
from .._sansio.config import (
    DEFAULT_TIMEOUT,
    ClientConfig,
    CreateRetry,
    Secret,
    SSLOption,
    Timeout,
    TokenProvider,
)
from .._sansio.creates import is_conservative
from .._sansio.loops import DEFAULT_LOOP_GUARD, LoopGuard
from .generate import GenerateOperations
from .raw import with_raw
from .session import Session

if TYPE_CHECKING:
    from typing_extensions import Self

    from .._io.transport import Transport

__all__ = ["AsyncVideoClient", "AsyncVideos", "AsyncVideosWithRawResponse"]


class AsyncVideoClient:
    """An asyncio client for the Videos API.

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

    Use it as ``async with AsyncVideoClient() as client:`` or call :meth:`close`.
    The HTTP session is created on the first request, inside the running loop, and
    belongs to that loop.
    """

    def __init__(
        self,
        api_key: str | None = None,
        *,
        base_url: str | None = None,
        organization: str | None = None,
        project: str | None = None,
        timeout: Timeout | float | None = DEFAULT_TIMEOUT,
        max_retries: int = 2,
        create_retry: CreateRetry | None = None,
        loop_guard: LoopGuard | None = DEFAULT_LOOP_GUARD,
        default_headers: Mapping[str, str] | None = None,
        default_query: Mapping[str, str] | None = None,
        max_connections: int = 100,
        max_connections_per_host: int = 0,
        ssl: SSLOption = None,
    ) -> None:
        config = ClientConfig.from_env(
            api_key=api_key,
            base_url=base_url,
            organization=organization,
            project=project,
            timeout=Timeout.coerce(timeout),
            max_retries=max_retries,
            create_retry=create_retry,
            loop_guard=loop_guard,
            default_headers=default_headers,
            default_query=default_query,
            max_connections=max_connections,
            max_connections_per_host=max_connections_per_host,
            ssl=ssl,
        )
        self._init(config)

    def _init(self, config: ClientConfig) -> None:
        self._config = config
        self._session = Session(config, _provider_for(config))
        self.videos = AsyncVideos(self._session)

    @classmethod
    def from_config(cls, config: ClientConfig) -> Self:
        """A client for an explicit :class:`ClientConfig` (no environment lookup)."""
        self = cls.__new__(cls)
        self._init(config)
        return self

    @classmethod
    def azure(
        cls,
        *,
        endpoint: str | None = None,
        api_key: str | None = None,
        token_provider: TokenProvider | None = None,
        api_version: str | None = None,
        timeout: Timeout | float | None = DEFAULT_TIMEOUT,
        max_retries: int = 2,
        create_retry: CreateRetry | None = None,
        loop_guard: LoopGuard | None = DEFAULT_LOOP_GUARD,
        default_headers: Mapping[str, str] | None = None,
        default_query: Mapping[str, str] | None = None,
        max_connections: int = 100,
        ssl: SSLOption = None,
    ) -> Self:
        """A client for an Azure-style endpoint (``{endpoint}/openai/v1``).

        Sends ``api-key: KEY`` (default ``AZURE_OPENAI_API_KEY``), or
        ``Authorization: Bearer <token>`` from ``token_provider`` (sync or async,
        called before every request), and ``api-version`` when given.

        Args:
            endpoint: ``https://NAME.openai.azure.com``; defaults to ``AZURE_OPENAI_ENDPOINT``.
            api_key: The resource key.
            token_provider: A callable returning an Entra ID token, instead of a key.
            api_version: Sent as the ``api-version`` query parameter when given.
        """
        if api_key is not None and token_provider is not None:
            raise ValueError("pass api_key or token_provider, not both")
        endpoint = endpoint or os.environ.get("AZURE_OPENAI_ENDPOINT")
        if not endpoint:
            raise ValueError("endpoint is required (or set AZURE_OPENAI_ENDPOINT)")
        base = endpoint.rstrip("/")
        if not base.endswith("/openai/v1"):
            base += "/openai/v1"
        key = api_key if token_provider is None else None
        if key is None and token_provider is None:
            key = os.environ.get("AZURE_OPENAI_API_KEY")
        config = ClientConfig(
            base_url=base,
            api_key=Secret(key) if key else None,
            token_provider=token_provider,
            auth_style="azure",
            api_version=api_version,
            timeout=Timeout.coerce(timeout),
            max_retries=max_retries,
            create_retry=create_retry,
            loop_guard=loop_guard,
            default_headers=default_headers,
            default_query=default_query,
            max_connections=max_connections,
            ssl=ssl,
            key_env_var="AZURE_OPENAI_API_KEY",
        )
        return cls.from_config(config)

    @classmethod
    def runway(
        cls,
        api_key: str | None = None,
        *,
        base_url: str | None = None,
        api_version: str = runway_auth.API_VERSION,
        timeout: Timeout | float | None = DEFAULT_TIMEOUT,
        max_retries: int = 2,
        create_retry: CreateRetry | None = None,
        loop_guard: LoopGuard | None = DEFAULT_LOOP_GUARD,
        default_headers: Mapping[str, str] | None = None,
        default_query: Mapping[str, str] | None = None,
        max_connections: int = 100,
        ssl: SSLOption = None,
    ) -> Self:
        """A client for Runway's API, behind the same ``client.videos``.

        Sends ``Authorization: Bearer KEY`` and ``X-Runway-Version`` on every request.
        Runway has no list, remix, edit, extend or characters (those raise
        :class:`~videoclient.UnsupportedOperationError` before any request); ``delete``
        cancels a pending or running task. Downloads fetch the task's signed output URL
        with no credential, and read the task again for a fresh URL once if it expired.
        Waits poll no more often than every 5 s unless ``poll_interval`` is given.

        Args:
            api_key: The key; defaults to ``RUNWAYML_API_SECRET``.
            base_url: The API root; defaults to ``RUNWAYML_BASE_URL``, else
                ``https://api.dev.runwayml.com`` (paths are ``/v1/...`` below it).
            api_version: Sent as ``X-Runway-Version``.

        .. versionadded:: 0.1.0
        """
        key = api_key if api_key is not None else os.environ.get(runway_auth.KEY_ENV_VAR)
        url = (
            base_url or os.environ.get(runway_auth.BASE_URL_ENV_VAR) or runway_auth.DEFAULT_BASE_URL
        )
        config = ClientConfig(
            base_url=url.rstrip("/"),
            api_key=Secret(key) if key else None,
            api_version=api_version,
            timeout=Timeout.coerce(timeout),
            max_retries=max_retries,
            create_retry=create_retry,
            loop_guard=loop_guard,
            default_headers=default_headers,
            default_query=default_query,
            max_connections=max_connections,
            ssl=ssl,
            key_env_var=runway_auth.KEY_ENV_VAR,
            provider="runway",
        )
        return cls.from_config(config)

    @classmethod
    def vertex(
        cls,
        api_key: str | None = None,
        *,
        project: str | None = None,
        location: str | None = None,
        token_provider: TokenProvider | None = None,
        base_url: str | None = None,
        timeout: Timeout | float | None = DEFAULT_TIMEOUT,
        max_retries: int = 2,
        create_retry: CreateRetry | None = None,
        loop_guard: LoopGuard | None = DEFAULT_LOOP_GUARD,
        default_headers: Mapping[str, str] | None = None,
        default_query: Mapping[str, str] | None = None,
        max_connections: int = 100,
        max_json_bytes: int = 512 * 1024 * 1024,
        ssl: SSLOption = None,
    ) -> Self:
        """A client for Veo on Vertex AI, behind the same ``client.videos``.

        Express mode: an API key (``GOOGLE_API_KEY``) sent as ``x-goog-api-key``. Project
        mode: ``project`` and ``location`` (``GOOGLE_CLOUD_PROJECT``,
        ``GOOGLE_CLOUD_LOCATION``) with a ``token_provider`` (sync or async callable
        returning an OAuth2 access token, called before every request) sent as
        ``Authorization: Bearer``. Job ids are operation names. Vertex has no list,
        delete, remix, edit, extend or characters (``UnsupportedOperationError`` before
        any request). ``download`` decodes the inline base64 video straight into the file:
        from the answer of the poll that saw the operation done (the client keeps its two
        latest such answers for 60 s), else from the operation fetched again and streamed.

        Args:
            api_key: Express mode's key.
            project, location: Project mode's resource.
            token_provider: Project mode's token source (instead of a key).
            base_url: The API root; defaults to ``GOOGLE_VERTEX_BASE_URL``, else
                ``https://{location}-aiplatform.googleapis.com`` (project mode) or
                ``https://aiplatform.googleapis.com`` (express).
            max_json_bytes: Largest answer read whole: a finished operation carries the
                video inline (the base64 is cut out before parsing).

        .. versionadded:: 0.1.0
        """
        if api_key is not None and token_provider is not None:
            raise ValueError(
                "pass api_key (express mode) or token_provider (project mode), not both"
            )
        env = os.environ
        if token_provider is not None or project is not None:
            project = project or env.get(vertex_auth.PROJECT_ENV_VAR)
            location = location or env.get(vertex_auth.LOCATION_ENV_VAR)
            if not project or not location:
                raise ValueError(
                    "project mode needs project= and location= (or GOOGLE_CLOUD_PROJECT and "
                    "GOOGLE_CLOUD_LOCATION)"
                )
            key = api_key
        else:
            key = api_key if api_key is not None else env.get(vertex_auth.KEY_ENV_VAR)
            location = None
        url = (
            base_url or env.get(vertex_auth.BASE_URL_ENV_VAR) or vertex_auth.base_url_for(location)
        )
        config = ClientConfig(
            base_url=url.rstrip("/"),
            api_key=Secret(key) if key else None,
            token_provider=token_provider,
            project=project,
            location=location,
            timeout=Timeout.coerce(timeout),
            max_retries=max_retries,
            create_retry=create_retry,
            loop_guard=loop_guard,
            default_headers=default_headers,
            default_query=default_query,
            max_connections=max_connections,
            max_json_bytes=max_json_bytes,
            ssl=ssl,
            key_env_var=vertex_auth.KEY_ENV_VAR,
            provider="vertex",
        )
        return cls.from_config(config)

    @property
    def provider(self) -> str:
        """The API this client speaks: ``"openai"``, ``"runway"`` or ``"vertex"``."""
        return self._config.provider

    @property
    def create_retry(self) -> CreateRetry:
        """The create-retry policy in force: the client's ``create_retry``, else the
        provider's default (``"idempotent"`` only where the API deduplicates creates)."""
        conservative = is_conservative(
            self._config.create_retry, deduplicates=self._session.provider.deduplicates_creates
        )
        return "conservative" if conservative else "idempotent"

    @property
    def config(self) -> ClientConfig:
        """The frozen configuration this client was built with."""
        return self._config

    @property
    def base_url(self) -> str:
        """The API's base URL, e.g. ``https://api.openai.com/v1``."""
        return self._config.base_url

    @property
    def _transport(self) -> Transport | None:
        """The transport, once the first request made it (tests look at it)."""
        return self._session.transport_if_open

    def _abandon(self) -> None:
        """In a forked child: unusable from now on, without closing the parent's connections."""
        self._session.abandon()

    async def close(self) -> None:
        """Close the HTTP session. Idempotent; the client cannot be used afterwards."""
        await self._session.close()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    def __repr__(self) -> str:
        return f"{type(self).__name__}(base_url={self._config.base_url!r})"


#: The pure package of each API, by :attr:`ClientConfig.provider`.
_PROVIDERS: dict[str, Provider] = {"openai": OPENAI, "runway": RUNWAY}


def _provider_for(config: ClientConfig) -> Provider:
    if config.provider == "vertex":
        return VertexProvider.for_config(config)
    return _PROVIDERS[config.provider]


class AsyncVideos(GenerateOperations):
    """``client.videos``: every operation of the Videos API."""

    @property
    def with_raw_response(self) -> AsyncVideosWithRawResponse:
        """The same methods, returning :class:`RawResponse` (status, headers, ``parse()``)."""
        return AsyncVideosWithRawResponse(self)


class AsyncVideosWithRawResponse:
    """``client.videos.with_raw_response``: each method returns a :class:`RawResponse`."""

    def __init__(self, videos: AsyncVideos) -> None:
        self.create = with_raw(videos.create)
        self.retrieve = with_raw(videos.retrieve)
        self.list_page = with_raw(videos.list_page)
        self.delete = with_raw(videos.delete)
        self.remix = with_raw(videos.remix)
        self.edit = with_raw(videos.edit)
        self.extend = with_raw(videos.extend)
        self.create_character = with_raw(videos.create_character)
        self.get_character = with_raw(videos.get_character)
        self.download_content = with_raw(videos.download_content)
