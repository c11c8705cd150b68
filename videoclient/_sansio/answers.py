"""Reading a provider's answers, the parts every provider shares: a JSON body, an error.

Every error body is read by :func:`~videoclient._sansio.errorshapes.read_error`, whatever its
shape (a provider adds what only its own bodies hold, as its :data:`ErrorFields`); turning
that into the right :class:`~videoclient.APIStatusError` subclass, and a body that is not
JSON into :class:`~videoclient.APIResponseValidationError`, is the same everywhere.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .errors import APIResponseValidationError, APIStatusError, status_error_class
from .errorshapes import ErrorReading, read_error, request_id_of
from .http import Response, loads, readable_text

__all__ = ["ErrorFields", "invalid_answer", "read_json", "status_error_from"]

#: A provider's reading of a decoded error body (:func:`read_error` for most).
ErrorFields = Callable[[Any], ErrorReading]


def invalid_answer(
    resp: Response, why: str, *, method: str | None = None, url: str | None = None
) -> APIResponseValidationError:
    """The error for a 2xx answer that is not what the API promises."""
    return APIResponseValidationError(
        f"{method or ''} {url or ''}: {why}".strip(),
        status_code=resp.status,
        request_id=resp.request_id,
        method=method,
        url=url,
    )


def read_json(
    body: bytes | bytearray, resp: Response, *, method: str | None, url: str | None
) -> Any:
    """``body`` (the answer's, or what is left of it) as JSON.

    Raises:
        APIResponseValidationError: It is not JSON.
    """
    try:
        return loads(body)
    except (ValueError, RecursionError):  # not JSON, or nested too deep to read
        snippet = readable_text(body, 80)
        raise invalid_answer(
            resp, f"the response is not valid JSON ({snippet!r})", method=method, url=url
        ) from None


def status_error_from(
    resp: Response,
    fields: ErrorFields = read_error,
    *,
    method: str | None = None,
    url: str | None = None,
) -> APIStatusError:
    """The :class:`~videoclient.APIStatusError` subclass for a 4xx/5xx answer.

    A body that is not JSON (a proxy's HTML page) gives its readable text as the message.
    The request id is the first of ``x-request-id``, ``request-id`` and LiteLLM's
    ``x-litellm-call-id`` the answer carries.
    """
    body: Any
    try:
        body = loads(resp.body) if resp.body else None
    except (ValueError, RecursionError):
        body = None
    reading = fields(body)
    message = reading.message
    if body is None and resp.body:
        body = readable_text(resp.body)
        message = message or (body or None)
    return status_error_class(resp.status)(
        message or f"HTTP {resp.status} with no error message",
        status_code=resp.status,
        code=reading.code,
        param=reading.param,
        type=reading.type,
        request_id=request_id_of(resp.headers),
        body=body,
        headers=resp.headers,
        method=method,
        url=url,
    )
