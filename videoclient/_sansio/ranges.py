"""Resumable reads without I/O: Content-Range parsing and what to do with each response.

A download that breaks mid-body asks again with ``Range: bytes=N-`` and
``If-Range: <etag>``. The server answers 206 with the rest (go on appending), or
200 with the whole, current content (start over). :func:`plan_response` turns a
status and its headers into that decision, checking that the pieces fit together;
:func:`resume_headers` builds the request. Nothing here touches a socket, so it is
tested with canned headers and no event loop.

Invariants kept here:
- a resume is only asked with a strong ETag, so a changed asset is never spliced
  onto the start of the old one (a weak or missing ETag means start over);
- the complete length is fixed by the first response; any later response that
  disagrees is a :class:`~videoclient.ContentIntegrityError`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

import attrs

from .errors import ContentIntegrityError

__all__ = [
    "ContentMeta",
    "Plan",
    "expected_remaining",
    "parse_content_range",
    "plan_response",
    "resume_headers",
    "strong_etag",
]

_CONTENT_RANGE = re.compile(r"^\s*bytes\s+(\d+)-(\d+)/(\d+|\*)\s*$", re.IGNORECASE)


@attrs.frozen
class ContentMeta:
    """What the first response said about the asset.

    Attributes:
        total: The complete length in bytes, when the server declared it.
        etag: The strong ETag, when there is one (None for weak or missing ones).
        content_type: The Content-Type header.
        request_id: The ``x-request-id`` header.
    """

    total: int | None
    etag: str | None
    content_type: str | None
    request_id: str | None


@attrs.frozen
class Plan:
    """What to do with one response of a resumable read.

    Attributes:
        restart: True when the body starts at byte 0 (throw away what was kept).
        start: The offset of the body's first byte in the asset.
        meta: What is known about the asset after this response.
    """

    restart: bool
    start: int
    meta: ContentMeta


def strong_etag(value: str | None) -> str | None:
    """The ETag if it is strong (``"abc"``), else None (weak ``W/"abc"`` or missing)."""
    if not value:
        return None
    value = value.strip()
    if value.startswith(("W/", "w/")) or not (value.startswith('"') and value.endswith('"')):
        return None
    return value


def parse_content_range(value: str | None) -> tuple[int, int, int | None] | None:
    """``bytes 100-199/1000`` as ``(100, 200, 1000)`` (end exclusive; total None for ``*``).

    Returns None when the header is missing or malformed.
    """
    if not value:
        return None
    match = _CONTENT_RANGE.match(value)
    if not match:
        return None
    first, last = int(match.group(1)), int(match.group(2))
    total = None if match.group(3) == "*" else int(match.group(3))
    if last < first or (total is not None and last >= total):
        return None
    return first, last + 1, total


def resume_headers(offset: int, meta: ContentMeta | None) -> dict[str, str]:
    """Headers asking for the asset from ``offset`` on, if it is still the same asset.

    Empty (ask for the whole asset) at offset 0 or without a strong ETag to pin it.
    """
    if offset <= 0 or meta is None or meta.etag is None:
        return {}
    return {"Range": f"bytes={offset}-", "If-Range": meta.etag}


def _declared_length(headers: Mapping[str, str]) -> int | None:
    value = headers.get("content-length", "").strip()
    return int(value) if value.isdigit() else None


def _encoded(headers: Mapping[str, str]) -> bool:
    return headers.get("content-encoding", "identity").strip().lower() not in ("", "identity")


def plan_response(
    status: int,
    headers: Mapping[str, str],
    *,
    offset: int,
    known: ContentMeta | None,
) -> Plan:
    """Decide how a (2xx) response continues a read that already holds ``offset`` bytes.

    Args:
        status: 200 or 206 (anything else 2xx is read like 200).
        headers: The response headers, lower-cased.
        offset: Bytes already kept from earlier responses.
        known: What the first response said (None for the first response).

    Returns:
        Where this body starts, whether to start over, and the asset's metadata.

    Raises:
        ContentIntegrityError: A 206 that does not continue at ``offset``, or a length or
            ETag that contradicts an earlier response.
    """
    rid = headers.get("x-request-id")
    etag = strong_etag(headers.get("etag"))
    if _encoded(headers):
        # Lengths and ranges would count encoded bytes, not what is delivered: read whole.
        etag = None

    def broken(why: str) -> ContentIntegrityError:
        return ContentIntegrityError(why, status_code=status, request_id=rid)

    if status == 206:
        span = parse_content_range(headers.get("content-range"))
        if span is None:
            raise broken(
                f"a 206 answer with an unreadable Content-Range: {headers.get('content-range')!r}"
            )
        start, end, total = span
        if start != offset:
            raise broken(f"asked for the content from byte {offset}, got it from byte {start}")
        declared = _declared_length(headers)
        if declared is not None and declared != end - start:
            raise broken(
                f"Content-Range covers {end - start} bytes but Content-Length is {declared}"
            )
        if total is None and known is not None:
            total = known.total
        if known is not None:
            if known.total is not None and total is not None and total != known.total:
                raise broken(f"the content is {known.total} bytes, but a later answer says {total}")
            if known.etag is not None and etag is not None and etag != known.etag:
                raise broken("the content changed while it was being downloaded (ETag differs)")
            etag = known.etag if etag is None else etag
        meta = ContentMeta(total, etag, headers.get("content-type"), rid)
        return Plan(restart=False, start=start, meta=meta)
    total = None if _encoded(headers) else _declared_length(headers)
    meta = ContentMeta(total, etag, headers.get("content-type"), rid)
    return Plan(restart=offset > 0, start=0, meta=meta)


def expected_remaining(meta: ContentMeta, done: int) -> int | None:
    """Bytes still due after ``done`` (None when the total is unknown).

    Raises:
        ContentIntegrityError: More bytes arrived than the declared total.
    """
    if meta.total is None:
        return None
    if done > meta.total:
        raise ContentIntegrityError(
            f"received {done} bytes but the content is {meta.total} bytes",
            request_id=meta.request_id,
        )
    return meta.total - done
