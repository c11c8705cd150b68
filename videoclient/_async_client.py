"""AsyncVideoClient and its ``videos`` namespace: drive the pure protocol over the transport."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Mapping
from types import TracebackType
from typing import TYPE_CHECKING, Any

from . import _protocol as proto
from ._config import DEFAULT_TIMEOUT, ClientConfig, Secret, SSLOption, Timeout, TokenProvider
from ._errors import ContentIntegrityError
from ._files import FileInput
from ._models import DeletedVideo, Video, VideoCharacter, VideoPage
from ._options import CallOptions, RequestOptions, resolve_options
from ._raw import record, with_raw

if TYPE_CHECKING:
    from typing_extensions import Self, Unpack

    from ._transport import Transport

__all__ = ["AsyncPager", "AsyncVideoClient", "AsyncVideos", "AsyncVideosWithRawResponse"]


class AsyncVideoClient:
    """An asyncio client for the Videos API.

    Args:
        api_key: The key; defaults to ``OPENAI_API_KEY``. A missing key raises
            :class:`~videoclient.MissingAPIKeyError` at the first request, not here.
        base_url: Defaults to ``OPENAI_BASE_URL``, else ``https://api.openai.com/v1``.
        organization: Sent as ``OpenAI-Organization``; defaults to ``OPENAI_ORG_ID``.
        project: Sent as ``OpenAI-Project``; defaults to ``OPENAI_PROJECT_ID``.
        timeout: Seconds for a whole JSON request, or a :class:`~videoclient.Timeout`.
        max_retries: Retries of a failed request (connection errors, 408/409/429/5xx).
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
            default_headers=default_headers,
            default_query=default_query,
            max_connections=max_connections,
            max_connections_per_host=max_connections_per_host,
            ssl=ssl,
        )
        self._init(config)

    def _init(self, config: ClientConfig) -> None:
        self._config = config
        self._transport: Transport | None = None
        self.videos = AsyncVideos(self)

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
            default_headers=default_headers,
            default_query=default_query,
            max_connections=max_connections,
            ssl=ssl,
            key_env_var="AZURE_OPENAI_API_KEY",
        )
        return cls.from_config(config)

    @property
    def config(self) -> ClientConfig:
        """The frozen configuration this client was built with."""
        return self._config

    @property
    def base_url(self) -> str:
        return self._config.base_url

    def _get_transport(self) -> Transport:
        if self._transport is None:
            from ._transport import Transport  # aiohttp is imported here, on first use

            self._transport = Transport(self._config)
        return self._transport

    def _options(self, options: Mapping[str, Any]) -> CallOptions:
        return resolve_options(self._config, options)

    async def close(self) -> None:
        """Close the HTTP session. Idempotent; the client cannot be used afterwards."""
        if self._transport is not None:
            await self._transport.close()

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


def _split_body(options: dict[str, Any]) -> Mapping[str, Any] | None:
    extra: Mapping[str, Any] | None = options.pop("extra_body", None)
    return extra


class AsyncVideos:
    """``client.videos``: every operation of the Videos API."""

    def __init__(self, client: AsyncVideoClient) -> None:
        self._client = client

    @property
    def with_raw_response(self) -> AsyncVideosWithRawResponse:
        """The same methods, returning :class:`RawResponse` (status, headers, ``parse()``)."""
        return AsyncVideosWithRawResponse(self)

    async def _call(self, req: proto.Request, cls: type[Any], options: Mapping[str, Any]) -> Any:
        opts = self._client._options(options)
        transport = self._client._get_transport()
        resp = await transport.send(req, opts)
        record(resp)
        return proto.parse_model(
            resp, cls, method=req.method, url=self._client.base_url + "/" + req.path
        )

    async def create(
        self,
        *,
        prompt: str,
        model: str | None = None,
        seconds: int | str | None = None,
        size: str | tuple[int, int] | None = None,
        input_reference: FileInput | Mapping[str, Any] | None = None,
        **options: Unpack[RequestOptions],
    ) -> Video:
        """Start a video generation job.

        Args:
            prompt: What to generate (1 to 32,000 characters).
            model: e.g. ``sora-2``; any name a gateway serves is sent as given.
            seconds: Clip length, int or str (sent as a string), e.g. 4, 8, 12.
            size: ``"WxH"`` or ``(w, h)``, e.g. ``"1280x720"``.
            input_reference: An image to start from: a path, bytes, a binary file,
                ``(filename, content[, content_type])`` (sent as multipart, streamed
                from disk), or a reference object ``{"image_url": ...}`` /
                ``{"file_id": ...}`` (sent as JSON).
            **options: Per-call :class:`~videoclient.RequestOptions`.

        Returns:
            The new job, usually ``queued``.

        Raises:
            ValueError, TypeError, OSError: Bad arguments, before anything is sent.
            APIStatusError: The server refused the job.
        """
        opts = dict(options)
        req = proto.build_create(
            prompt=prompt,
            model=model,
            seconds=seconds,
            size=size,
            input_reference=input_reference,
            extra_body=_split_body(opts),
        )
        video: Video = await self._call(req, Video, opts)
        return video

    async def retrieve(self, video_id: str, **options: Unpack[RequestOptions]) -> Video:
        """Fetch the latest state of a job."""
        video: Video = await self._call(proto.build_retrieve(video_id), Video, options)
        return video

    async def list_page(
        self,
        *,
        limit: int | None = None,
        order: str | None = None,
        after: str | None = None,
        **options: Unpack[RequestOptions],
    ) -> VideoPage:
        """Fetch one page of jobs (``data``, ``has_more``, ``first_id``, ``last_id``).

        Args:
            limit: 0 to 100 items (server default 20).
            order: ``"asc"`` or ``"desc"`` by creation time.
            after: The ``last_id`` of the previous page.
        """
        req = proto.build_list(limit=limit, order=order, after=after)
        page: VideoPage = await self._call(req, VideoPage, options)
        return page

    def list(
        self,
        *,
        limit: int | None = None,
        order: str | None = None,
        after: str | None = None,
        **options: Unpack[RequestOptions],
    ) -> AsyncPager:
        """Every job, page after page: ``async for video in client.videos.list(order="desc")``.

        Arguments are checked now; nothing is sent until iteration starts. Use
        :meth:`AsyncPager.pages` to walk whole pages, or :meth:`list_page` for one.
        """
        proto.build_list(limit=limit, order=order, after=after)
        resolve_options(self._client.config, options)
        return AsyncPager(self, limit=limit, order=order, after=after, options=dict(options))

    async def delete(self, video_id: str, **options: Unpack[RequestOptions]) -> DeletedVideo:
        """Delete a completed or failed job and its assets."""
        deleted: DeletedVideo = await self._call(
            proto.build_delete(video_id), DeletedVideo, options
        )
        return deleted

    async def remix(
        self, video_id: str, *, prompt: str, **options: Unpack[RequestOptions]
    ) -> Video:
        """Start a new job that remixes a completed one with a new prompt."""
        opts = dict(options)
        req = proto.build_remix(video_id, prompt=prompt, extra_body=_split_body(opts))
        video: Video = await self._call(req, Video, opts)
        return video

    async def edit(self, *, video: Any, prompt: str, **options: Unpack[RequestOptions]) -> Video:
        """Start a job that edits a video.

        Args:
            video: ``{"id": "video_..."}`` or a :class:`Video` (sent as JSON), or an
                MP4 file (path, bytes, binary file, tuple; streamed as multipart).
            prompt: How to edit it.
        """
        opts = dict(options)
        req = proto.build_edit(video=video, prompt=prompt, extra_body=_split_body(opts))
        result: Video = await self._call(req, Video, opts)
        return result

    async def extend(
        self, *, video: Any, prompt: str, seconds: int | str, **options: Unpack[RequestOptions]
    ) -> Video:
        """Start a job that extends a completed video by ``seconds``.

        Args:
            video: ``{"id": "video_..."}``, a :class:`Video`, or an MP4 file.
            prompt: What happens next.
            seconds: Length of the new segment.
        """
        opts = dict(options)
        req = proto.build_extend(
            video=video, prompt=prompt, seconds=seconds, extra_body=_split_body(opts)
        )
        result: Video = await self._call(req, Video, opts)
        return result

    async def create_character(
        self, *, name: str, video: FileInput, **options: Unpack[RequestOptions]
    ) -> VideoCharacter:
        """Create a character from an uploaded video (1 to 80 character name)."""
        opts = dict(options)
        req = proto.build_create_character(name=name, video=video, extra_body=_split_body(opts))
        character: VideoCharacter = await self._call(req, VideoCharacter, opts)
        return character

    async def get_character(
        self, character_id: str, **options: Unpack[RequestOptions]
    ) -> VideoCharacter:
        """Fetch a character."""
        req = proto.build_get_character(character_id)
        character: VideoCharacter = await self._call(req, VideoCharacter, options)
        return character

    async def download_content(
        self, video_id: str, *, variant: str = "video", **options: Unpack[RequestOptions]
    ) -> bytes:
        """The bytes of a job's asset, in memory: for small assets (thumbnails, short clips).

        Args:
            video_id: A completed job.
            variant: ``"video"`` (MP4), ``"thumbnail"`` (WebP) or ``"spritesheet"`` (JPEG).

        Raises:
            ContentIntegrityError: Fewer or more bytes arrived than Content-Length declared.
        """
        req = proto.build_content(video_id, variant=variant)
        opts = self._client._options(options)
        transport = self._client._get_transport()
        async with transport.stream(req, opts) as resp:
            chunks = [chunk async for chunk in resp.iter_chunks()]
            record(proto.Response(resp.status, resp.headers, b""))
        data = b"".join(chunks)
        declared = resp.headers.get("content-length")
        if declared is not None and declared.isdigit() and int(declared) != len(data):
            raise ContentIntegrityError(
                f"expected {declared} bytes of {variant} for {video_id}, got {len(data)}",
                status_code=resp.status,
                request_id=resp.headers.get("x-request-id"),
            )
        return data


class AsyncPager:
    """Iterates every job of a listing, fetching pages by the ``after`` cursor."""

    def __init__(
        self,
        videos: AsyncVideos,
        *,
        limit: int | None,
        order: str | None,
        after: str | None,
        options: dict[str, Any],
    ) -> None:
        self._videos = videos
        self._limit = limit
        self._order = order
        self._after = after
        self._options = options

    async def pages(self) -> AsyncIterator[VideoPage]:
        """Each page in turn, until one says ``has_more`` is false (or comes back empty)."""
        after = self._after
        while True:
            page = await self._videos.list_page(
                limit=self._limit, order=self._order, after=after, **self._options
            )
            yield page
            if not page.has_more or not page.data:
                return
            after = page.last_id or page.data[-1].id

    async def __aiter__(self) -> AsyncIterator[Video]:
        async for page in self.pages():
            for video in page.data:
                yield video


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
