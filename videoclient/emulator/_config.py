"""The emulator's frozen configuration: one field per ``videoclient serve`` flag.

Everything that changes how the emulator behaves lives here, so a test (or the CLI) states
the whole behaviour in one value. Faults and limits are off by default.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterable
from pathlib import Path

import attrs

__all__ = [
    "FAULT_KINDS",
    "GATEWAY_ERROR_SHAPES",
    "GATEWAY_QUIRKS",
    "EmulatorConfig",
    "gateway_quirks",
]

#: Every transient fault ``fault_rate`` can inject (``--fault-kinds`` picks a subset).
FAULT_KINDS: frozenset[str] = frozenset(
    {"http_500", "http_502", "http_503", "reset", "lost_response", "truncated"}
)

#: Every quirk of gateway mode (see :mod:`videoclient.emulator._gateway`); ``all`` names them all.
GATEWAY_QUIRKS: frozenset[str] = frozenset(
    {
        "restamp-ids",
        "drop-headers",
        "error-shapes",
        "ignore-variant",
        "refuse-list",
        "refuse-delete",
        "drop-idempotency",
    }
)

#: The error shapes of gateway mode, in the order they take turns.
GATEWAY_ERROR_SHAPES: tuple[str, ...] = (
    "detail",  # {"detail": "text"} (FastAPI, fal)
    "detail-list",  # {"detail": [{"loc", "msg", "type"}]} (FastAPI validation)
    "error-string",  # {"error": "text"} (Runway)
    "problem",  # RFC 7807 {"type", "title", "status", "detail"} (Replicate)
    "message",  # {"message": "text"}
    "litellm",  # {"error": {"message": "litellm.APIError: ... {upstream json}", ...}}
)


def gateway_quirks(value: str | bool | Iterable[str]) -> frozenset[str]:
    """Quirk names from ``"all"``, ``"q1,q2"``, ``""`` (none) or an iterable of names.

    Raises:
        ValueError: A name is not in :data:`GATEWAY_QUIRKS`.
    """
    if isinstance(value, str):
        names = {n.strip() for n in value.split(",") if n.strip()}
    elif isinstance(value, bool):
        names = {"all"} if value else set()
    else:
        names = {str(n) for n in value}
    if "all" in names:
        names = (names - {"all"}) | GATEWAY_QUIRKS
    unknown = names - GATEWAY_QUIRKS
    if unknown:
        known = ", ".join(sorted(GATEWAY_QUIRKS))
        raise ValueError(f"unknown gateway quirks {sorted(unknown)}; known: all, {known}")
    return frozenset(names)


_NON_NEGATIVE = attrs.validators.ge(0)
_NON_NEGATIVE_FLOAT = attrs.validators.ge(0.0)
_POSITIVE = attrs.validators.ge(1)
_OPTIONAL_POSITIVE = attrs.validators.optional(_POSITIVE)
_RATE = attrs.validators.and_(attrs.validators.ge(0.0), attrs.validators.le(1.0))


def _fault_kinds(_: object, __: attrs.Attribute[frozenset[str]], value: frozenset[str]) -> None:
    unknown = value - FAULT_KINDS
    if unknown:
        raise ValueError(f"unknown fault kinds {sorted(unknown)}; known: {sorted(FAULT_KINDS)}")


def _webhook_secret(_: object, __: attrs.Attribute[str | None], value: str | None) -> None:
    if value is None:
        return
    if not value.startswith("whsec_"):
        raise ValueError("webhook_secret must start with 'whsec_' (a Standard Webhooks secret)")
    try:
        base64.b64decode(value[len("whsec_") :], validate=True)
    except binascii.Error as exc:
        raise ValueError("webhook_secret must be 'whsec_' followed by base64") from exc


@attrs.frozen(kw_only=True)
class EmulatorConfig:
    """How an emulator behaves. Every field has a ``videoclient serve`` flag of the same name.

    Attributes:
        host: Interface to listen on.
        port: TCP port; 0 (the default) picks a free one; the CLI defaults to 8000.
        render_seconds: How long a job takes from creation to its end (``[emulator:slow]`` x10).
        api_key: If set, only this key is accepted; otherwise any non-empty key is.
        redirect_content: Answer content requests with 302 to a signed URL that needs no key.
        signed_url_ttl: Seconds a signed content URL stays valid.
        seed: Makes fault, failure and id decisions reproducible.
        rate_limit: Requests per minute per key (token bucket); None disables it.
        max_active: Jobs rendering at once; the others stay ``queued``. None is unlimited.
        fail_rate: Probability that a job ends ``failed``.
        fault_rate: Probability that a request meets a transient fault.
        fault_kinds: Which faults ``fault_rate`` picks from (default: all :data:`FAULT_KINDS`).
        data_dir: Keep jobs and assets here so they survive a restart; None uses a temp dir.
        webhook_url: POST a signed Standard Webhooks event here when a job ends.
        webhook_secret: ``whsec_``-prefixed base64 secret that signs webhook events.
        poll_after_min_ms, poll_after_max_ms: Bounds of the ``openai-poll-after-ms`` hint.
        asset_ttl: Seconds after completion until a job's assets expire (``expires_at``).
        prerender: Render the MP4 as soon as a job completes instead of on first download.
        render_workers: Threads that render assets.
        fps: Frame rate of rendered videos.
        max_upload_bytes: Largest request body accepted.
        access_log: Log every request (the CLI's ``--access-log``).
        gateway_quirks: Behave like an OpenAI-compatible gateway in front of the emulator
            (:data:`GATEWAY_QUIRKS`; ``"all"`` or a comma-separated subset; empty: off).
        gateway_error_shape: The one error shape gateway mode's ``error-shapes`` uses
            (:data:`GATEWAY_ERROR_SHAPES`); None: each error takes the next shape in turn.
        request_log_limit: Records :attr:`Emulator.request_log` keeps (None: all; the CLI
            keeps 1000 so a long-running server does not grow).

    .. versionadded:: 0.1.0
    """

    host: str = "127.0.0.1"
    port: int = 0
    render_seconds: float = attrs.field(default=5.0, validator=_NON_NEGATIVE_FLOAT)
    api_key: str | None = None
    redirect_content: bool = False
    signed_url_ttl: float = attrs.field(default=300.0, validator=_NON_NEGATIVE_FLOAT)
    seed: int | None = None
    rate_limit: int | None = attrs.field(default=None, validator=_OPTIONAL_POSITIVE)
    max_active: int | None = attrs.field(default=None, validator=_OPTIONAL_POSITIVE)
    fail_rate: float = attrs.field(default=0.0, validator=_RATE)
    fault_rate: float = attrs.field(default=0.0, validator=_RATE)
    fault_kinds: frozenset[str] = attrs.field(
        default=FAULT_KINDS, converter=frozenset, validator=_fault_kinds
    )
    data_dir: Path | None = attrs.field(default=None, converter=attrs.converters.optional(Path))
    webhook_url: str | None = None
    webhook_secret: str | None = attrs.field(default=None, validator=_webhook_secret)
    poll_after_min_ms: int = attrs.field(default=100, validator=_NON_NEGATIVE)
    poll_after_max_ms: int = attrs.field(default=5000, validator=_NON_NEGATIVE)
    asset_ttl: float = attrs.field(default=3600.0, validator=_NON_NEGATIVE_FLOAT)
    prerender: bool = False
    render_workers: int = attrs.field(default=2, validator=_POSITIVE)
    fps: int = attrs.field(default=24, validator=_POSITIVE)
    max_upload_bytes: int = attrs.field(default=64 * 1024 * 1024, validator=_POSITIVE)
    access_log: bool = False
    request_log_limit: int | None = attrs.field(default=None, validator=_OPTIONAL_POSITIVE)
    gateway_quirks: frozenset[str] = attrs.field(default=frozenset(), converter=gateway_quirks)
    gateway_error_shape: str | None = attrs.field(
        default=None,
        validator=attrs.validators.optional(attrs.validators.in_(GATEWAY_ERROR_SHAPES)),
    )
