"""Runway's error shapes: ``{"error": "message"}``, and validation errors with ``issues``.

Read by :func:`~videoclient._sansio.errorshapes.read_error` like any other shape (a gateway
in front answers in its own); Runway's own additions are kept: the ``issues`` of a 400
join the message, and a ``failureCode`` (a task's, or an error's) is the error's code.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs

from ..._sansio.answers import status_error_from
from ..._sansio.errors import APIStatusError
from ..._sansio.errorshapes import ErrorReading, read_error
from ..._sansio.http import Response

__all__ = ["error_fields", "status_error"]


def _issues(issues: Any) -> str | None:
    """``issues: [{"message", "path": [...]}...]`` as one line (Runway's 400 details)."""
    if not isinstance(issues, list):
        return None
    parts: list[str] = []
    for issue in issues[:5]:
        if isinstance(issue, Mapping):
            path = issue.get("path")
            where = ".".join(str(p) for p in path) if isinstance(path, list) else ""
            text = str(issue.get("message", ""))
            parts.append(f"{where}: {text}" if where else text)
    return "; ".join(p for p in parts if p) or None


def error_fields(body: Any) -> ErrorReading:
    """A Runway error body (or a gateway's in front of it), tolerating any shape."""
    reading = read_error(body)
    if not isinstance(body, Mapping):
        return reading
    details = _issues(body.get("issues"))
    if details:
        message = f"{reading.message} ({details})" if reading.message else details
        reading = attrs.evolve(reading, message=message)
    failure = body.get("failureCode")
    if failure is not None and not reading.code:
        reading = attrs.evolve(reading, code=str(failure))
    return reading


def status_error(
    resp: Response, *, method: str | None = None, url: str | None = None
) -> APIStatusError:
    """The :class:`~videoclient.APIStatusError` subclass for a 4xx/5xx Runway answer."""
    return status_error_from(resp, error_fields, method=method, url=url)
