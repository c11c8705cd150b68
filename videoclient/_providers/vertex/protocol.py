"""Veo on Vertex AI as pure functions: ``predictLongRunning`` to start, ``fetchPredictOperation``
to poll, the finished operation read as a neutral :class:`Video`.

An operation maps onto the neutral statuses (``Video.provider_status`` keeps the word):

=============================================  ============  ============================
operation                                      ``status``    notes
=============================================  ============  ============================
``done`` absent or false                       in_progress   ``running`` (also the create's
                                                             answer); no progress
``done`` with ``error``                        failed        ``error``: its message, status
``done``, no video, ``raiMediaFilteredCount``  failed        ``filtered``: the reasons
``done`` with ``response.videos``              completed     ``done``: inline or ``gcsUri``
=============================================  ============  ============================

``extra_body`` goes where Vertex reads each field: ``lastFrame``, ``referenceImages``,
``video`` and ``mask`` into ``instances[0]``; ``labels`` at the top; everything else
(``negativePrompt``, ``seed``, ``personGeneration``, ``storageUri``, ``generateAudio``,
``enhancePrompt``, ``sampleCount``, ...) into ``parameters``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, TypeVar

from ..._sansio import validate as v
from ..._sansio.answers import invalid_answer, read_json
from ..._sansio.errors import (
    APIResponseValidationError,
    ConflictError,
    UnsupportedOperationError,
    VideoFailedError,
)
from ..._sansio.files import IMAGE_TYPES, FileInput, FileSource, PendingFile, check_file_input
from ..._sansio.http import Request, Response
from ..._sansio.models import Video, VideoError
from .errors import status_error

__all__ = [
    "DEFAULT_MODEL",
    "INLINE_FIELD",
    "SIZES",
    "build_content",
    "build_create",
    "build_job_content",
    "build_retrieve",
    "check_operation",
    "parse_model",
    "parse_operation",
]

M = TypeVar("M")

DEFAULT_MODEL = "veo-3.1-generate-001"
#: The JSON field that carries an inline video.
INLINE_FIELD = "bytesBase64Encoded"
#: ``size`` -> (aspectRatio, resolution), as the Vertex docs list them.
SIZES: Mapping[str, tuple[str, str]] = {
    "1280x720": ("16:9", "720p"),
    "720x1280": ("9:16", "720p"),
    "1920x1080": ("16:9", "1080p"),
    "1080x1920": ("9:16", "1080p"),
    "3840x2160": ("16:9", "4k"),
    "2160x3840": ("9:16", "4k"),
}
_INSTANCE_KEYS = frozenset({"lastFrame", "referenceImages", "video", "mask"})
_TOP_KEYS = frozenset({"labels"})
_SEGMENT = re.compile(r"[A-Za-z0-9_.~@-]+")


def _durations(model: str) -> tuple[int, ...] | None:
    if model.startswith("veo-2"):
        return (5, 6, 8)
    if model.startswith("veo-3"):
        return (4, 6, 8)
    return None  # another model: sent as given


def model_path(prefix: str, model: str) -> str:
    """``v1beta1/[projects/P/locations/L/]publishers/google/models/{model}``."""
    if not _SEGMENT.fullmatch(model):
        raise ValueError(f"model must be a plain model name, got {model!r:.60}")
    return f"v1beta1/{prefix}publishers/google/models/{model}"


def check_operation(name: str) -> str:
    """An operation name (``.../models/M/operations/ID``) fit to build a path from.

    Raises:
        TypeError: Not a string.
        ValueError: Not an operation name.
    """
    if not isinstance(name, str):
        raise TypeError(f"a Vertex job id is the operation name (a str), got {type(name).__name__}")
    resource, sep, op_id = name.rpartition("/operations/")
    parts = resource.split("/")
    ok = (
        sep
        and op_id
        and _SEGMENT.fullmatch(op_id)
        and len(parts) >= 4
        and parts[-4:-1] == ["publishers", "google", "models"]
        and all(_SEGMENT.fullmatch(p) and p not in (".", "..") for p in parts)
    )
    if not ok:
        raise ValueError(
            "a Vertex job id is the operation name "
            f"'[projects/P/locations/L/]publishers/google/models/M/operations/ID', got {name!r:.80}"
        )
    return name


def _image(value: FileInput | Mapping[str, Any]) -> Any:
    if isinstance(value, Mapping):
        uri = value.get("gcsUri") or value.get("gcs_uri") or value.get("image_url")
        if not isinstance(uri, str) or not uri.startswith("gs://"):
            raise ValueError(
                "input_reference for Vertex must be a file (sent inline as base64) or "
                "{'gcsUri': 'gs://bucket/image.png', 'mimeType': 'image/png'}"
            )
        return {"gcsUri": uri, "mimeType": str(value.get("mimeType", "image/png"))}
    if isinstance(value, FileSource):
        raise TypeError("input_reference: pass the file itself (path, bytes, file object)")
    check_file_input(value, what="input_reference")
    return PendingFile(value, "input_reference", IMAGE_TYPES, image=True, inline="base64_image")


def build_create(
    prefix: str,
    *,
    prompt: str,
    model: str | None = None,
    seconds: int | str | None = None,
    size: str | tuple[int, int] | None = None,
    input_reference: FileInput | Mapping[str, Any] | None = None,
    extra_body: Mapping[str, Any] | None = None,
    fit: str | None = None,
) -> Request:
    """``POST .../models/{model}:predictLongRunning``.

    Raises:
        ValueError: A size or duration Veo cannot express (the message lists what it
            accepts), or ``fit`` (Veo fits the image itself).
    """
    if fit is not None:
        raise ValueError("fit= is not used with Vertex: Veo fits the image to the aspect ratio")
    name = DEFAULT_MODEL if model is None else v.check_model(model)
    instance: dict[str, Any] = {"prompt": v.check_prompt(prompt)}
    parameters: dict[str, Any] = {"sampleCount": 1}
    if size is not None:
        wanted = v.check_size(size)
        if wanted not in SIZES:
            raise ValueError(
                f"size {wanted} is not available on Veo; use one of {', '.join(SIZES)}"
            )
        parameters["aspectRatio"], parameters["resolution"] = SIZES[wanted]
    if seconds is not None:
        text = v.check_seconds(seconds)
        accepted = _durations(name)
        if not text.isdigit() or (accepted is not None and int(text) not in accepted):
            listed = ", ".join(str(d) for d in accepted or ())
            raise ValueError(f"seconds={text} is not available for {name}; use one of {listed}")
        parameters["durationSeconds"] = int(text)
    inline = False
    if input_reference is not None:
        instance["image"] = _image(input_reference)
        inline = isinstance(instance["image"], PendingFile)
    body: dict[str, Any] = {"instances": [instance], "parameters": parameters}
    if extra_body:
        if not isinstance(extra_body, Mapping):
            raise TypeError("extra_body must be a mapping")
        for key, val in extra_body.items():
            if key in _INSTANCE_KEYS:
                instance[key] = val
            elif key in _TOP_KEYS:
                body[key] = val
            else:
                parameters[key] = val
    path = model_path(prefix, name) + ":predictLongRunning"
    return Request("POST", path, json=body, inline_files=inline)


def build_retrieve(name: str, *, stream: bool = False) -> Request:
    """``POST .../models/{model}:fetchPredictOperation`` ``{"operationName": name}``."""
    resource = check_operation(name).rpartition("/operations/")[0]
    return Request(
        "POST",
        f"v1beta1/{resource}:fetchPredictOperation",
        json={"operationName": name},
        stream=stream,
    )


def build_content(name: str, *, variant: str = "video") -> Request:
    """The poll request, streamed: its answer carries the video inline (read field by field)."""
    v.check_variant(variant)
    return build_retrieve(name, stream=True)


def build_job_content(video: Video, *, variant: str = "video") -> Request:
    """Explain why a finished operation gave no inline video (it never returns a request).

    Raises:
        UnsupportedOperationError: The video went to the caller's bucket (``storageUri``).
        VideoFailedError: The job failed (its error, or the safety filter's reasons).
        ConflictError: The job is still running.
        APIResponseValidationError: A finished job with no video at all.
    """
    if video.status == "failed":
        raise VideoFailedError(video)
    if video.status != "completed":
        raise ConflictError(
            f"Vertex operation {video.id} is not done yet; wait for it (client.videos.poll) "
            "before downloading",
            status_code=409,
            code="video_not_ready",
        )
    for item in video.extra.get("videos") or ():
        if isinstance(item, Mapping) and item.get("gcsUri"):
            raise UnsupportedOperationError(
                "vertex",
                "content:gcs",
                f"the video was written to your Cloud Storage bucket at {item['gcsUri']} "
                "(storageUri was given); read it from there (gcloud storage cp, or "
                "google-cloud-storage)",
            )
    raise APIResponseValidationError(
        f"Vertex operation {video.id} is done but carries no video", status_code=200
    )


# -- responses ---------------------------------------------------------------------------------


def strip_inline(body: bytes | bytearray) -> tuple[bytes | bytearray, list[int]]:
    """``body`` with each inline video's base64 cut out, and each one's decoded size.

    A finished operation can carry tens of megabytes of base64; reading it with
    ``json.loads`` would hold it twice more, and so would a slice of it: the value is
    measured in place. It has no escapes (base64 is plain ASCII, "/" aside), so it ends
    at the next quote.
    """
    key = b'"' + INLINE_FIELD.encode() + b'"'
    parts: list[bytes | bytearray] = []
    sizes: list[int] = []
    pos = 0
    while (at := body.find(key, pos)) >= 0:
        colon = body.find(b":", at + len(key))
        start = body.find(b'"', colon + 1)
        end = body.find(b'"', start + 1)
        if colon < 0 or start < 0 or end < 0:
            break
        # Measured in place: a copy of the value would hold the base64 twice. Escapes are
        # rare ("\\/"): find (memchr) rules them out much faster than count would.
        escapes = body.count(b"\\", start + 1, end) if body.find(b"\\", start + 1, end) >= 0 else 0
        clean = end - start - 1 - escapes
        padding = body.count(b"=", max(start + 1, end - 2), end)
        sizes.append(clean * 3 // 4 - padding)
        parts.append(body[pos : start + 1])
        pos = end
    if not parts:
        return body, sizes
    parts.append(body[pos:])
    return b"".join(parts), sizes


def parse_operation(
    data: Any, *, request_id: str | None = None, sizes: list[int] | None = None
) -> Video:
    """An operation (or a create's ``{"name"}``) as a neutral :class:`Video`.

    Raises:
        ValueError: No ``name``.
    """
    if not isinstance(data, Mapping) or not isinstance(data.get("name"), str):
        raise ValueError("expected an operation with a 'name'")
    name = data["name"]
    extra: dict[str, Any] = {}
    error = None
    if not data.get("done"):  # a create's answer too: Vertex tells queued from running apart never
        status, word = "in_progress", "running"
    elif isinstance(data.get("error"), Mapping):
        err = data["error"]
        status, word = "failed", "error"
        code = err.get("status") or err.get("code")
        error = VideoError(
            code=None if code is None else str(code), message=str(err.get("message", ""))
        )
    else:
        raw_response = data.get("response")
        response: Mapping[str, Any] = raw_response if isinstance(raw_response, Mapping) else {}
        videos = response.get("videos") or []
        if videos:
            status, word = "completed", "done"
            shown = []
            for i, item in enumerate(videos):
                item = dict(item) if isinstance(item, Mapping) else {}
                if INLINE_FIELD in item:
                    item[INLINE_FIELD] = None  # cut out; download it with client.videos.download
                    item["size"] = sizes[i] if sizes and i < len(sizes) else None
                shown.append(item)
            extra["videos"] = shown
        else:
            status = "failed"
            filtered = response.get("raiMediaFilteredCount") or 0
            reasons = response.get("raiMediaFilteredReasons") or []
            if filtered:
                word = "filtered"
                text = "; ".join(str(r) for r in reasons) or "blocked by the safety filter"
                error = VideoError(
                    code="filtered", message=f"Veo's safety filter blocked the video: {text}"
                )
            else:
                word = "empty"
                error = VideoError(
                    code="no_video", message="the operation finished without a video"
                )
            extra["raiMediaFilteredCount"] = filtered
            extra["raiMediaFilteredReasons"] = list(reasons)
    model = name.rpartition("/operations/")[0].rpartition("/")[2] or None
    return Video(
        id=name,
        status=status,
        model=model,
        progress=100 if status == "completed" else None,
        error=error,
        extra=extra,
        request_id=request_id,
        provider_status=word,
    )


def parse_model(
    resp: Response, cls: type[M], *, method: str | None = None, url: str | None = None
) -> M:
    """Read a 2xx answer as a :class:`Video` (the only model Vertex's answers make)."""
    if resp.status >= 400:
        raise status_error(resp, method=method, url=url)
    if cls is not Video:
        raise invalid_answer(resp, f"Vertex has no {cls.__name__}", method=method, url=url)
    body, sizes = strip_inline(resp.body)
    data = read_json(body, resp, method=method, url=url)
    try:
        video: Any = parse_operation(data, request_id=resp.request_id, sizes=sizes)
    except ValueError as exc:
        why = f"the response is not an operation: {exc}"
        raise invalid_answer(resp, why, method=method, url=url) from None
    return video  # type: ignore[no-any-return]
