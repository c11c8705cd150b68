"""OpenAI's error shape: ``{"error": {"message", "code", "param", "type"}}``, read tolerantly."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from ..._sansio.errors import APIStatusError, status_error_class
from ..._sansio.http import Response, readable_text

__all__ = ["error_fields", "raise_for_status", "status_error"]


def error_fields(body: Any) -> tuple[str | None, str | None, str | None, str | None]:
    """(message, code, param, type) from an OpenAI-shaped error body, tolerating any shape."""
    if isinstance(body, Mapping):
        err = body.get("error", body)
        if isinstance(err, Mapping):

            def s(key: str) -> str | None:
                v = err.get(key)
                return None if v is None else str(v)

            return s("message"), s("code"), s("param"), s("type")
        if isinstance(err, str):
            return err, None, None, None
    return None, None, None, None


def status_error(
    resp: Response, *, method: str | None = None, url: str | None = None
) -> APIStatusError:
    """The :class:`~videoclient.APIStatusError` subclass for a 4xx/5xx response."""
    body: Any
    try:
        body = json.loads(resp.body) if resp.body else None
    except (ValueError, RecursionError):  # not JSON, or nested too deep to read
        body = None
    message, code, param, err_type = error_fields(body)
    if body is None:
        body = readable_text(resp.body) if resp.body else None
        message = message or (body if isinstance(body, str) and body else None)
    if not message:
        message = f"HTTP {resp.status} with no error message"
    cls = status_error_class(resp.status)
    return cls(
        message,
        status_code=resp.status,
        code=code,
        param=param,
        type=err_type,
        request_id=resp.request_id,
        body=body,
        headers=resp.headers,
        method=method,
        url=url,
    )


def raise_for_status(resp: Response, *, method: str | None = None, url: str | None = None) -> None:
    """Raise :func:`status_error` for a 4xx/5xx response; nothing for any other."""
    if resp.status >= 400:
        raise status_error(resp, method=method, url=url)
