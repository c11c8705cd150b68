"""Google's error shape: an ``error`` object with ``code`` (429), ``message`` and ``status``
(``RESOURCE_EXHAUSTED``).

``status`` (the google.rpc code name) becomes the error's ``code``; read tolerantly.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..._sansio.answers import status_error_from
from ..._sansio.errors import APIStatusError
from ..._sansio.http import Response

__all__ = ["error_fields", "status_error"]


def error_fields(body: Any) -> tuple[str | None, str | None, str | None]:
    """(message, code, param) of a Google error body: ``status`` is the code."""
    if not isinstance(body, Mapping):
        return None, None, None
    err = body.get("error")
    if isinstance(err, str):
        return err, None, None
    if not isinstance(err, Mapping):
        return None, None, None
    message = err.get("message")
    code = err.get("status") or err.get("code")
    return (None if message is None else str(message)), (None if code is None else str(code)), None


def status_error(
    resp: Response, *, method: str | None = None, url: str | None = None
) -> APIStatusError:
    """The :class:`~videoclient.APIStatusError` subclass for a 4xx/5xx Vertex answer."""
    return status_error_from(resp, error_fields, method=method, url=url)
