"""HTTP as values: the :class:`Request` a provider builds and the :class:`Response` it reads.

Nothing here does I/O. A provider turns arguments into a :class:`Request`; the transport
sends it and hands back a :class:`Response`; the provider reads that as a model or an
error. Both ends are tested with canned values and no event loop.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

import attrs

from .multipart import FormField

__all__ = ["Request", "Response", "loads", "path_segment", "readable_text"]


@attrs.frozen
class Request:
    """One API call, ready for the transport.

    Attributes:
        method: HTTP method.
        path: Path below the base URL, already quoted, without a leading slash.
        params: Query parameters.
        json: A JSON body, or None.
        form: multipart/form-data fields (text or files), or None. A file still to be
            read from the caller's input is a :class:`~videoclient._sansio.files.PendingFile`
            until the client resolves it (off the event loop).
        accept: The Accept header.
        stream: True when the body is content to stream rather than JSON to parse.
        anonymous: ``path`` is an absolute URL on another origin (a signed download URL)
            that must get no credential of any kind: no key, no token, no account
            header, none of the client's default headers or query parameters.
        inline_files: The JSON body holds :class:`~videoclient._sansio.files.PendingFile`
            values to read and embed as base64 (``PendingFile.inline``) before sending.
        creates: The request starts billable work (a job, a character): sending it twice
            may make two, so the create-retry policy decides whether it may be resent.
    """

    method: str
    path: str
    params: tuple[tuple[str, str], ...] = ()
    json: Any = None
    form: tuple[FormField, ...] | None = None
    accept: str = "application/json"
    stream: bool = False
    anonymous: bool = False
    inline_files: bool = False
    creates: bool = False

    @property
    def shown(self) -> str:
        """The path for logs and messages: a signed URL without its query (its secret)."""
        if self.anonymous:
            return self.path.split("?", 1)[0]
        return self.path


@attrs.frozen
class Response:
    """A complete response: status, lower-cased headers, body bytes."""

    status: int
    headers: Mapping[str, str]
    body: bytes | bytearray

    @property
    def request_id(self) -> str | None:
        return self.headers.get("x-request-id")


#: Characters quote() leaves alone: an id made only of these is its own path segment.
_UNRESERVED = re.compile(r"[A-Za-z0-9_.~-]+")


def path_segment(value: str) -> str:
    """``value`` quoted as one URL path segment (``/`` included)."""
    if _UNRESERVED.fullmatch(value):
        return value
    return quote(value, safe="")


def loads(body: bytes | bytearray) -> Any:
    """``json.loads(body)``, skipping its encoding detection for the usual UTF-8 body."""
    try:
        return json.loads(body.decode())
    except ValueError:  # not UTF-8 (or a BOM): the same as json.loads on the bytes
        return json.loads(body)


_TAG_RE = re.compile(r"<[^>]+>")
_SPACE_RE = re.compile(r"\s+")


def readable_text(body: bytes | bytearray, limit: int = 300) -> str:
    """A short human reading of a non-JSON body (an HTML error page from a proxy, say)."""
    text = body[: limit * 8].decode("utf-8", "replace")
    title = re.search(r"<title>(.*?)</title>", text, re.IGNORECASE | re.DOTALL)
    if title:
        text = title.group(1)
    text = _SPACE_RE.sub(" ", _TAG_RE.sub(" ", text)).strip()
    return text[:limit] + ("..." if len(text) > limit else "")
