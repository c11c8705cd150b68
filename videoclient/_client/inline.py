"""An asset that arrives inline, as base64 in a JSON answer (Vertex's finished operation).

:class:`InlineReader` reads the answer through a :class:`~videoclient._client.body.BodyReader`
(so the JSON's own length is checked, and a break is retried) and hands out the decoded
video piece by piece (:class:`~videoclient._sansio.inline.InlineField`): ``download`` writes
each piece to its temporary file, so no more than one piece and the reader's buffer are held.
A broken answer is asked for again whole (the answer is a POST's: it has no byte ranges) and
decoding starts over. An answer with no inline video is read as the job, whose provider
says why (still running, failed, filtered, written to the caller's bucket).

When the poll that saw the operation ``done`` has just read that answer (kept, bounded,
in the session's :class:`~videoclient._sansio.inline.RecentAnswers`), it is decoded from
memory instead, in the same :data:`PIECE`-sized pieces, and nothing is sent.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, Any

from .._sansio.errors import APIResponseValidationError, ContentIntegrityError
from .._sansio.http import Request, Response
from .._sansio.inline import InlineField
from .._sansio.models import Video
from .._sansio.options import CallOptions
from .._sansio.ranges import ContentMeta
from .body import BodyReader

if TYPE_CHECKING:
    from .operations import VideoOperations

__all__ = ["PIECE", "InlineReader"]

#: Bytes of a kept answer decoded at a time (the bounded buffer beside the decoded piece).
PIECE = 1024 * 1024


class _KeptAnswer:
    """A kept answer read in pieces: the part of :class:`BodyReader` that InlineReader uses."""

    resumes = 0

    def __init__(self, body: bytes | bytearray) -> None:
        self._body: bytes | bytearray | None = body
        self._at = 0
        self.status = 200
        self.headers: Mapping[str, str] = {}
        self.meta = ContentMeta(None, None, "application/json", None)

    async def open(self) -> None:
        """Nothing to send."""

    async def next_chunk(self) -> bytes:
        body = self._body
        if body is None:
            return b""
        end = self._at + PIECE
        if isinstance(body, bytes):
            piece = body[self._at : end]  # an answer that fits in one piece is not copied
        else:
            with memoryview(body) as whole, whole[self._at : end] as view:
                piece = bytes(view)  # one copy of the piece, not two
        self._at += len(piece)
        if self._at >= len(body):
            self._body = None  # let the answer go as soon as its last piece is out
        return piece

    async def aclose(self) -> None:
        self._body = None


class InlineReader:
    """The decoded inline asset of a JSON answer; the interface of :class:`BodyReader`."""

    def __init__(
        self,
        videos: VideoOperations,
        video_id: str,
        variant: str,
        req: Request,
        opts: CallOptions,
        options: Mapping[str, Any],
        on_restart: Callable[[], Awaitable[None]] | None,
        field: str,
        kept: bytes | bytearray | None = None,
    ) -> None:
        self._videos = videos
        self._video_id = video_id
        self._variant = variant
        self._field = InlineField(field)
        self._on_restart = on_restart
        self._body: BodyReader | _KeptAnswer
        if kept is not None:
            self._body = _KeptAnswer(kept)
        else:
            self._body = BodyReader(videos, video_id, req, opts, options, on_restart=self._restart)
            self._body._use_ranges = False  # a POST's answer: asked for whole again after a break
        self.done = 0
        self.meta = ContentMeta(None, None, "video/mp4", None)
        self.status = 0
        self.headers: Mapping[str, str] = {}

    @property
    def resumes(self) -> int:
        return self._body.resumes

    async def _restart(self) -> None:
        if self._on_restart is None and self.done:
            raise ContentIntegrityError(
                f"the inline content of {self._video_id} broke off after {self.done} bytes "
                "and cannot be resumed mid-stream; download it instead"
            )
        self._field.reset()
        self.done = 0
        if self._on_restart is not None:
            await self._on_restart()

    async def open(self) -> None:
        """Send the request; raises the API error if the answer cannot be had."""
        await self._body.open()
        self.status, self.headers = self._body.status, self._body.headers
        self.meta = ContentMeta(None, None, "video/mp4", self._body.meta.request_id)

    async def next_chunk(self) -> bytes:
        """The next decoded piece, ``b""`` at the end.

        Raises:
            ContentIntegrityError: The answer ended inside the video.
            VideoFailedError, ConflictError, UnsupportedOperationError: The job has no
                inline video (failed or filtered, not done, in the caller's bucket).
        """
        while True:
            raw = await self._body.next_chunk()
            if not raw:
                self._finish()
                return b""
            try:
                out = self._field.feed(bytes(raw))
            except ValueError as exc:
                raise APIResponseValidationError(
                    f"the inline content of {self._video_id} is unreadable: {exc}",
                    status_code=self.status,
                ) from None
            if out:
                self.done += len(out)
                return out

    def _finish(self) -> None:
        if self._field.closed:
            return
        if self._field.found:
            raise ContentIntegrityError(
                f"the answer for {self._video_id} ended inside its inline video", status_code=200
            )
        if self._field.overflowed:
            raise APIResponseValidationError(
                f"the answer for {self._video_id} holds no inline video", status_code=200
            )
        provider = self._videos._session.provider
        video = provider.parse(Response(200, self.headers, self._field.around()), Video)
        provider.build_job_content(video, variant=self._variant)  # raises: why there is none
        raise APIResponseValidationError(  # pragma: no cover - every provider raises above
            f"the answer for {self._video_id} holds no inline video", status_code=200
        )

    def recycle(self, chunk: bytes | memoryview) -> None:
        """Nothing to give back: inline pieces are fresh bytes."""

    async def aclose(self) -> None:
        await self._body.aclose()
