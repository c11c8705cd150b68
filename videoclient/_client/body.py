"""One asset's body, read across as many responses as it takes, and the stream over it.

:class:`BodyReader` survives a connection that breaks mid-body: it asks again for the
rest (``Range`` + ``If-Range`` with the strong ETag, else a strong ``Last-Modified``)
within the call's retry budget, and takes a 200 (the server ignored the range, or the
asset changed) as the whole content again; without either validator it asks for the whole
content, so two versions of an asset are never spliced. The decisions are the pure
:mod:`videoclient._sansio.ranges`; this module only drives them. ``stream_content``,
``download`` and ``download_content`` all read through it.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from contextlib import AsyncExitStack
from typing import TYPE_CHECKING, Any, Protocol

from .._sansio.contentcheck import ContentCheck
from .._sansio.errors import (
    APIConnectionError,
    APIStatusError,
    ContentIntegrityError,
    NotFoundError,
)
from .._sansio.http import Request
from .._sansio.options import CallOptions
from .._sansio.ranges import (
    ContentMeta,
    expected_remaining,
    plan_response,
    resume_headers,
    same_asset,
)

if TYPE_CHECKING:
    from .._io.receiver import BodyReceiver
    from .._io.transport import StreamResponse, Transport
    from .operations import VideoOperations

__all__ = ["RAW_MIN", "BodyReader", "ContentStream", "Reader"]

log = logging.getLogger("videoclient")

#: Bodies at least this large are read straight off the socket (:mod:`videoclient._io.receiver`).
RAW_MIN = 4 * 1024 * 1024


class BodyReader:
    """One asset's body, read across as many responses as it takes.

    Args:
        videos: The operations object (for its transport and, on a 404, ``retrieve``).
        video_id: The job whose content this is.
        req: The content request.
        opts: The call's options; ``max_retries`` bounds resumes and retries together.
        options: The caller's raw options, reused for the ``retrieve`` after a 404.
        on_restart: Called when the content starts over at byte 0 (a 200 answer to a
            resume). None means the bytes already handed out cannot be taken back: the
            new body is read past them, if its ETag shows it is the same asset.
        raw: Read large bodies straight off the socket into reused buffers
            (:mod:`videoclient._io.receiver`): :meth:`next_chunk` then also hands out
            memoryviews, which the caller gives back with :meth:`recycle`.
        locate: For an asset at a signed URL named by the job (Runway): reads the job
            again for a fresh URL. A 403 (the URL expired) calls it once and continues.
        check: Judges that each answer is the variant asked for (its Content-Type, and
            its first bytes before they are handed out); None checks nothing.
    """

    def __init__(
        self,
        videos: VideoOperations,
        video_id: str,
        req: Request,
        opts: CallOptions,
        options: Mapping[str, Any],
        on_restart: Callable[[], Awaitable[None]] | None,
        *,
        raw: bool = False,
        locate: Callable[[], Awaitable[Request]] | None = None,
        check: ContentCheck | None = None,
    ) -> None:
        self._videos = videos
        self._check = check
        self._locate = locate
        self._transport: Transport = videos._session.transport()
        self._video_id = video_id
        self._req = req
        self._opts = opts
        self._options = options
        self._on_restart = on_restart
        self._stack: AsyncExitStack | None = None
        self._resp: StreamResponse | None = None
        self._raw = raw
        self._receiver: BodyReceiver | None = None
        self._attempt = 0
        self._skip = 0
        self._use_ranges = True
        self._finished = False
        #: Bytes of the asset handed out so far, counted from its start.
        self.done = 0
        #: What the server said about the asset (set by :meth:`open`).
        self.meta = ContentMeta(None, None, None, None)
        #: How many times the read continued with a Range request.
        self.resumes = 0
        #: The status and (lower-cased) headers of the first response.
        self.status = 0
        self.headers: Mapping[str, str] = {}

    async def open(self) -> None:
        """Send the first request; raises the API error if the content cannot be had."""
        await self._connect(known=None)

    async def _connect(self, *, known: ContentMeta | None, after: Exception | None = None) -> None:
        headers = {"Accept-Encoding": "identity"}
        if self._use_ranges:
            headers.update(resume_headers(self.done, known))
        stack = AsyncExitStack()
        try:
            resp = await stack.enter_async_context(
                self._transport.stream(
                    self._req, self._opts, headers, first_attempt=self._attempt, after=after
                )
            )
            plan = plan_response(resp.status, resp.headers, offset=self.done, known=known)
        except NotFoundError as exc:
            await stack.aclose()
            err = await self._videos._expired_or(self._video_id, exc, self._options)
            if err is exc:
                raise
            raise err from exc
        except APIStatusError as exc:
            await stack.aclose()
            if exc.status_code == 403 and self._locate is not None:
                # A signed URL that expired (or was refused): the job names a fresh one.
                locate, self._locate = self._locate, None  # once: a second 403 stands
                log.debug("content URL refused (403); reading the job for a fresh one")
                self._req = await locate()
                await self._connect(known=known)
                return
            if exc.status_code == 416 and "Range" in headers:
                # The server will not serve the rest as asked: take the whole asset again.
                self._use_ranges = False
                self._attempt += 1
                await self._connect(known=known)
                return
            raise
        except BaseException:
            await stack.aclose()
            raise
        if plan.unverified:
            # Nothing shows the rest belongs to the same asset: take the whole asset again.
            await stack.aclose()
            log.debug("a resumed range of %s cannot be verified; starting over", self._req.shown)
            self._use_ranges = False
            self._attempt = resp.attempt + 1
            await self._connect(known=known)
            return
        self._attempt = resp.attempt
        self._stack, self._resp = stack, resp
        if not self.status:
            self.status, self.headers = resp.status, resp.headers
        self._skip = 0
        if self._raw and (resp.content_length or 0) >= RAW_MIN:
            self._receiver = resp.hand_over(self._opts.timeout.read)
        self.meta = plan.meta
        if plan.restart:
            if self._on_restart is not None:
                self.done = 0
                await self._on_restart()
            elif known is None or not same_asset(known, plan.meta):
                await self.aclose()
                raise ContentIntegrityError(
                    f"the content of {self._video_id} cannot be resumed: the server sent it "
                    "whole again without the same ETag (or Last-Modified and length)",
                    status_code=resp.status,
                    request_id=resp.headers.get("x-request-id"),
                )
            else:
                self._skip = self.done
        elif "Range" in headers:
            self.resumes += 1
        if self._check is not None and plan.start == 0 and not self._skip:
            try:
                self._check.answer(plan.meta.content_type, request_id=plan.meta.request_id)
            except ContentIntegrityError:
                await self.aclose()
                raise

    async def next_chunk(self) -> bytes | memoryview:
        """The next piece of the asset, ``b""`` once every byte has arrived.

        In ``raw`` mode a piece may be a memoryview of a reused buffer: give it back
        with :meth:`recycle` once it is written.

        Raises:
            APIConnectionError: The connection broke and the retry budget is spent.
            ContentIntegrityError: The bytes do not add up to the declared length.
        """
        while not self._finished:
            if self._resp is None:
                raise APIConnectionError(f"the content stream of {self._video_id} is closed")
            chunk: bytes | memoryview | None
            try:
                if self._receiver is not None:
                    chunk = await self._receiver.next()
                else:
                    chunk = await self._resp.read_chunk()
            except APIConnectionError as exc:
                await self._resume(exc)
                continue
            if not chunk:
                chunk = b""
                remaining = expected_remaining(self.meta, self.done)
                if remaining:
                    short = ContentIntegrityError(
                        f"the content of {self._video_id} ended after {self.done} of "
                        f"{self.meta.total} bytes",
                        request_id=self.meta.request_id,
                    )
                    await self._resume(short)
                    continue
                self._finished = True
                await self.aclose()
                if self._check is not None:
                    self._check.end()
                return b""
            if self._skip:
                dropped = min(self._skip, len(chunk))
                self._skip -= dropped
                chunk = chunk[dropped:]
                if not chunk:
                    continue
            if self._check is not None:
                try:
                    self._check.feed(self.done, chunk)
                except ContentIntegrityError:
                    self.recycle(chunk)
                    await self.aclose()
                    raise
            self.done += len(chunk)
            expected_remaining(self.meta, self.done)
            return chunk
        return b""

    def recycle(self, chunk: bytes | memoryview) -> None:
        """Give back a piece :meth:`next_chunk` handed out (reuses raw buffers)."""
        if isinstance(chunk, memoryview) and self._receiver is not None:
            self._receiver.recycle(chunk)

    async def _resume(self, exc: Exception) -> None:
        """Continue after a break: ask for the rest through the transport's one attempt loop
        (which waits, spends a retry, and re-raises ``exc`` when none is left)."""
        await self.aclose()
        log.debug("resuming %s at byte %d after %s", self._req.shown, self.done, type(exc).__name__)
        await self._connect(known=self.meta, after=exc)

    async def aclose(self) -> None:
        """Release the current response (idempotent)."""
        stack, self._stack, self._resp = self._stack, None, None
        receiver, self._receiver = self._receiver, None
        if receiver is not None:
            receiver.close()
        if stack is not None:
            await stack.aclose()


class Reader(Protocol):
    """What the transfers read an asset through: a :class:`BodyReader`, or an inline one."""

    done: int
    meta: ContentMeta
    status: int
    headers: Mapping[str, str]

    @property
    def resumes(self) -> int: ...
    async def open(self) -> None: ...
    async def next_chunk(self) -> bytes | memoryview: ...
    def recycle(self, chunk: bytes | memoryview) -> None: ...
    async def aclose(self) -> None: ...


class ContentStream:
    """An asset's bytes as they arrive: ``async for chunk in stream``.

    A connection that breaks mid-body is resumed transparently within the call's retry
    budget, so the chunks always add up to the whole asset, in order, exactly once.
    Iterate it once, inside its ``async with`` block.

    Attributes:
        content_type: The Content-Type the server declared (``video/mp4``, ...).
        content_length: The asset's size in bytes, when the server declared it.
        etag: The asset's strong ETag, when it has one.
        request_id: The ``x-request-id`` of the first response.

    .. versionadded:: 0.1.0
    """

    def __init__(self, reader: Reader) -> None:
        self._reader = reader
        meta = reader.meta
        self.content_type = meta.content_type
        self.content_length = meta.total
        self.etag = meta.etag
        self.request_id = meta.request_id

    @property
    def bytes_read(self) -> int:
        """Bytes handed out so far."""
        return self._reader.done

    @property
    def resumes(self) -> int:
        """How many times a broken connection was resumed with a Range request."""
        return self._reader.resumes

    def __aiter__(self) -> ContentStream:
        return self

    async def __anext__(self) -> bytes:
        chunk = await self._reader.next_chunk()
        if not chunk:
            raise StopAsyncIteration
        return bytes(chunk)  # already bytes: a stream never reads raw

    def __repr__(self) -> str:
        return (
            f"ContentStream(content_type={self.content_type!r}, "
            f"content_length={self.content_length!r}, bytes_read={self.bytes_read})"
        )
