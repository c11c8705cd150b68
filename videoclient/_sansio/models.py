"""Frozen values the API returns: videos, pages, deletions, characters.

Models are tolerant readers: fields the server adds land in ``extra``; values the
spec enumerates (status, model, size, seconds) are plain strings so a gateway's
new status (``expired``), model (``wan-3``) or size never raises. Only ``id`` and
``status`` are indispensable for a video; every other field defaults to None.

``request_id`` is the ``x-request-id`` header of the response that produced the
value; it is not part of the wire format and is ignored by equality.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs

from .display import video_html

__all__ = [
    "PENDING_STATUSES",
    "DeletedVideo",
    "Video",
    "VideoCharacter",
    "VideoError",
    "VideoPage",
    "handle_of",
]

#: Statuses that mean "not finished yet" (OpenAI's plus Azure's). Anything else is terminal,
#: ``cancelled`` (a Runway task stopped by a delete) included.
PENDING_STATUSES: frozenset[str] = frozenset(
    {"queued", "in_progress", "preprocessing", "running", "processing"}
)

_EMPTY: Mapping[str, Any] = {}


def _meta() -> Any:
    return attrs.field(default=None, eq=False, repr=False, kw_only=True)


def _extra() -> Any:
    return attrs.field(factory=dict, eq=False, repr=False, kw_only=True)


@attrs.frozen
class VideoError:
    """Why a job failed: ``code`` (machine-readable) and ``message`` (for people)."""

    code: str | None = None
    message: str = ""
    extra: Mapping[str, Any] = _extra()


@attrs.frozen
class Video:
    """A video generation job as the API reports it.

    Attributes:
        id: The job id (``video_...``).
        status: ``queued``, ``in_progress``, ``completed``, ``failed``, ``cancelled`` or any
            status a server adds. Every provider's own statuses are mapped onto these.
        progress: Approximate completion percentage (0-100), if reported.
        model, size, seconds, prompt: What was asked for; plain strings, never validated.
        created_at, completed_at, expires_at: Unix timestamps in seconds.
        remixed_from_video_id: The source job of a remix.
        error: Why the job failed, if it did.
        extra: Fields the server sent that this version does not know.
        request_id: The ``x-request-id`` of the response this came from.
        provider_status: The provider's own status word when it differs from ``status``
            (Runway's ``THROTTLED``, ``SUCCEEDED``...; Vertex's ``running``, ``done``,
            ``filtered``); None for OpenAI-shaped APIs, whose statuses are the neutral ones.
            Not part of the wire format and ignored by equality.

            .. versionadded:: 0.1.0
        requested_id: The id this job was asked for by, when the server answered with
            another ``id`` (a gateway that re-stamps ids on every retrieve, as LiteLLM does
            for a second model group); None when the answer echoed the id asked for. Waits
            key every job by this handle, keep using it for their requests, and a Video
            passed back to ``poll``/``as_completed``/``download`` is looked up by it. Not
            part of the wire format and ignored by equality.

            .. versionadded:: 0.1.0
    """

    id: str
    status: str
    object: str = "video"
    model: str | None = None
    progress: int | None = None
    created_at: int | None = None
    completed_at: int | None = None
    expires_at: int | None = None
    prompt: str | None = None
    size: str | None = None
    seconds: str | None = None
    remixed_from_video_id: str | None = None
    error: VideoError | None = None
    extra: Mapping[str, Any] = _extra()
    request_id: str | None = _meta()
    provider_status: str | None = attrs.field(default=None, eq=False, kw_only=True)
    requested_id: str | None = attrs.field(default=None, eq=False, kw_only=True)

    @property
    def is_pending(self) -> bool:
        """True while the status is one of :data:`PENDING_STATUSES`."""
        return self.status in PENDING_STATUSES

    @property
    def is_completed(self) -> bool:
        """True when the status is ``completed``."""
        return self.status == "completed"

    @property
    def is_cancelled(self) -> bool:
        """True when the status is ``cancelled`` (terminal: nothing more will happen).

        .. versionadded:: 0.1.0
        """
        return self.status == "cancelled"

    def _repr_html_(self) -> str:
        """A card for notebooks: id, status, progress bar, error, and once the client
        downloaded it, a ``<video>`` player with the thumbnail as poster.

        .. versionadded:: 0.1.0
        """
        return video_html(self)

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, str]:
        """The card as ``text/html`` and the repr as ``text/plain`` (IPython's protocol)."""
        return {"text/html": video_html(self), "text/plain": repr(self)}


def handle_of(video: Video) -> str:
    """The id a caller knows ``video`` by: :attr:`Video.requested_id`, else its ``id``."""
    return video.requested_id or video.id


@attrs.frozen
class VideoPage:
    """One page of :meth:`videos.list <videoclient.AsyncVideos.list>`.

    Attributes:
        data: The videos on this page.
        has_more: Whether another page follows (fetch it with ``after=last_id``).
        first_id, last_id: Ids of the first and last video on this page.
    """

    data: tuple[Video, ...]
    has_more: bool = False
    first_id: str | None = None
    last_id: str | None = None
    object: str = "list"
    extra: Mapping[str, Any] = _extra()
    request_id: str | None = _meta()


@attrs.frozen
class DeletedVideo:
    """The answer to a delete: ``deleted`` is True when the job is gone."""

    id: str
    deleted: bool
    object: str = "video.deleted"
    extra: Mapping[str, Any] = _extra()
    request_id: str | None = _meta()


@attrs.frozen
class VideoCharacter:
    """A character made from an uploaded video."""

    id: str | None
    name: str | None = None
    created_at: int | None = None
    extra: Mapping[str, Any] = _extra()
    request_id: str | None = _meta()
