"""Runway's error shapes: ``{"error": "message"}``, and validation errors with ``issues``.

Read tolerantly: an error object with a message and a code (a gateway in front)
or a plain-text body also give a readable message.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..._sansio.answers import status_error_from
from ..._sansio.errors import APIStatusError
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


def error_fields(body: Any) -> tuple[str | None, str | None, str | None]:
    """(message, code, param) from a Runway error body, tolerating any shape."""
    if not isinstance(body, Mapping):
        return None, None, None
    err = body.get("error")
    code = body.get("code")
    code = None if code is None else str(code)
    details = _issues(body.get("issues"))
    if isinstance(err, str):
        return (f"{err} ({details})" if details else err), code, None
    if isinstance(err, Mapping):
        msg = err.get("message")
        err_code = err.get("code", code)
        param = err.get("param")
        return (
            None if msg is None else str(msg),
            None if err_code is None else str(err_code),
            None if param is None else str(param),
        )
    return details, code, None


def status_error(
    resp: Response, *, method: str | None = None, url: str | None = None
) -> APIStatusError:
    """The :class:`~videoclient.APIStatusError` subclass for a 4xx/5xx Runway answer."""
    return status_error_from(resp, error_fields, method=method, url=url)
