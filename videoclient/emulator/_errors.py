"""Errors in OpenAI's shape: ``{"error": {"message", "type", "param", "code"}}``.

Pure values: the store and the body parsers raise :class:`ApiError`; one middleware in
:mod:`._app` turns it into a JSON response. The statuses the emulator uses:

=====  ==========================  ==================================================
400    ``invalid_request_error``   bad or missing parameter (``param`` names it)
401    ``invalid_request_error``   missing key (code null) or wrong key (``invalid_api_key``)
404    ``invalid_request_error``   unknown id (``video_not_found``...), unknown route,
                                   expired assets (``video_expired``)
409    ``invalid_request_error``   the job is in the wrong state (``x-should-retry: false``)
422    ``invalid_request_error``   an ``Idempotency-Key`` reused with different parameters
429    ``requests``                rate limit (``rate_limit_exceeded``)
5xx    ``server_error``            injected faults, or a renderer that cannot run
=====  ==========================  ==================================================
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = [
    "ApiError",
    "bad_request",
    "conflict",
    "error_body",
    "missing_parameter",
    "not_found",
]


def error_body(
    message: str,
    *,
    type: str = "invalid_request_error",
    param: str | None = None,
    code: str | None = None,
) -> dict[str, Any]:
    """The JSON body of an error answer."""
    return {"error": {"message": message, "type": type, "param": param, "code": code}}


class ApiError(Exception):
    """An answer with an error status, raised anywhere below the routes.

    Attributes:
        status: The HTTP status.
        message, type, param, code: The fields of the OpenAI error object.
        headers: Extra response headers (e.g. ``retry-after-ms``).
    """

    def __init__(
        self,
        status: int,
        message: str,
        *,
        type: str = "invalid_request_error",
        param: str | None = None,
        code: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.type = type
        self.param = param
        self.code = code
        self.headers: dict[str, str] = dict(headers or {})

    def body(self) -> dict[str, Any]:
        """The JSON body of this error."""
        return error_body(self.message, type=self.type, param=self.param, code=self.code)


def bad_request(message: str, *, param: str | None = None, code: str | None = None) -> ApiError:
    """400 ``invalid_request_error``."""
    return ApiError(400, message, param=param, code=code)


def missing_parameter(param: str) -> ApiError:
    """400 for a required parameter that is absent."""
    return ApiError(
        400,
        f"Missing required parameter: '{param}'.",
        param=param,
        code="missing_required_parameter",
    )


def not_found(kind: str, ident: str, *, param: str | None = None) -> ApiError:
    """404 for an unknown ``video`` or ``character`` id."""
    return ApiError(
        404,
        f"{kind.capitalize()} with id '{ident}' not found.",
        param=param,
        code=f"{kind}_not_found",
    )


def conflict(message: str, *, code: str, param: str | None = None) -> ApiError:
    """409: the job is not in a state that allows this call.

    Marked ``x-should-retry: false``: retrying at once cannot help (the job has to move on
    first), and clients retry 409s by default because some 409s are transient lock conflicts.
    """
    return ApiError(409, message, param=param, code=code, headers={"x-should-retry": "false"})
