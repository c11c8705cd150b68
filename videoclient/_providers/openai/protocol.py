"""OpenAI's Videos API (``/v1/videos``) as pure functions: arguments in, :class:`Request` out;
:class:`Response` in, models out (or an :class:`~videoclient.APIStatusError` raised).

Nothing here does I/O (an import contract keeps it so): it is tested with canned values
and no event loop. Every argument check happens in a ``build_*`` function, so bad input
fails before a connection is opened. A file the caller passed goes into the request as a
:class:`~videoclient._sansio.files.PendingFile`, read later off the event loop.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, TypeVar

import attrs

from ..._sansio import validate as v
from ..._sansio.errors import APIResponseValidationError
from ..._sansio.files import (
    IMAGE_TYPES,
    VIDEO_TYPES,
    FileInput,
    FileSource,
    PendingFile,
    check_file_input,
    is_reference,
)
from ..._sansio.http import Request, Response, loads, path_segment, readable_text
from ..._sansio.images import Colour, check_fit
from ..._sansio.models import Video
from ..._sansio.multipart import FormField
from ..._sansio.wire import WireError, structure
from .errors import raise_for_status

__all__ = [
    "CONTENT_ACCEPT",
    "Request",
    "Response",
    "build_content",
    "build_create",
    "build_create_character",
    "build_delete",
    "build_edit",
    "build_extend",
    "build_get_character",
    "build_list",
    "build_remix",
    "build_retrieve",
    "parse_model",
    "raise_for_status",
]

M = TypeVar("M")

#: What a content request accepts: the declared types of every variant, and anything else.
CONTENT_ACCEPT = "*/*"


def _with_extra(body: dict[str, Any], extra_body: Mapping[str, Any] | None) -> dict[str, Any]:
    if extra_body:
        if not isinstance(extra_body, Mapping):
            raise TypeError("extra_body must be a mapping")
        body = {**body, **extra_body}
    return body


def _form_or_json(
    path: str, fields: dict[str, Any], extra_body: Mapping[str, Any] | None
) -> Request:
    """A multipart request when any field is a file, else JSON; None values are left out."""
    body = _with_extra({k: val for k, val in fields.items() if val is not None}, extra_body)
    if any(isinstance(val, (FileSource, PendingFile)) for val in body.values()):
        form: list[FormField] = []
        for key, val in body.items():
            if isinstance(val, (FileSource, PendingFile)):
                form.append((key, val))
            elif isinstance(val, (Mapping, list)):
                form.append((key, json.dumps(val)))
            else:
                form.append((key, val if isinstance(val, str) else json.dumps(val)))
        return Request("POST", path, form=tuple(form))
    return Request("POST", path, json=body)


def _reference_or_file(value: Any, *, what: str, allowed: tuple[str, ...]) -> Any:
    """A reference object passes as JSON, a Video becomes ``{"id": ...}``, the rest is a file."""
    if isinstance(value, Video):
        return {"id": value.id}
    if is_reference(value):
        ref = dict(value)
        if not ref:
            raise ValueError(f"{what} reference must not be empty")
        return ref
    return _file(value, what=what, allowed=allowed)


def _file(value: Any, *, what: str, allowed: tuple[str, ...]) -> FileSource | PendingFile:
    if isinstance(value, FileSource):
        return value
    check_file_input(value, what=what)
    return PendingFile(value, what, allowed)


def build_create(
    *,
    prompt: str,
    model: str | None = None,
    seconds: int | str | None = None,
    size: str | tuple[int, int] | None = None,
    input_reference: FileInput | Mapping[str, Any] | None = None,
    extra_body: Mapping[str, Any] | None = None,
    fit: str | None = None,
    fit_background: Colour = "#000000",
) -> Request:
    """POST /videos.

    An uploaded reference image must have the requested ``size``: a mismatch is a
    ValueError when the file is read, or, with ``fit``, the image is resized (see
    :mod:`videoclient._io.images`).
    """
    fields: dict[str, Any] = {
        "prompt": v.check_prompt(prompt),
        "model": None if model is None else v.check_model(model),
        "seconds": None if seconds is None else v.check_seconds(seconds),
        "size": None if size is None else v.check_size(size),
    }
    fit, background = check_fit(fit, fit_background)
    if input_reference is not None:
        ref = _reference_or_file(input_reference, what="input_reference", allowed=IMAGE_TYPES)
        if isinstance(ref, PendingFile):
            if fit is not None and fields["size"] is None:
                raise ValueError("fit= needs size=: the size to fit the reference image to")
            ref = attrs.evolve(ref, size=fields["size"], fit=fit, background=background, image=True)
        elif fit is not None and not isinstance(ref, FileSource):
            raise ValueError("fit= resizes an uploaded image file, not a reference object")
        fields["input_reference"] = ref
    elif fit is not None:
        raise ValueError("fit= needs input_reference=: the image to resize")
    return _form_or_json("videos", fields, extra_body)


def build_retrieve(video_id: str) -> Request:
    """GET /videos/{video_id}."""
    return Request("GET", f"videos/{path_segment(v.check_id(video_id))}")


def build_delete(video_id: str) -> Request:
    """DELETE /videos/{video_id}."""
    return Request("DELETE", f"videos/{path_segment(v.check_id(video_id))}")


def build_list(
    *, limit: int | None = None, order: str | None = None, after: str | None = None
) -> Request:
    """GET /videos with the given page parameters."""
    params: list[tuple[str, str]] = []
    if limit is not None:
        params.append(("limit", str(v.check_limit(limit))))
    if order is not None:
        params.append(("order", v.check_order(order)))
    if after is not None:
        params.append(("after", v.check_id(after, name="after")))
    return Request("GET", "videos", params=tuple(params))


def build_remix(
    video_id: str, *, prompt: str, extra_body: Mapping[str, Any] | None = None
) -> Request:
    """POST /videos/{video_id}/remix."""
    path = f"videos/{path_segment(v.check_id(video_id))}/remix"
    return Request("POST", path, json=_with_extra({"prompt": v.check_prompt(prompt)}, extra_body))


def build_edit(*, video: Any, prompt: str, extra_body: Mapping[str, Any] | None = None) -> Request:
    """POST /videos/edits: ``video`` is a reference (``{"id": ...}``, a Video) or a file."""
    ref = _reference_or_file(video, what="video", allowed=VIDEO_TYPES)
    return _form_or_json(
        "videos/edits", {"prompt": v.check_prompt(prompt), "video": ref}, extra_body
    )


def build_extend(
    *, video: Any, prompt: str, seconds: int | str, extra_body: Mapping[str, Any] | None = None
) -> Request:
    """POST /videos/extensions: ``video`` is a reference (``{"id": ...}``, a Video) or a file."""
    fields = {"prompt": v.check_prompt(prompt), "seconds": v.check_seconds(seconds)}
    fields["video"] = _reference_or_file(video, what="video", allowed=VIDEO_TYPES)
    return _form_or_json("videos/extensions", fields, extra_body)


def build_create_character(
    *, name: str, video: FileInput, extra_body: Mapping[str, Any] | None = None
) -> Request:
    """POST /videos/characters (multipart: the spec takes only an uploaded video here)."""
    fields: dict[str, Any] = {
        "name": v.check_character_name(name),
        "video": _file(video, what="video", allowed=VIDEO_TYPES),
    }
    return _form_or_json("videos/characters", fields, extra_body)


def build_get_character(character_id: str) -> Request:
    """GET /videos/characters/{character_id}."""
    return Request(
        "GET", f"videos/characters/{path_segment(v.check_id(character_id, name='character_id'))}"
    )


def build_content(video_id: str, *, variant: str = "video") -> Request:
    """GET /videos/{video_id}/content: streamed; the variant is sent only when not the default."""
    v.check_variant(variant)
    params = () if variant == "video" else (("variant", variant),)
    path = f"videos/{path_segment(v.check_id(video_id))}/content"
    return Request("GET", path, params=params, accept=CONTENT_ACCEPT, stream=True)


# -- responses ---------------------------------------------------------------------------------


def parse_model(
    resp: Response, cls: type[M], *, method: str | None = None, url: str | None = None
) -> M:
    """Read a 2xx JSON response as ``cls`` (Video, VideoPage, ...) with its request id attached."""
    raise_for_status(resp, method=method, url=url)

    def invalid(why: str) -> APIResponseValidationError:
        return APIResponseValidationError(
            f"{method or ''} {url or ''}: {why}".strip(),
            status_code=resp.status,
            request_id=resp.request_id,
            method=method,
            url=url,
        )

    try:
        data = loads(resp.body)
    except (ValueError, RecursionError):  # not JSON, or nested too deep to read
        snippet = readable_text(resp.body, 80)
        raise invalid(f"the response is not valid JSON ({snippet!r})") from None
    try:
        return structure(data, cls, request_id=resp.request_id)
    except WireError as exc:
        raise invalid(f"the response is not a valid {cls.__name__}: {exc}") from None
