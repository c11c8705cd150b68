"""Serving an asset file: streamed, with Content-Length, a strong ETag and single byte ranges.

Handles ``Range`` (one range; a set of ranges is answered with the whole file, as RFC 9110
allows), ``If-Range`` and ``If-None-Match``. A ``truncated`` fault promises the full length,
sends part of it and closes the connection, the way a broken proxy does.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from aiohttp import web

from ._errors import ApiError
from ._render import Asset

__all__ = ["parse_range", "send_asset"]

CHUNK = 256 * 1024


def parse_range(header: str | None, size: int) -> tuple[int, int] | None:
    """The byte range ``[start, end)`` a ``Range`` header asks of a ``size``-byte file.

    Returns None to send the whole file (no header, a unit other than bytes, several ranges,
    or a malformed spec, all of which RFC 9110 lets a server ignore).

    Raises:
        ApiError: 416 when the range lies wholly outside the file.
    """
    if not header:
        return None
    unit, _, spec = header.partition("=")
    if unit.strip().lower() != "bytes" or "," in spec:
        return None
    first, dash, last = spec.strip().partition("-")
    if not dash or not (first.isdigit() or first == "") or not (last.isdigit() or last == ""):
        return None
    if first == "":
        if last == "":
            return None
        suffix = int(last)
        if suffix == 0 or size == 0:
            raise _unsatisfiable(size)
        return max(0, size - suffix), size
    start = int(first)
    end = size if last == "" else int(last) + 1
    if last != "" and end <= start:
        return None  # "bytes=9-3" is malformed: ignored
    if start >= size:
        raise _unsatisfiable(size)
    return start, min(end, size)


def _unsatisfiable(size: int) -> ApiError:
    return ApiError(
        416,
        f"Requested range not satisfiable: the content is {size} bytes.",
        code="range_not_satisfiable",
        headers={"Content-Range": f"bytes */{size}"},
    )


def _read(path: Path, offset: int, length: int) -> bytes:
    with path.open("rb") as f:
        f.seek(offset)
        return f.read(length)


async def send_asset(
    request: web.Request, asset: Asset, *, truncate: bool = False
) -> web.StreamResponse:
    """Stream ``asset`` (or the requested part of it) as the answer to ``request``."""
    headers = {
        "Content-Type": asset.content_type,
        "ETag": asset.etag,
        "Accept-Ranges": "bytes",
    }
    match = request.headers.get("If-None-Match")
    if match is not None and (match.strip() == "*" or asset.etag in match.split(",")):
        return web.Response(status=304, headers={"ETag": asset.etag})
    if_range = request.headers.get("If-Range")
    span = None
    if if_range is None or if_range.strip() == asset.etag:
        span = parse_range(request.headers.get("Range"), asset.size)
    start, end = span if span is not None else (0, asset.size)
    status = 200
    if span is not None:
        status = 206
        headers["Content-Range"] = f"bytes {start}-{end - 1}/{asset.size}"
    response = web.StreamResponse(status=status, headers=headers)
    response.content_length = end - start
    await response.prepare(request)
    if request.method == "HEAD":
        return response
    loop = asyncio.get_running_loop()
    # A truncated answer stops half-way (at least one byte short) and drops the connection.
    stop = start + (end - start) // 2 if truncate else end
    offset = start
    try:
        while offset < stop:
            chunk = await loop.run_in_executor(
                None, _read, asset.path, offset, min(CHUNK, stop - offset)
            )
            if not chunk:
                break
            await response.write(chunk)
            offset += len(chunk)
    except ConnectionResetError:
        # The client hung up mid-body (it had what it needed, or refused what came): not
        # the server's error, and nothing more to send.
        return response
    if truncate:
        if request.transport is not None:
            request.transport.close()
        return response
    await response.write_eof()
    return response
