"""Per-call options every API method accepts, and their merge with the client's config."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any, TypedDict, Union

import attrs

from .config import ClientConfig, CreateRetry, Timeout, check_create_retry

__all__ = ["CallOptions", "RequestOptions", "UploadProgress", "resolve_options"]

#: Called as ``(bytes_sent, total_bytes)`` while a multipart body streams; sync or async.
UploadProgress = Callable[[int, int], Union[Awaitable[None], None]]


class RequestOptions(TypedDict, total=False):
    """Keyword options accepted by every API method.

    Attributes:
        timeout: Seconds (the total), a :class:`~videoclient.Timeout`, or None for no limit.
        max_retries: Retries for this call instead of the client's.
        extra_headers: Headers to add (or override) on this call.
        extra_query: Query parameters to add on this call.
        extra_body: Fields to add to the JSON or multipart body (POST calls).
        idempotency_key: The ``Idempotency-Key`` to send (POST calls); by default a new
            random key per call, reused on every retry of that call.
        on_upload_progress: Called as ``(bytes_sent, total_bytes)`` while a file upload
            (multipart body) streams; sync or async. A retry starts the count again.
        create_retry: When this call's create may be sent again after a failure that may
            have reached the server (``"idempotent"`` or ``"conservative"``) instead of the
            client's policy.
    """

    timeout: Timeout | float | None
    max_retries: int
    extra_headers: Mapping[str, str]
    extra_query: Mapping[str, str]
    extra_body: Mapping[str, Any]
    idempotency_key: str
    on_upload_progress: UploadProgress
    create_retry: CreateRetry


_KNOWN = frozenset(RequestOptions.__annotations__)


@attrs.frozen
class CallOptions:
    """The options in force for one call (client defaults merged with the call's own)."""

    timeout: Timeout
    max_retries: int
    extra_headers: Mapping[str, str] = attrs.field(factory=dict)
    extra_query: Mapping[str, str] = attrs.field(factory=dict)
    idempotency_key: str | None = None
    on_upload_progress: UploadProgress | None = None
    #: The call's own create-retry policy; None: the client's (or its provider's).
    create_retry: CreateRetry | None = None


def resolve_options(config: ClientConfig, options: Mapping[str, Any]) -> CallOptions:
    """Merge a call's keyword options over the client's config, rejecting unknown names."""
    unknown = set(options) - _KNOWN
    if unknown:
        raise TypeError(
            f"unexpected keyword argument(s): {', '.join(sorted(unknown))}; "
            f"per-call options are {', '.join(sorted(_KNOWN))}"
        )
    timeout = Timeout.coerce(options["timeout"]) if "timeout" in options else config.timeout
    max_retries = options.get("max_retries", config.max_retries)
    if isinstance(max_retries, bool) or not isinstance(max_retries, int) or max_retries < 0:
        raise ValueError(f"max_retries must be an int >= 0, got {max_retries!r}")
    key = options.get("idempotency_key")
    if key is not None and (not isinstance(key, str) or not key.strip()):
        raise ValueError("idempotency_key must be a non-empty str")
    progress = options.get("on_upload_progress")
    if progress is not None and not callable(progress):
        raise TypeError(f"on_upload_progress must be callable, not {type(progress).__name__}")
    return CallOptions(
        timeout=timeout,
        max_retries=max_retries,
        extra_headers=dict(options.get("extra_headers") or {}),
        extra_query=dict(options.get("extra_query") or {}),
        idempotency_key=key,
        on_upload_progress=progress,
        create_retry=check_create_retry(options.get("create_retry", config.create_retry)),
    )
