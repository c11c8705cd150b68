"""Runway's task API (``/v1/text_to_video``, ``/v1/image_to_video``, ``/v1/tasks/{id}``) as
pure functions: arguments in, :class:`Request` out; :class:`Response` in, models out.

A task's statuses map onto the neutral ones (the word itself stays readable as
``Video.provider_status``):

============  ===============  ==================================================
Runway        ``Video.status``  notes
============  ===============  ==================================================
PENDING       queued
THROTTLED     queued           over the account's concurrency: waits for a slot
RUNNING       in_progress      ``progress`` 0-1 becomes 0-100
SUCCEEDED     completed        ``output``: signed URLs (24-48 h), kept in ``extra``
FAILED        failed           ``failure`` -> ``error.message``, ``failureCode`` -> ``error.code``
CANCELLED     cancelled        a ``DELETE`` stopped it
============  ===============  ==================================================

Provider-specific fields (``seed``, ``contentModeration``, ``negativePrompt``, ``audio``...)
go through ``extra_body`` into the top level of the create body.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, TypeVar
from urllib.parse import urlsplit

from ..._sansio import validate as v
from ..._sansio.answers import invalid_answer, read_json
from ..._sansio.errors import APIResponseValidationError, ConflictError, VideoFailedError
from ..._sansio.files import IMAGE_TYPES, FileInput, FileSource, PendingFile, check_file_input
from ..._sansio.http import Request, Response, path_segment
from ..._sansio.models import DeletedVideo, Video, VideoError
from .errors import status_error
from .models import DEFAULT_MODEL, MODELS

__all__ = [
    "STATUS_MAP",
    "build_content",
    "build_create",
    "build_delete",
    "build_job_content",
    "build_retrieve",
    "parse_model",
    "parse_task",
    "ratio_for",
]

M = TypeVar("M")

#: Runway's task statuses and the neutral status each one means.
STATUS_MAP: Mapping[str, str] = {
    "PENDING": "queued",
    "THROTTLED": "queued",
    "RUNNING": "in_progress",
    "SUCCEEDED": "completed",
    "FAILED": "failed",
    "CANCELLED": "cancelled",
}


def ratio_for(size: str | tuple[int, int], accepted: tuple[str, ...] | None) -> str:
    """Runway's ``ratio`` ("1280:720") for a ``size`` ("1280x720" or ``(1280, 720)``).

    Raises:
        ValueError: The size is malformed, or not among ``accepted`` (listed in the message).
    """
    width, height = (int(n) for n in v.check_size(size).split("x"))
    ratio = f"{width}:{height}"
    if accepted is not None and ratio not in accepted:
        sizes = ", ".join(r.replace(":", "x") for r in accepted)
        raise ValueError(
            f"size {width}x{height} is not available on Runway here; use one of {sizes}"
        )
    return ratio


def _seconds(seconds: int | str | None, durations: tuple[int, ...] | None, default: int) -> int:
    if seconds is None:
        return default
    text = v.check_seconds(seconds)
    try:
        value = int(text)
    except ValueError:
        raise ValueError(f"seconds must be a whole number for Runway, got {seconds!r}") from None
    if durations is not None and value not in durations:
        accepted = ", ".join(str(d) for d in durations)
        raise ValueError(f"seconds={value} is not available for this model; use one of {accepted}")
    return value


def _prompt_image(value: FileInput | Mapping[str, Any]) -> Any:
    """``promptImage``: a reference URL as given, or a file embedded as a data URI."""
    if isinstance(value, Mapping):
        url = value.get("image_url") or value.get("url") or value.get("uri")
        if not isinstance(url, str) or not url:
            raise ValueError(
                "input_reference for Runway must be a file, or {'image_url': URL} with an "
                "https URL, a runway:// upload URI or a data URI"
            )
        return url
    if isinstance(value, str) and value.startswith(("https://", "runway://", "data:")):
        return value
    if isinstance(value, FileSource):
        raise TypeError("input_reference: pass the file itself (path, bytes, file object)")
    check_file_input(value, what="input_reference")
    return PendingFile(value, "input_reference", IMAGE_TYPES, image=True, inline="data_uri")


def build_create(
    *,
    prompt: str,
    model: str | None = None,
    seconds: int | str | None = None,
    size: str | tuple[int, int] | None = None,
    input_reference: FileInput | Mapping[str, Any] | None = None,
    extra_body: Mapping[str, Any] | None = None,
    fit: str | None = None,
    fit_background: Any = "#000000",
) -> Request:
    """``POST /v1/text_to_video``, or ``/v1/image_to_video`` with an ``input_reference``.

    Raises:
        ValueError: A size or duration the model cannot make (the message lists what it
            can), ``fit`` (Runway crops images itself), or an image-only model without one.
    """
    if fit is not None:
        raise ValueError("fit= is not used with Runway: it fits the image to the ratio itself")
    name = DEFAULT_MODEL if model is None else v.check_model(model)
    spec = MODELS.get(name)
    image = input_reference is not None
    accepted: tuple[str, ...] | None = None
    if spec is not None:
        accepted = spec.image_ratios if image else spec.text_ratios
        if not accepted:
            raise ValueError(f"Runway's {name} makes videos from an image: pass input_reference")
    body: dict[str, Any] = {
        "model": name,
        "promptText": v.check_prompt(prompt),
        "ratio": ratio_for(size, accepted) if size is not None else (accepted or ("1280:720",))[0],
        "duration": _seconds(
            seconds,
            None if spec is None else spec.durations,
            5 if spec is None else spec.default_seconds,
        ),
    }
    inline = False
    if input_reference is not None:
        body["promptImage"] = _prompt_image(input_reference)
        inline = isinstance(body["promptImage"], PendingFile)
    if extra_body:
        if not isinstance(extra_body, Mapping):
            raise TypeError("extra_body must be a mapping")
        body.update(extra_body)
    path = "v1/image_to_video" if image else "v1/text_to_video"
    return Request("POST", path, json=body, inline_files=inline)


def build_retrieve(video_id: str) -> Request:
    """``GET /v1/tasks/{id}``."""
    return Request("GET", f"v1/tasks/{path_segment(v.check_id(video_id))}")


def build_delete(video_id: str) -> Request:
    """``DELETE /v1/tasks/{id}``: cancels a pending or running task, deletes a finished one."""
    return Request("DELETE", f"v1/tasks/{path_segment(v.check_id(video_id))}")


def build_content(video_id: str, *, variant: str = "video") -> Request:
    """Where the content is found: the task itself (it names a signed URL); checks arguments."""
    v.check_variant(variant)
    return build_retrieve(video_id)


def build_job_content(video: Video, *, variant: str = "video") -> Request:
    """The download of a SUCCEEDED task's first output: its signed URL, with no credential.

    Raises:
        VideoFailedError: The task failed or was cancelled: it has no content.
        ConflictError: The task is not finished yet (as a 409 from an API would say).
        APIResponseValidationError: A finished task without an output URL.
    """
    if video.status in ("failed", "cancelled"):
        raise VideoFailedError(video)
    if video.status != "completed":
        progress = "" if video.progress is None else f", {video.progress}%"
        raise ConflictError(
            f"Runway task {video.id} is not finished yet ({video.provider_status}{progress}); "
            "wait for it (client.videos.poll) before downloading",
            status_code=409,
            code="video_not_ready",
        )
    output = video.extra.get("output")
    url = output[0] if isinstance(output, list) and output else None
    if not isinstance(url, str) or not url.startswith(("https://", "http://")):
        raise APIResponseValidationError(
            f"Runway task {video.id} SUCCEEDED without an output URL", status_code=200
        )
    return Request("GET", url, accept="*/*", stream=True, anonymous=True)


# -- responses ---------------------------------------------------------------------------------


def _timestamp(value: Any) -> int | None:
    """``createdAt`` (ISO 8601, ``...Z``) as Unix seconds; None if unreadable."""
    if not isinstance(value, str):
        return None
    try:
        when = datetime.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=datetime.timezone.utc)
    return int(when.timestamp())


def _progress(raw: Any, status: str) -> int | None:
    if status == "completed":
        return 100
    if isinstance(raw, bool) or not isinstance(raw, (int, float)) or raw != raw:
        return None
    return max(0, min(100, int(raw * 100)))


def parse_task(data: Any, *, request_id: str | None = None) -> Video:
    """A task (or a create's ``{"id"}`` answer) as a neutral :class:`Video`.

    Raises:
        ValueError: No ``id``.
    """
    if not isinstance(data, Mapping) or not isinstance(data.get("id"), str) or not data["id"]:
        raise ValueError("expected a task object with an 'id'")
    word = data.get("status")
    if word is None:  # a create's answer: the task exists and waits
        status, word = "queued", None
    else:
        word = str(word)
        status = STATUS_MAP.get(word.upper(), word.lower())
    error = None
    if status == "failed":
        code = data.get("failureCode")
        error = VideoError(
            code=None if code is None else str(code),
            message=str(data.get("failure") or "the task failed"),
        )
    known = {"id", "status", "progress", "createdAt", "failure", "failureCode"}
    video = Video(
        id=data["id"],
        status=status,
        progress=_progress(data.get("progress"), status) if word else None,
        created_at=_timestamp(data.get("createdAt")),
        error=error,
        extra={k: val for k, val in data.items() if k not in known},
        request_id=request_id,
        provider_status=word,
    )
    return video


def _task_id(url: str | None) -> str:
    path = urlsplit(url or "").path
    return path.rstrip("/").rsplit("/", 1)[-1]


def parse_model(
    resp: Response, cls: type[M], *, method: str | None = None, url: str | None = None
) -> M:
    """Read a 2xx answer as ``cls`` (a :class:`Video`, or a :class:`DeletedVideo` for 204)."""
    if resp.status >= 400:
        raise status_error(resp, method=method, url=url)
    if cls is DeletedVideo:
        deleted: Any = DeletedVideo(id=_task_id(url), deleted=True, request_id=resp.request_id)
        return deleted  # type: ignore[no-any-return]
    if cls is not Video:
        raise invalid_answer(resp, f"Runway has no {cls.__name__}", method=method, url=url)
    data = read_json(resp.body, resp, method=method, url=url)
    try:
        video: Any = parse_task(data, request_id=resp.request_id)
    except ValueError as exc:
        why = f"the response is not a Runway task: {exc}"
        raise invalid_answer(resp, why, method=method, url=url) from None
    return video  # type: ignore[no-any-return]
