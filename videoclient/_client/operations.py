"""The core operations of ``client.videos``: one method per operation of the spec.

Capabilities built on top of these (waiting, transfers, generation) live in their own
modules as subclasses of :class:`VideoOperations`; ``AsyncVideos`` combines them.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Mapping
from typing import TYPE_CHECKING, Any

import attrs

from .._io import clock
from .._io.inputs import resolve_off_loop
from .._sansio.errors import (
    APIResponseValidationError,
    APIStatusError,
    NotFoundError,
    VideoExpiredError,
)
from .._sansio.files import FileInput
from .._sansio.http import Request
from .._sansio.images import Colour, Fit
from .._sansio.models import DeletedVideo, Video, VideoCharacter, VideoPage
from .._sansio.options import RequestOptions
from .raw import record

if TYPE_CHECKING:
    from typing_extensions import Unpack

    from .session import Session

__all__ = ["AsyncPager", "VideoOperations"]


def _split_body(options: dict[str, Any]) -> Mapping[str, Any] | None:
    extra: Mapping[str, Any] | None = options.pop("extra_body", None)
    return extra


class VideoOperations:
    """Every operation of the Videos API, one method each."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def _server_delay(self, exc: APIStatusError) -> float | None:
        """The wait a refused answer asked for before trying again (batches pace by it)."""
        return self._session.provider.server_delay(exc.headers)

    async def _call(self, req: Request, cls: type[Any], options: Mapping[str, Any]) -> Any:
        session = self._session
        opts = session.options(options)
        transport = session.transport()
        if req.form is not None or req.inline_files:
            req = await resolve_off_loop(req)  # reads the caller's files in a worker thread
        resp = await transport.send(req, opts)
        record(resp)
        provider = session.provider
        result = provider.parse(resp, cls, method=req.method, url=session.base_url + "/" + req.path)
        if provider.content_inline is not None and cls is Video and result.status == "completed":
            # The answer carries the video inline: the download that follows decodes it
            # from here instead of fetching the operation (and its video) again.
            answers = session.answers
            answers.keep(result.id, resp.body, clock.now())
            # Dropped when its time is up even if this client makes no other call.
            asyncio.get_running_loop().call_later(
                answers.ttl, lambda: answers.prune(clock.now() + 1e-3)
            )
        return result

    async def _create(self, req: Request, cls: type[Any], options: Mapping[str, Any]) -> Any:
        """:meth:`_call` for a request that makes a job (or a character): the create-retry
        policy decides whether a failure that may have reached the server is resent."""
        try:
            return await self._call(attrs.evolve(req, creates=True), cls, options)
        except APIResponseValidationError as exc:
            # A success answer that could not be read: the job was made all the same.
            exc.mark_job_may_exist("its answer could not be read: look for the job")
            raise

    async def create(
        self,
        *,
        prompt: str,
        model: str | None = None,
        seconds: int | str | None = None,
        size: str | tuple[int, int] | None = None,
        input_reference: FileInput | Mapping[str, Any] | None = None,
        fit: Fit | None = None,
        fit_background: Colour = "#000000",
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
                ``{"file_id": ...}`` (sent as JSON). An image file must have the
                dimensions of ``size`` (checked before the upload).
            fit: Resize an ``input_reference`` file to ``size`` instead of failing:
                ``"contain"`` (pad), ``"cover"`` (crop) or ``"stretch"``. Needs
                ``pip install 'videoclient[images]'``.
            fit_background: The padding colour for ``fit="contain"`` (``"#RRGGBB"``).
            **options: Per-call :class:`~videoclient.RequestOptions`.

        Returns:
            The new job, usually ``queued``.

        Raises:
            ValueError, TypeError, OSError: Bad arguments, before anything is sent.
            APIStatusError: The server refused the job.
        """
        self._session.require("create")
        if input_reference is not None:
            self._session.require("image_input")
        opts = dict(options)
        req = self._session.provider.build_create(
            prompt=prompt,
            model=model,
            seconds=seconds,
            size=size,
            input_reference=input_reference,
            extra_body=_split_body(opts),
            fit=fit,
            fit_background=fit_background,
        )
        video: Video = await self._create(req, Video, opts)
        return video

    async def retrieve(self, video_id: str, **options: Unpack[RequestOptions]) -> Video:
        """Fetch the latest state of a job.

        When the answer names the job by another id than ``video_id`` (a gateway that
        re-stamps ids), the Video keeps the new ``id`` and ``video_id`` as
        :attr:`~videoclient.Video.requested_id`.
        """
        self._session.require("retrieve")
        self._session.watch("retrieve", video_id)
        video: Video = await self._call(
            self._session.provider.build_retrieve(video_id), Video, options
        )
        if video.id != video_id:
            video = attrs.evolve(video, requested_id=video_id)
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
        return await self._list_page(limit, order, after, options)

    async def _list_page(
        self,
        limit: int | None,
        order: str | None,
        after: str | None,
        options: Mapping[str, Any],
        scope: str = "",
    ) -> VideoPage:
        """:meth:`list_page`; ``scope`` tells the loop guard whose listing this is."""
        self._session.require("list")
        req = self._session.provider.build_list(limit=limit, order=order, after=after)
        self._session.watch("list", scope, f"after={after or ''}", f"order={order or ''}")
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
        self._session.require("list")
        self._session.provider.build_list(limit=limit, order=order, after=after)
        self._session.options(options)
        return AsyncPager(self, limit=limit, order=order, after=after, options=dict(options))

    async def delete(self, video_id: str, **options: Unpack[RequestOptions]) -> DeletedVideo:
        """Delete a job: a finished one and its assets; on Runway, a pending one is cancelled."""
        self._session.require("delete")
        deleted: DeletedVideo = await self._call(
            self._session.provider.build_delete(video_id), DeletedVideo, options
        )
        return deleted

    async def remix(
        self, video_id: str, *, prompt: str, **options: Unpack[RequestOptions]
    ) -> Video:
        """Start a new job that remixes a completed one with a new prompt."""
        self._session.require("remix")
        opts = dict(options)
        req = self._session.provider.build_remix(
            video_id, prompt=prompt, extra_body=_split_body(opts)
        )
        video: Video = await self._create(req, Video, opts)
        return video

    async def edit(self, *, video: Any, prompt: str, **options: Unpack[RequestOptions]) -> Video:
        """Start a job that edits a video.

        Args:
            video: ``{"id": "video_..."}`` or a :class:`Video` (sent as JSON), or an
                MP4 file (path, bytes, binary file, tuple; streamed as multipart).
            prompt: How to edit it.
        """
        self._session.require("edit")
        opts = dict(options)
        req = self._session.provider.build_edit(
            video=video, prompt=prompt, extra_body=_split_body(opts)
        )
        result: Video = await self._create(req, Video, opts)
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
        self._session.require("extend")
        opts = dict(options)
        req = self._session.provider.build_extend(
            video=video, prompt=prompt, seconds=seconds, extra_body=_split_body(opts)
        )
        result: Video = await self._create(req, Video, opts)
        return result

    async def create_character(
        self, *, name: str, video: FileInput, **options: Unpack[RequestOptions]
    ) -> VideoCharacter:
        """Create a character from an uploaded video (1 to 80 character name)."""
        self._session.require("characters")
        opts = dict(options)
        req = self._session.provider.build_create_character(
            name=name, video=video, extra_body=_split_body(opts)
        )
        character: VideoCharacter = await self._create(req, VideoCharacter, opts)
        return character

    async def get_character(
        self, character_id: str, **options: Unpack[RequestOptions]
    ) -> VideoCharacter:
        """Fetch a character."""
        self._session.require("characters")
        req = self._session.provider.build_get_character(character_id)
        character: VideoCharacter = await self._call(req, VideoCharacter, options)
        return character

    async def _expired_or(
        self, video_id: str, exc: NotFoundError, options: Mapping[str, Any]
    ) -> APIStatusError:
        """The error to raise for a 404: VideoExpiredError when the job's assets expired."""
        expired_at: int | None = None
        if exc.code is None or "expired" not in exc.code:
            retrieve_opts = {k: v for k, v in options.items() if k != "on_upload_progress"}
            try:
                video = await self.retrieve(video_id, **retrieve_opts)
            except Exception:  # the job is gone or unreachable: the 404 stands
                return exc
            expired_at = video.expires_at
            past = expired_at is not None and expired_at <= time.time()
            if video.status != "expired" and not past:
                return exc
        when = ""
        if expired_at is not None:
            when = f" at {time.strftime('%Y-%m-%d %H:%M:%SZ', time.gmtime(expired_at))}"
        return VideoExpiredError(
            f"the content of {video_id} has expired{when}; create the video again "
            "(assets are kept only until the job's expires_at)",
            status_code=exc.status_code,
            code=exc.code or "video_expired",
            param=exc.param,
            type=exc.type,
            request_id=exc.request_id,
            body=exc.body,
            headers=exc.headers,
            method=exc.method,
            url=exc.url,
        )


class AsyncPager:
    """Iterates every job of a listing, fetching pages by the ``after`` cursor."""

    def __init__(
        self,
        videos: VideoOperations,
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
        """Each page in turn, until one says ``has_more`` is false (or comes back empty).

        Raises:
            APIResponseValidationError: A page's cursor leads back to a page already
                fetched (a server that ignores ``after``): the listing would never end.
        """
        after = self._after
        seen = {after}
        while True:
            page = await self._videos.list_page(
                limit=self._limit, order=self._order, after=after, **self._options
            )
            yield page
            if not page.has_more or not page.data:
                return
            after = page.last_id or page.data[-1].id
            if after in seen:
                raise APIResponseValidationError(
                    f"the listing does not advance: its cursor {after!r} came back after it "
                    "was used (the server ignores 'after'); stopped instead of asking again"
                )
            seen.add(after)

    async def __aiter__(self) -> AsyncIterator[Video]:
        async for page in self.pages():
            for video in page.data:
                yield video
