"""Reading request parameters out of a JSON or multipart body (pure; no I/O).

A body is a mapping from field names to values: JSON values for a JSON body; strings or
:class:`Upload` for a multipart one. Multipart nests objects the way the official SDKs send
them (``input_reference[image_url]``, ``video[id]``) or as a JSON text field; both are read.
Every failure is an :class:`~._errors.ApiError` naming the parameter.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
from collections.abc import Mapping
from typing import Any

import attrs

from ._errors import bad_request, missing_parameter

__all__ = [
    "DEFAULT_MODEL",
    "DEFAULT_SECONDS",
    "DEFAULT_SIZE",
    "MAX_SECONDS",
    "MAX_SIDE",
    "ImageUrl",
    "Upload",
    "decode_data_url",
    "fingerprint",
    "input_reference",
    "list_query",
    "model",
    "name",
    "prompt",
    "seconds",
    "size",
    "video_reference",
]

DEFAULT_MODEL = "sora-2"
DEFAULT_SIZE = (720, 1280)
DEFAULT_SECONDS = 4
MAX_SIDE = 4096
MAX_SECONDS = 300
MAX_PROMPT = 32000
_SIZE = re.compile(r"^([1-9][0-9]{0,4})x([1-9][0-9]{0,4})$")
_DATA_URL = re.compile(r"^data:([\w.+-]+/[\w.+-]+)?((?:;[\w.+-]+=[\w.+-]+)*)(;base64)?,(.*)$", re.S)


@attrs.frozen
class Upload:
    """A file part of a multipart body."""

    data: bytes = attrs.field(repr=lambda d: f"<{len(d)} bytes>")
    content_type: str = "application/octet-stream"
    filename: str | None = None


@attrs.frozen
class ImageUrl:
    """An ``input_reference`` given as ``{"image_url": ...}`` (only data URLs are readable)."""

    url: str


Body = Mapping[str, Any]


#: Fields that may be an object: in a multipart body such an object arrives as JSON text.
_OBJECT_FIELDS = frozenset({"input_reference", "video"})


def _field(body: Body, name: str) -> Any:
    """A field, also found under the SDKs' bracketed multipart names (``name[key]``)."""
    if name in body:
        value = body[name]
        if name in _OBJECT_FIELDS and isinstance(value, str) and value.lstrip().startswith("{"):
            try:
                parsed = json.loads(value)
            except (ValueError, RecursionError):
                return value
            return parsed if isinstance(parsed, dict) else value
        return value
    prefix = name + "["
    nested = {
        k[len(prefix) : -1]: v for k, v in body.items() if k.startswith(prefix) and k[-1] == "]"
    }
    return nested or None


def _text(body: Body, name: str, *, low: int = 1, high: int = MAX_PROMPT) -> str | None:
    value = _field(body, name)
    if value is None:
        return None
    if not isinstance(value, str):
        raise bad_request(f"Invalid type for '{name}': expected a string.", param=name)
    if not low <= len(value) <= high:
        raise bad_request(
            f"Invalid '{name}': string length must be between {low} and {high}, got {len(value)}.",
            param=name,
            code="invalid_value",
        )
    return value


def prompt(body: Body) -> str:
    """The required ``prompt`` (1 to 32,000 characters)."""
    value = _text(body, "prompt")
    if value is None:
        raise missing_parameter("prompt")
    return value


def name(body: Body) -> str:
    """A character's required ``name`` (1 to 80 characters)."""
    value = _text(body, "name", high=80)
    if value is None:
        raise missing_parameter("name")
    return value


def model(body: Body) -> str:
    """``model``: any non-empty string; defaults to ``sora-2``."""
    return _text(body, "model", high=256) or DEFAULT_MODEL


def size(body: Body) -> tuple[int, int]:
    """``size`` as ``WxH`` (each side 1 to 4096); defaults to 720x1280."""
    value = _field(body, "size")
    if value is None:
        return DEFAULT_SIZE
    match = _SIZE.match(value) if isinstance(value, str) else None
    if match is None or max(int(match[1]), int(match[2])) > MAX_SIDE:
        raise bad_request(
            f"Invalid 'size': {value!r}. Expected WIDTHxHEIGHT, e.g. '720x1280', with each side "
            f"at most {MAX_SIDE}.",
            param="size",
            code="invalid_value",
        )
    return int(match[1]), int(match[2])


def seconds(body: Body, *, required: bool = False) -> int:
    """``seconds``: a positive whole number (string or integer), at most 300; defaults to 4."""
    value = _field(body, "seconds")
    if value is None:
        if required:
            raise missing_parameter("seconds")
        return DEFAULT_SECONDS
    number: int | None = None
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    elif isinstance(value, str) and value.strip().isdigit():
        number = int(value.strip())
    if number is None or not 1 <= number <= MAX_SECONDS:
        raise bad_request(
            f"Invalid 'seconds': {value!r}. Expected a whole number of seconds from 1 to "
            f"{MAX_SECONDS}, e.g. '4', '8' or '12'.",
            param="seconds",
            code="invalid_value",
        )
    return number


def input_reference(body: Body) -> Upload | ImageUrl | None:
    """``input_reference``: an uploaded file, or ``{"image_url": ...}``; ``file_id`` is refused."""
    value = _field(body, "input_reference")
    if value is None or isinstance(value, Upload):
        return value
    if isinstance(value, Mapping):
        url, file_id = value.get("image_url"), value.get("file_id")
        if isinstance(url, str) and url and file_id is None:
            return ImageUrl(url)
        if isinstance(file_id, str) and url is None:
            raise bad_request(
                "The emulator has no Files API: give 'input_reference' as an upload or as an "
                "'image_url' data URL.",
                param="input_reference.file_id",
                code="unsupported_value",
            )
    raise bad_request(
        "Invalid 'input_reference': provide a file upload or an object with exactly one of "
        "'image_url' or 'file_id'.",
        param="input_reference",
    )


def video_reference(body: Body) -> str | Upload:
    """``video`` of an edit or extension: ``{"id": ...}`` (or a bare id) or an uploaded video."""
    value = _field(body, "video")
    if value is None:
        raise missing_parameter("video")
    if isinstance(value, Upload):
        return value
    if isinstance(value, Mapping) and isinstance(value.get("id"), str) and value["id"]:
        return str(value["id"])
    if isinstance(value, str) and value:
        return value
    raise bad_request(
        "Invalid 'video': expected an object {'id': 'video_...'} or an uploaded video file.",
        param="video",
    )


def decode_data_url(url: str, *, param: str) -> tuple[str, bytes]:
    """(media type, bytes) of a ``data:`` URL.

    Raises:
        ApiError: 400 for anything else (the emulator fetches no remote URL).
    """
    match = _DATA_URL.match(url)
    if match is None:
        raise bad_request(
            f"Invalid '{param}': the emulator accepts only data URLs "
            "(data:image/png;base64,...), not remote URLs.",
            param=param,
            code="invalid_image_url",
        )
    media_type = match[1] or "text/plain"
    try:
        data = base64.b64decode(match[4], validate=True) if match[3] else match[4].encode()
    except (binascii.Error, ValueError) as exc:
        raise bad_request(
            f"Invalid '{param}': the data URL is not valid base64.", param=param
        ) from exc
    return media_type, data


def list_query(query: Mapping[str, str]) -> tuple[int, str, str | None]:
    """(limit, order, after) of a list request: limit 0..100 (20), order asc|desc (desc)."""
    raw_limit = query.get("limit", "20")
    try:
        limit = int(raw_limit)
    except ValueError:
        limit = -1
    if not 0 <= limit <= 100:
        raise bad_request(
            f"Invalid 'limit': {raw_limit!r}. Expected an integer from 0 to 100.",
            param="limit",
            code="invalid_value",
        )
    order = query.get("order", "desc")
    if order not in ("asc", "desc"):
        raise bad_request(
            f"Invalid 'order': {order!r}. Expected 'asc' or 'desc'.",
            param="order",
            code="invalid_value",
        )
    after = query.get("after") or None
    return limit, order, after


def _canonical(value: Any) -> Any:
    if isinstance(value, Upload):
        return {"sha256": hashlib.sha256(value.data).hexdigest(), "type": value.content_type}
    if isinstance(value, Mapping):
        return {str(k): _canonical(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_canonical(v) for v in value]
    return value


def fingerprint(route: str, body: Body) -> str:
    """A digest of what a request asks for, independent of JSON spacing or multipart boundary."""
    text = json.dumps([route, _canonical(body)], sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()
