"""The one exception tree of videoclient.

Every error the library raises on purpose derives from :class:`VideoClientError`;
mistakes in the caller's own arguments are plain :class:`ValueError` /
:class:`TypeError` / :class:`OSError`, raised before anything is sent::

    VideoClientError
    ├── MissingAPIKeyError            no key given and OPENAI_API_KEY unset
    ├── APIError                      something went wrong talking to the server
    │   ├── APIConnectionError        the request never got a complete answer
    │   │   └── APITimeoutError
    │   ├── APIResponseValidationError  the answer was not what the API promises
    │   │   └── ContentIntegrityError   a download's bytes did not add up, or are not what was asked
    │   └── APIStatusError            the server answered 4xx / 5xx
    │       ├── BadRequestError           400
    │       ├── AuthenticationError       401
    │       ├── PermissionDeniedError     403
    │       ├── NotFoundError             404
    │       │   └── VideoExpiredError     the job's assets have expired
    │       ├── ConflictError             409
    │       ├── UnprocessableEntityError  422
    │       ├── RateLimitError            429
    │       └── InternalServerError       >= 500
    ├── UnsupportedOperationError     the provider has no such operation (nothing was sent)
    ├── VideoFailedError              a job the caller waited for ended failed
    ├── WaitTimeoutError              a wait ran past its deadline (also a TimeoutError)
    ├── RequestLoopError              calls about one job came too fast (the loop guard)
    └── WebhookVerificationError      a webhook payload failed verification

Messages never contain the API key: the key is never part of anything an error is built from.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .models import Video

__all__ = [
    "APIConnectionError",
    "APIError",
    "APIResponseValidationError",
    "APIStatusError",
    "APITimeoutError",
    "AuthenticationError",
    "BadRequestError",
    "ConflictError",
    "ContentIntegrityError",
    "InternalServerError",
    "MissingAPIKeyError",
    "NotFoundError",
    "PermissionDeniedError",
    "RateLimitError",
    "RequestLoopError",
    "UnprocessableEntityError",
    "UnsupportedOperationError",
    "VideoClientError",
    "VideoExpiredError",
    "VideoFailedError",
    "WaitTimeoutError",
    "InsecureTransportWarning",
    "WebhookVerificationError",
    "status_error_class",
]


class VideoClientError(Exception):
    """Root of every error videoclient raises on purpose."""


class MissingAPIKeyError(VideoClientError):
    """No API key was given and none was found in the environment."""


class APIError(VideoClientError):
    """A request to the API did not succeed.

    Attributes:
        message: A human-readable description.
        method: The HTTP method of the request, when known.
        url: The request URL without credentials, when known.
        job_may_exist: True when this is the failure of a create that may have reached the
            server (a 5xx, a connection broken after sending, a timeout): a job may have
            been made, and billed, though no answer named it. Look for it before creating
            another.
    """

    job_may_exist = False

    def __init__(self, message: str, *, method: str | None = None, url: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.method = method
        self.url = url

    def mark_job_may_exist(self, why: str) -> None:
        """Say (in the message too) that the failed create may have made a job; ``why``
        tells what was done about it."""
        if self.job_may_exist:
            return
        self.job_may_exist = True
        note = f"the create may have reached the server: a job may exist; {why}"
        self.message = f"{self.message} ({note})"
        self.args = (self.message, *self.args[1:])


class APIConnectionError(APIError):
    """The connection failed or broke before a complete answer arrived.

    Attributes:
        request_sent: False only when the request provably never left (the connection
            was refused or could not be opened); True when it may have reached the server.
    """

    def __init__(
        self,
        message: str,
        *,
        method: str | None = None,
        url: str | None = None,
        request_sent: bool = True,
    ) -> None:
        super().__init__(message, method=method, url=url)
        self.request_sent = request_sent


class APITimeoutError(APIConnectionError):
    """The request timed out."""


class APIResponseValidationError(APIError):
    """The server answered, but not with what the API describes (bad JSON, missing fields, ...)."""

    def __init__(
        self,
        message: str,
        *,
        status_code: int | None = None,
        request_id: str | None = None,
        method: str | None = None,
        url: str | None = None,
    ) -> None:
        super().__init__(message, method=method, url=url)
        self.status_code = status_code
        self.request_id = request_id


class ContentIntegrityError(APIResponseValidationError):
    """Downloaded content did not match its declared length or range, or is not the variant
    asked for (a video where an image was asked, an HTML page where a video was)."""


class APIStatusError(APIError):
    """The server answered with a 4xx or 5xx status.

    Attributes:
        status_code: The HTTP status.
        code: The machine-readable ``error.code`` from the body, if any.
        param: The ``error.param`` from the body, if any.
        type: The ``error.type`` from the body, if any.
        request_id: The ``x-request-id`` response header (else ``request-id`` or LiteLLM's
            ``x-litellm-call-id``), if any.
        body: The decoded JSON body, or the text of a non-JSON body (truncated).
        headers: The response headers (lower-cased names).
    """

    def __init__(
        self,
        message: str,
        *,
        status_code: int,
        code: str | None = None,
        param: str | None = None,
        type: str | None = None,
        request_id: str | None = None,
        body: object = None,
        headers: Mapping[str, str] | None = None,
        method: str | None = None,
        url: str | None = None,
    ) -> None:
        super().__init__(message, method=method, url=url)
        self.status_code = status_code
        self.code = code
        self.param = param
        self.type = type
        self.request_id = request_id
        self.body = body
        self.headers: Mapping[str, str] = dict(headers or {})

    def __str__(self) -> str:
        # Names the status and the request id, whatever the body held (a gateway's shape).
        extra = [f"code={self.code}"] if self.code else []
        if self.request_id:
            extra.append(f"request_id={self.request_id}")
        text = f"HTTP {self.status_code}: {self.message}"
        return f"{text} ({', '.join(extra)})" if extra else text


class BadRequestError(APIStatusError):
    """400: the server rejected the request's parameters."""


class AuthenticationError(APIStatusError):
    """401: the key is missing, wrong or revoked."""


class PermissionDeniedError(APIStatusError):
    """403: the key may not do this."""


class NotFoundError(APIStatusError):
    """404: no such video, character or route."""


class VideoExpiredError(NotFoundError):
    """The video's downloadable assets have expired (its ``expires_at`` has passed)."""


class ConflictError(APIStatusError):
    """409: the resource is not in a state that allows this (e.g. content of an unfinished job)."""


class UnprocessableEntityError(APIStatusError):
    """422: the request was well-formed but cannot be processed."""


class RateLimitError(APIStatusError):
    """429: too many requests, or quota exhausted."""


class InternalServerError(APIStatusError):
    """5xx: the server failed."""


_STATUS_CLASSES: dict[int, type[APIStatusError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    409: ConflictError,
    422: UnprocessableEntityError,
    429: RateLimitError,
}


def status_error_class(status: int) -> type[APIStatusError]:
    """Return the most specific :class:`APIStatusError` subclass for an HTTP status."""
    if status >= 500:
        return InternalServerError
    return _STATUS_CLASSES.get(status, APIStatusError)


class UnsupportedOperationError(VideoClientError):
    """The client's provider has no such operation; raised before any request is sent.

    Attributes:
        provider: The provider's name (``"runway"``, ``"vertex"``, ...).
        operation: The operation asked for (``"list"``, ``"remix"``, ``"content:thumbnail"``...).

    .. versionadded:: 0.1.0
    """

    def __init__(self, provider: str, operation: str, hint: str | None = None) -> None:
        self.provider = provider
        self.operation = operation
        message = f"the {provider} provider does not support {operation!r}"
        super().__init__(message + (f": {hint}" if hint else ""))


class VideoFailedError(VideoClientError):
    """A video job ended in a failed (or otherwise unsuccessful) state.

    Attributes:
        video: The final :class:`~videoclient.Video`.
        video_id: Its id.
        code: The job's ``error.code``, if the server gave one.
        message: The job's ``error.message``, or a description of the status.
    """

    def __init__(self, video: Video) -> None:
        self.video = video
        self.video_id = video.id
        self.code = video.error.code if video.error else None
        self.message = (
            video.error.message if video.error else f"video ended with status {video.status!r}"
        )
        super().__init__(
            f"video {video.id} {video.status}: {self.message}"
            + (f" (code={self.code})" if self.code else "")
        )


class WaitTimeoutError(VideoClientError, TimeoutError):
    """Waiting for a job ran past its deadline.

    Attributes:
        video: The last :class:`~videoclient.Video` seen before the deadline (None if none was).
    """

    def __init__(self, message: str, video: Video | None = None) -> None:
        super().__init__(message)
        self.video = video


class RequestLoopError(VideoClientError):
    """The client's loop guard stopped a call: too many about one job, too fast.

    Raised before the request is sent, when one job (or one page of one listing) already
    had ``ClientConfig.loop_guard.max_requests`` calls within its ``window`` seconds with
    no progress: a runaway loop, not a paced wait.

    Attributes:
        key: What the calls were about, e.g. ``("retrieve", "video_123")``.
        count: Calls counted in the window.
        window: The window, in seconds.

    .. versionadded:: 0.1.0
    """

    def __init__(self, message: str, *, key: tuple[str, ...], count: int, window: float) -> None:
        super().__init__(message)
        self.key = key
        self.count = count
        self.window = window


class InsecureTransportWarning(UserWarning):
    """A credential is about to travel over plain http to a host that is not this machine."""


class WebhookVerificationError(VideoClientError, ValueError):
    """A webhook payload's signature, timestamp or shape did not verify."""
