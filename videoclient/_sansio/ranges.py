"""Resumable reads without I/O: Content-Range parsing and what to do with each response.

A download that breaks mid-body asks again with ``Range: bytes=N-`` and
``If-Range: <validator>``. The server answers 206 with the rest (go on appending), or
200 with the whole, current content (start over). :func:`plan_response` turns a
status and its headers into that decision, checking that the pieces fit together;
:func:`resume_headers` builds the request. Nothing here touches a socket, so it is
tested with canned headers and no event loop.

The validator is the strong ETag; a gateway that drops ETags may keep ``Last-Modified``,
which RFC 9110 (8.8.2.2, 13.1.5) lets pin a range when it is strong: at least a second
older than the answer's ``Date``. Then the 206 must carry that same ``Last-Modified``
(a gateway may drop ``If-Range`` on its way up as well), or it is not taken.

Invariants kept here:
- a resume is only asked with a strong validator (ETag, else a strong Last-Modified), so
  a changed asset is never spliced onto the start of the old one (none means start over);
- a 206 resumed by Last-Modified that does not repeat it is ``unverified``: the caller
  asks for the whole asset again instead of appending it;
- the complete length is fixed by the first response; any later response that
  disagrees is a :class:`~videoclient.ContentIntegrityError`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from email.utils import parsedate_to_datetime

import attrs

from .errors import ContentIntegrityError

__all__ = [
    "ContentMeta",
    "Plan",
    "expected_remaining",
    "parse_content_range",
    "plan_response",
    "resume_headers",
    "same_asset",
    "strong_etag",
    "strong_last_modified",
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
        last_modified: The ``Last-Modified`` header when it is a strong validator (see
            :func:`strong_last_modified`), else None.
    """

    total: int | None
    etag: str | None
    content_type: str | None
    request_id: str | None
    last_modified: str | None = None


@attrs.frozen
class Plan:
    """What to do with one response of a resumable read.

    Attributes:
        restart: True when the body starts at byte 0 (throw away what was kept).
        start: The offset of the body's first byte in the asset.
        meta: What is known about the asset after this response.
        unverified: A 206 that nothing shows to continue the same asset (resumed by
            Last-Modified, which it does not repeat): ask for the whole asset instead.
    """

    restart: bool
    start: int
    meta: ContentMeta
    unverified: bool = False


def strong_etag(value: str | None) -> str | None:
    """The ETag if it is strong (``"abc"``), else None (weak ``W/"abc"`` or missing)."""
    if not value:
        return None
    value = value.strip()
    if value.startswith(("W/", "w/")) or not (value.startswith('"') and value.endswith('"')):
        return None
    return value


def _date(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return parsedate_to_datetime(value).timestamp()
    except (TypeError, ValueError, IndexError, OverflowError):
        return None


def strong_last_modified(headers: Mapping[str, str]) -> str | None:
    """``Last-Modified`` if it can pin a range: at least one second before ``Date``.

    A date within the second of the answer may not tell two versions apart (RFC 9110
    8.8.2.2); without a ``Date`` nothing shows it is older.
    """
    value = headers.get("last-modified", "").strip()
    modified, sent = _date(value), _date(headers.get("date"))
    if modified is None or sent is None or sent - modified < 1.0:
        return None
    return value


def same_asset(known: ContentMeta, meta: ContentMeta) -> bool:
    """Whether a whole new answer shows the same asset as before: the same strong ETag, or
    (without ETags) the same strong Last-Modified and length."""
    if known.etag is not None:
        return meta.etag == known.etag
    return (
        known.last_modified is not None
        and meta.last_modified == known.last_modified
        and meta.total == known.total
    )


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

    Empty (ask for the whole asset) at offset 0 or without a strong validator to pin it:
    the ETag, else a strong Last-Modified.
    """
    if offset <= 0 or meta is None:
        return {}
    validator = meta.etag or meta.last_modified
    if validator is None:
        return {}
    return {"Range": f"bytes={offset}-", "If-Range": validator}


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
    modified = strong_last_modified(headers)
    if _encoded(headers):
        # Lengths and ranges would count encoded bytes, not what is delivered: read whole.
        etag = modified = None

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
            # Resumed by Last-Modified alone: only the same date shows it is the same asset
            # (another date and length is another asset: asked for whole, not an error).
            unverified = (
                start > 0
                and known.etag is None
                and (known.last_modified is None or modified != known.last_modified)
            )
            resized = known.total is not None and total is not None and total != known.total
            if resized and not unverified:
                raise broken(f"the content is {known.total} bytes, but a later answer says {total}")
            if known.etag is not None and etag is not None and etag != known.etag:
                raise broken("the content changed while it was being downloaded (ETag differs)")
            etag = known.etag if etag is None else etag
            modified = known.last_modified if modified is None else modified
        else:
            unverified = start > 0  # a 206 for the middle of an asset never seen whole
        meta = ContentMeta(total, etag, headers.get("content-type"), rid, modified)
        return Plan(restart=False, start=start, meta=meta, unverified=unverified)
    total = None if _encoded(headers) else _declared_length(headers)
    meta = ContentMeta(total, etag, headers.get("content-type"), rid, modified)
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
