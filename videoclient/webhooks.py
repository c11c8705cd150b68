"""Verify signed webhook deliveries and read the events they carry.

OpenAI signs each delivery as the `Standard Webhooks`_ spec describes: a ``webhook-id``,
a ``webhook-timestamp`` (Unix seconds) and a ``webhook-signature`` header holding one or
more space-separated ``v1,<base64>`` entries, each an HMAC-SHA256 of
``"{webhook-id}.{webhook-timestamp}.{body}"``. Any one matching ``v1`` entry is enough
(senders list several while rotating secrets); entries of other versions are skipped.

This module is sans-IO: bytes and headers in, an event or a
:class:`~videoclient.WebhookVerificationError` out. Any web framework can call it from
its handler; pass the raw body bytes, never re-serialized JSON.

Secrets:
    ``whsec_<base64>`` (what the OpenAI dashboard shows) is base64-decoded. Any other
    ``str`` is used as its UTF-8 bytes and ``bytes`` as they are. This is the official
    OpenAI SDK's rule, so one secret string verifies the same deliveries in both. (The
    Standard Webhooks reference libraries base64-decode an unprefixed secret instead;
    if you hold such a bare base64 key, put ``whsec_`` back in front of it.)

.. _Standard Webhooks:
   https://github.com/standard-webhooks/standard-webhooks/blob/main/spec/standard-webhooks.md

.. versionadded:: 0.1.0
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import os
import time
from collections.abc import Mapping
from typing import Any

import attrs

from ._sansio.errors import WebhookVerificationError
from ._sansio.wire import WireError, structure

__all__ = (
    "VideoCompletedEvent",
    "VideoEvent",
    "VideoFailedEvent",
    "WebhookEvent",
    "sign",
    "signed_headers",
    "unwrap",
    "verify_signature",
)

_SECRET_ENV = "OPENAI_WEBHOOK_SECRET"
_SECRET_PREFIX = "whsec_"
_DEFAULT_TOLERANCE = 300
_WIRE_FIELDS = frozenset({"id", "object", "type", "created_at", "data"})


@attrs.frozen
class WebhookEvent:
    """A verified webhook event; events of types this version does not know stay this class.

    Attributes:
        id: The event id (``evt_...``), stable across redeliveries: deduplicate on it.
        type: The event type, e.g. ``video.completed``.
        created_at: When the event happened, in Unix seconds.
        data: The event's ``data`` object as sent.
        object: The object kind, ``event``.
        extra: Top-level fields the server sent that this version does not know.

    .. versionadded:: 0.1.0
    """

    id: str
    type: str
    created_at: int
    data: Mapping[str, Any]
    object: str = "event"
    extra: Mapping[str, Any] = attrs.field(factory=dict, eq=False, repr=False, kw_only=True)


@attrs.frozen
class VideoEvent(WebhookEvent):
    """An event about one video job; ``video_id`` is its ``data.id``.

    .. versionadded:: 0.1.0
    """

    video_id: str = attrs.field(kw_only=True)


@attrs.frozen
class VideoCompletedEvent(VideoEvent):
    """``video.completed``: the job finished; its content can be downloaded.

    .. versionadded:: 0.1.0
    """


@attrs.frozen
class VideoFailedEvent(VideoEvent):
    """``video.failed``: the job failed; retrieve it to read its ``error``.

    .. versionadded:: 0.1.0
    """


_EVENT_CLASSES: Mapping[str, type[VideoEvent]] = {
    "video.completed": VideoCompletedEvent,
    "video.failed": VideoFailedEvent,
}


def sign(body: bytes | str, *, secret: str | bytes, msg_id: str, timestamp: int) -> str:
    """Sign a payload the way a Standard Webhooks sender does.

    For tests and emulators: the result is one ``webhook-signature`` entry.

    Args:
        body: The exact body that will be sent (``str`` is encoded as UTF-8).
        secret: The signing secret, read as described in the module docstring.
        msg_id: The ``webhook-id`` that will be sent.
        timestamp: The ``webhook-timestamp`` that will be sent, in Unix seconds.

    Returns:
        ``"v1,<base64 HMAC-SHA256>"``.

    Raises:
        WebhookVerificationError: The secret is empty or a malformed ``whsec_`` secret.

    .. versionadded:: 0.1.0
    """
    return "v1," + _signature(_secret_key(secret), msg_id, str(int(timestamp)), _as_bytes(body))


def signed_headers(
    body: bytes | str, *, secret: str | bytes, msg_id: str, timestamp: int
) -> dict[str, str]:
    """Build the three headers of a signed delivery, for tests and emulators.

    Args:
        body: The exact body that will be sent.
        secret: The signing secret.
        msg_id: The ``webhook-id``.
        timestamp: The ``webhook-timestamp``, in Unix seconds.

    Returns:
        ``webhook-id``, ``webhook-timestamp`` and ``webhook-signature``, ready to send.

    Raises:
        WebhookVerificationError: The secret is empty or a malformed ``whsec_`` secret.

    .. versionadded:: 0.1.0
    """
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(int(timestamp)),
        "webhook-signature": sign(body, secret=secret, msg_id=msg_id, timestamp=timestamp),
    }


def verify_signature(
    body: bytes | str,
    headers: Mapping[str, str],
    secret: str | bytes | None = None,
    *,
    tolerance: float = _DEFAULT_TOLERANCE,
    now: float | None = None,
) -> None:
    """Check a delivery's signature and timestamp without reading its body.

    Args:
        body: The raw request body, exactly as received.
        headers: The request headers; names are matched case-insensitively.
        secret: The endpoint's signing secret; defaults to ``$OPENAI_WEBHOOK_SECRET``,
            read on each call.
        tolerance: How many seconds ``webhook-timestamp`` may lie before or after ``now``.
        now: The current Unix time; defaults to :func:`time.time` (tests pass a fixed one).

    Raises:
        WebhookVerificationError: No secret is configured; a header is missing or
            malformed; the timestamp is outside the tolerance; or no ``v1`` signature
            matches. The message never contains the secret or the expected signature.
        ValueError: ``tolerance`` is negative.

    .. versionadded:: 0.1.0
    """
    _verify(_as_bytes(body), headers, secret, tolerance, now)


def unwrap(
    body: bytes | str,
    headers: Mapping[str, str],
    secret: str | bytes | None = None,
    *,
    tolerance: float = _DEFAULT_TOLERANCE,
    now: float | None = None,
) -> WebhookEvent:
    """Verify a delivery, then read its body as an event.

    Args:
        body: The raw request body, exactly as received.
        headers: The request headers; names are matched case-insensitively.
        secret: The endpoint's signing secret; defaults to ``$OPENAI_WEBHOOK_SECRET``,
            read on each call.
        tolerance: How many seconds ``webhook-timestamp`` may lie before or after ``now``.
        now: The current Unix time; defaults to :func:`time.time`.

    Returns:
        A :class:`VideoCompletedEvent` or :class:`VideoFailedEvent` for those types, and a
        plain :class:`WebhookEvent` for any other type.

    Raises:
        WebhookVerificationError: Verification failed (see :func:`verify_signature`), or
            the body is not a JSON event object (``id``, ``type``, ``created_at``,
            ``data``; video events also need ``data.id``).
        ValueError: ``tolerance`` is negative.

    .. versionadded:: 0.1.0
    """
    raw = _as_bytes(body)
    _verify(raw, headers, secret, tolerance, now)
    try:
        payload = json.loads(raw.decode("utf-8"))
    except (ValueError, RecursionError) as exc:
        raise WebhookVerificationError(f"webhook body is not valid JSON: {exc}") from exc
    return _event(payload)


def _verify(
    body: bytes,
    headers: Mapping[str, str],
    secret: str | bytes | None,
    tolerance: float,
    now: float | None,
) -> None:
    if not tolerance >= 0:  # also NaN, which would turn the replay check off
        raise ValueError(f"tolerance must be >= 0 seconds, got {tolerance!r}")
    # The secret comes first so that a misconfigured endpoint fails every delivery the same way.
    key = _secret_key(secret)
    msg_id = _header(headers, "webhook-id")
    timestamp = _header(headers, "webhook-timestamp")
    signature_header = _header(headers, "webhook-signature")

    if not (timestamp.isascii() and timestamp.isdigit()) or len(timestamp) > 12:
        raise WebhookVerificationError("webhook-timestamp header is not whole Unix seconds")
    age = (time.time() if now is None else now) - int(timestamp)
    if age > tolerance:
        raise WebhookVerificationError(
            f"webhook timestamp is too old ({age:.0f} s, tolerance {tolerance:g} s)"
        )
    if -age > tolerance:
        raise WebhookVerificationError(
            f"webhook timestamp is too far in the future ({-age:.0f} s, tolerance {tolerance:g} s)"
        )

    candidates = [
        sig
        for version, _, sig in (entry.partition(",") for entry in signature_header.split())
        if version == "v1" and sig
    ]
    if not candidates:
        raise WebhookVerificationError("webhook-signature header has no v1 signature")
    # Signed over the timestamp header as sent, not a re-rendering of the parsed number.
    expected = _signature(key, msg_id, timestamp, body)
    # compare_digest refuses non-ASCII str; such an entry cannot match a base64 digest anyway.
    if not any(sig.isascii() and hmac.compare_digest(expected, sig) for sig in candidates):
        raise WebhookVerificationError(
            "webhook signature does not match: wrong secret, or the body is not the exact"
            " bytes that were signed"
        )


def _secret_key(secret: str | bytes | None) -> bytes:
    if secret is None:
        secret = os.environ.get(_SECRET_ENV, "")
        if not secret:
            raise WebhookVerificationError(f"no webhook secret: pass secret= or set {_SECRET_ENV}")
    if isinstance(secret, bytes):
        key = secret
    elif not isinstance(secret, str):
        raise TypeError(f"secret must be str or bytes, not {type(secret).__name__}")
    elif secret.startswith(_SECRET_PREFIX):
        try:
            key = base64.b64decode(secret[len(_SECRET_PREFIX) :], validate=True)
        except binascii.Error as exc:  # its message quotes none of the input
            raise WebhookVerificationError(
                "webhook secret starts with 'whsec_' but the rest is not valid base64"
            ) from exc
    else:
        key = secret.encode()
    if not key:
        raise WebhookVerificationError("webhook secret is empty")
    return key


def _signature(key: bytes, msg_id: str, timestamp: str, body: bytes) -> str:
    signed = f"{msg_id}.{timestamp}.".encode() + body
    return base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode("ascii")


def _as_bytes(body: bytes | str) -> bytes:
    if isinstance(body, str):
        return body.encode()
    if isinstance(body, (bytes, bytearray, memoryview)):
        return bytes(body)
    raise TypeError(f"body must be bytes or str, not {type(body).__name__}")


def _header(headers: Mapping[str, str], name: str) -> str:
    # Scan every entry instead of headers.get(name): a plain dict is case-sensitive, and a
    # multidict may carry a header twice. Two different values are refused, never guessed.
    values = {value.strip() for key, value in headers.items() if key.lower() == name} - {""}
    if not values:
        raise WebhookVerificationError(f"missing {name} header")
    if len(values) > 1:
        raise WebhookVerificationError(f"conflicting {name} headers")
    return values.pop()


def _event(payload: Any) -> WebhookEvent:
    if not isinstance(payload, dict):
        raise WebhookVerificationError(
            f"webhook body is a JSON {type(payload).__name__}, not an object"
        )
    event_type = payload.get("type")
    cls: type[WebhookEvent] = WebhookEvent
    if isinstance(event_type, str):
        cls = _EVENT_CLASSES.get(event_type, WebhookEvent)
    fields = {k: v for k, v in payload.items() if k in _WIRE_FIELDS}
    fields["extra"] = {k: v for k, v in payload.items() if k not in _WIRE_FIELDS}
    if issubclass(cls, VideoEvent):
        data = payload.get("data")
        video_id = data.get("id") if isinstance(data, Mapping) else None
        if video_id is None:
            raise WebhookVerificationError(f"{event_type} event has no data.id")
        fields["video_id"] = video_id
    try:
        # The shared converter, without registering anything in _wire: cattrs derives the
        # hook on first use, and _wire keeps not knowing that webhooks exist.
        return structure(fields, cls)
    except WireError as exc:
        raise WebhookVerificationError(f"webhook event is malformed: {exc}") from exc
