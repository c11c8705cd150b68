"""Reading a request body into a field mapping: JSON, multipart or URL-encoded."""

from __future__ import annotations

import json
from typing import Any

from aiohttp import BodyPartReader, hdrs, web

from ._errors import ApiError, bad_request
from ._params import Upload

__all__ = ["read_body"]


def _too_large(limit: int) -> ApiError:
    return ApiError(
        413,
        f"Request body too large: the emulator accepts at most {limit} bytes.",
        code="request_too_large",
    )


async def _read_part(part: BodyPartReader, limit: int, used: int) -> bytes:
    chunks: list[bytes] = []
    while chunk := await part.read_chunk():
        used += len(chunk)
        if used > limit:
            raise _too_large(limit)
        chunks.append(bytes(chunk))
    return b"".join(chunks)


async def read_body(request: web.Request, limit: int) -> dict[str, Any]:
    """The fields of a JSON object, a multipart form or a URL-encoded form (empty: ``{}``).

    File parts become :class:`~._params.Upload`; text parts strings.

    Raises:
        ApiError: 400 for malformed or unsupported bodies, 413 past ``limit`` bytes.
    """
    ctype = request.content_type
    if ctype == "multipart/form-data":
        fields: dict[str, Any] = {}
        used = 0
        reader = await request.multipart()
        while (part := await reader.next()) is not None:
            if not isinstance(part, BodyPartReader) or part.name is None:
                continue
            data = await _read_part(part, limit, used)
            used += len(data)
            part_type = part.headers.get(hdrs.CONTENT_TYPE)
            if part.filename is not None or (part_type and not part_type.startswith("text/")):
                fields[part.name] = Upload(
                    data, part_type or "application/octet-stream", part.filename
                )
            else:
                fields[part.name] = data.decode(part.get_charset("utf-8"), errors="replace")
        return fields
    if request.content_length is not None and request.content_length > limit:
        raise _too_large(limit)
    raw = await request.read()
    if not raw.strip():
        return {}
    if ctype == "application/x-www-form-urlencoded":
        return dict((await request.post()).items())
    if ctype not in ("application/json", "application/octet-stream", "text/plain", ""):
        raise bad_request(
            f"Unsupported Content-Type {ctype!r}: send application/json or multipart/form-data."
        )
    try:
        value = json.loads(raw)
    except (ValueError, RecursionError) as exc:  # not JSON, or nested too deep to read
        raise bad_request(
            "We could not parse the JSON body of your request. The API expects a JSON "
            "payload (or multipart/form-data), but what was sent was not valid JSON."
        ) from exc
    if not isinstance(value, dict):
        raise bad_request("The JSON body of your request must be an object.")
    return value
