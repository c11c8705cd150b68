"""videoclient.webhooks: Standard Webhooks verification and typed events, no loop needed."""

from __future__ import annotations

import ast
import base64
import hashlib
import hmac
import json
import logging
import time
import traceback
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import attrs
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from multidict import CIMultiDict

from videoclient import WebhookVerificationError, webhooks
from videoclient.webhooks import (
    VideoCompletedEvent,
    VideoEvent,
    VideoFailedEvent,
    WebhookEvent,
    sign,
    signed_headers,
    unwrap,
    verify_signature,
)

KEY = b"videoclient-test-key-0123456789!"
SECRET = "whsec_" + base64.b64encode(KEY).decode()
NOW = 1_700_000_000
MSG_ID = "msg_2KWPBgLlAfxdpx2AI54pPJ85f4W"
COMPLETED = {
    "id": "evt_abc",
    "object": "event",
    "type": "video.completed",
    "created_at": NOW,
    "data": {"id": "video_123"},
}


def _body(**changes: Any) -> bytes:
    return json.dumps({**COMPLETED, **changes}).encode()


def _headers(body: bytes | str, *, secret: str | bytes = SECRET, ts: int = NOW) -> dict[str, str]:
    return signed_headers(body, secret=secret, msg_id=MSG_ID, timestamp=ts)


def _hmac_b64(key: bytes, msg_id: str, ts: int, body: bytes) -> str:
    """The Standard Webhooks definition, written out independently of the module."""
    digest = hmac.new(key, f"{msg_id}.{ts}.".encode() + body, hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def _reject(body: bytes | str, headers: Mapping[str, str], **kwargs: Any) -> str:
    kwargs.setdefault("secret", SECRET)
    kwargs.setdefault("now", NOW)
    with pytest.raises(WebhookVerificationError) as info:
        unwrap(body, headers, **kwargs)
    return str(info.value)


# -- valid deliveries ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("event_type", "cls"),
    [
        pytest.param("video.completed", VideoCompletedEvent, id="completed"),
        pytest.param("video.failed", VideoFailedEvent, id="failed"),
    ],
)
def test_video_events_are_typed(event_type: str, cls: type[VideoEvent]) -> None:
    """A valid delivery of a video event unwraps to its class, with video_id from data.id."""
    body = _body(type=event_type)
    event = unwrap(body, _headers(body), SECRET, now=NOW)
    assert type(event) is cls
    assert isinstance(event, VideoEvent)
    assert event.video_id == "video_123"
    assert (event.id, event.type, event.created_at, event.object) == (
        "evt_abc",
        event_type,
        NOW,
        "event",
    )
    assert event.data == {"id": "video_123"}
    assert event.extra == {}


def test_verify_signature_only_checks() -> None:
    """verify_signature accepts a valid delivery without reading its body, which may not be JSON."""
    verify_signature(b"not json", _headers(b"not json"), SECRET, now=NOW)  # does not raise


def test_unknown_event_type_is_generic() -> None:
    """An unknown event type is read as a plain WebhookEvent, never refused."""
    body = _body(type="video.remixed", data={"id": "video_9", "n": [1, 2]})
    event = unwrap(body, _headers(body), SECRET, now=NOW)
    assert type(event) is WebhookEvent
    assert event.type == "video.remixed"
    assert event.data == {"id": "video_9", "n": [1, 2]}


def test_unknown_top_level_fields_land_in_extra() -> None:
    """Top-level fields this version does not know are kept in extra."""
    body = _body(livemode=True, api_version="2025-01-01")
    event = unwrap(body, _headers(body), SECRET, now=NOW)
    assert event.extra == {"livemode": True, "api_version": "2025-01-01"}


def test_events_are_frozen() -> None:
    """Events are immutable values."""
    body = _body()
    event = unwrap(body, _headers(body), SECRET, now=NOW)
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        event.id = "evt_other"  # type: ignore[misc]


@pytest.mark.parametrize(
    "as_body",
    [
        pytest.param(bytes, id="bytes"),
        pytest.param(lambda b: b.decode(), id="str"),
        pytest.param(bytearray, id="bytearray"),
    ],
)
def test_body_may_be_bytes_or_str(as_body: Callable[[bytes], Any]) -> None:
    """The body verifies the same whether passed as bytes or as its UTF-8 text."""
    body = _body(data={"id": "video_123", "prompt": "café ☕"})
    event = unwrap(as_body(body), _headers(body), SECRET, now=NOW)
    assert event.data["prompt"] == "café ☕"


@pytest.mark.parametrize(
    "transform",
    [
        pytest.param(lambda h: {k.title(): v for k, v in h.items()}, id="Title-Case"),
        pytest.param(lambda h: {k.upper(): v for k, v in h.items()}, id="UPPER"),
        pytest.param(lambda h: {"Webhook-Id": h["webhook-id"], **h}, id="same-value-twice"),
        pytest.param(lambda h: CIMultiDict((k.title(), v) for k, v in h.items()), id="multidict"),
    ],
)
def test_header_names_are_case_insensitive(
    transform: Callable[[dict[str, str]], Mapping[str, str]],
) -> None:
    """Header names match whatever their case, in a plain dict or an aiohttp multidict."""
    body = _body()
    assert isinstance(unwrap(body, transform(_headers(body)), SECRET, now=NOW), VideoEvent)


@pytest.mark.parametrize(
    "header",
    [
        pytest.param("v1,AAAA v1,{good}", id="second-of-two"),
        pytest.param("v2,AAAA v1a,{good} v1,{good}", id="other-versions-skipped"),
        pytest.param("  v1,{good}\t", id="surrounding-whitespace"),
        pytest.param("nocomma v1,ñ v1,{good}", id="junk-entries-skipped"),
    ],
)
def test_any_matching_v1_signature_passes(header: str) -> None:
    """Any one matching v1 entry among several verifies the delivery."""
    body = _body()
    good = _hmac_b64(KEY, MSG_ID, NOW, body)
    headers = {**_headers(body), "webhook-signature": header.format(good=good)}
    assert unwrap(body, headers, SECRET, now=NOW).id == "evt_abc"


# -- signatures ---------------------------------------------------------------------------------


def test_signature_matches_independent_hmac() -> None:
    """sign() is HMAC-SHA256 over "{id}.{timestamp}.{body}" keyed by the decoded whsec_ secret."""
    body = _body()
    assert sign(body, secret=SECRET, msg_id=MSG_ID, timestamp=NOW) == "v1," + _hmac_b64(
        KEY, MSG_ID, NOW, body
    )


def test_signature_matches_standard_webhooks_vector() -> None:
    """sign() reproduces the Standard Webhooks reference libraries' published test vector."""
    assert (
        sign(
            b'{"test": 2432232314}',
            secret="whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
            msg_id="msg_p5jXN8AQM9LWM0D4loKWxJek",
            timestamp=1614265330,
        )
        == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
    )


def test_signed_headers_are_the_three_standard_headers() -> None:
    """signed_headers() builds webhook-id, webhook-timestamp and webhook-signature."""
    body = _body()
    assert _headers(body) == {
        "webhook-id": MSG_ID,
        "webhook-timestamp": str(NOW),
        "webhook-signature": "v1," + _hmac_b64(KEY, MSG_ID, NOW, body),
    }


def test_raw_secret_is_used_as_utf8_bytes() -> None:
    """A secret without whsec_ is its UTF-8 bytes (the OpenAI SDK's rule), bytes as they are."""
    body = _body()
    headers = {
        **_headers(body),
        "webhook-signature": "v1," + _hmac_b64(b"plain", MSG_ID, NOW, body),
    }
    assert unwrap(body, headers, "plain", now=NOW).id == "evt_abc"
    assert unwrap(body, headers, b"plain", now=NOW).id == "evt_abc"


def test_unprefixed_base64_secret_is_not_decoded() -> None:
    """A bare base64 key is not decoded, so it does not verify deliveries signed with its key."""
    body = _body()
    bare = SECRET.removeprefix("whsec_")
    assert "does not match" in _reject(body, _headers(body), secret=bare)
    assert "does not match" in _reject(body, _headers(body, secret=bare), secret=SECRET)


def test_malformed_whsec_secret_is_refused() -> None:
    """A whsec_ secret whose rest is not base64 is a verification error, not a silent key."""
    body = _body()
    assert "not valid base64" in _reject(body, _headers(body), secret="whsec_not*base64")


# -- rejections ---------------------------------------------------------------------------------


def test_tampered_body_is_rejected() -> None:
    """A body changed after signing does not verify."""
    headers = _headers(_body())
    assert "does not match" in _reject(_body(data={"id": "video_666"}), headers)


def test_wrong_secret_is_rejected() -> None:
    """A delivery signed with another secret does not verify."""
    body = _body()
    other = "whsec_" + base64.b64encode(b"another key").decode()
    assert "does not match" in _reject(body, _headers(body, secret=other))


@pytest.mark.parametrize(
    ("offset", "tolerance"),
    [
        pytest.param(0, 300, id="now"),
        pytest.param(300, 300, id="exactly-tolerance-old"),
        pytest.param(-300, 300, id="exactly-tolerance-ahead"),
        pytest.param(3600, 7200, id="wider-tolerance"),
    ],
)
def test_timestamps_within_tolerance_pass(offset: int, tolerance: float) -> None:
    """A timestamp up to `tolerance` seconds either side of now verifies."""
    body = _body()
    event = unwrap(body, _headers(body), SECRET, tolerance=tolerance, now=NOW + offset)
    assert event.id == "evt_abc"


@pytest.mark.parametrize(
    ("offset", "tolerance", "reason"),
    [
        pytest.param(301, 300, "too old", id="stale"),
        pytest.param(-301, 300, "future", id="future"),
        pytest.param(11, 10, "too old", id="stale-narrow-tolerance"),
        pytest.param(-1, 0, "future", id="future-zero-tolerance"),
    ],
)
def test_timestamps_outside_tolerance_are_rejected(
    offset: int, tolerance: float, reason: str
) -> None:
    """A timestamp too old or too far in the future is refused, even with a valid signature."""
    body = _body()
    assert reason in _reject(body, _headers(body), tolerance=tolerance, now=NOW + offset)


def test_negative_tolerance_is_a_caller_error() -> None:
    """A negative tolerance is the caller's mistake: a plain ValueError."""
    body = _body()
    with pytest.raises(ValueError, match="tolerance") as info:
        verify_signature(body, _headers(body), SECRET, tolerance=-1, now=NOW)
    assert not isinstance(info.value, WebhookVerificationError)


def test_real_clock_is_the_default() -> None:
    """Without now=, the current time is read on each call."""
    body = _body()
    ts = int(time.time())
    assert unwrap(body, _headers(body, ts=ts), SECRET).id == "evt_abc"
    with pytest.raises(WebhookVerificationError, match="too old"):
        unwrap(body, _headers(body, ts=ts - 3600), SECRET)


@pytest.mark.parametrize("name", ["webhook-id", "webhook-timestamp", "webhook-signature"])
@pytest.mark.parametrize("how", ["absent", "empty"])
def test_missing_header_is_rejected(name: str, how: str) -> None:
    """Each of the three headers is required; an empty value counts as missing."""
    body = _body()
    headers = _headers(body)
    if how == "absent":
        del headers[name]
    else:
        headers[name] = "  "
    assert _reject(body, headers) == f"missing {name} header"


def test_conflicting_duplicate_headers_are_rejected() -> None:
    """Two different values for one header (differing only in name case) are refused."""
    body = _body()
    headers = {**_headers(body), "Webhook-Id": "msg_other"}
    assert "conflicting webhook-id" in _reject(body, headers)


@pytest.mark.parametrize(
    "timestamp",
    [
        pytest.param("soon", id="word"),
        pytest.param(f"{NOW}.5", id="fraction"),
        pytest.param(f"+{NOW}", id="plus-sign"),
        pytest.param("-5", id="negative"),
        pytest.param("1_700_000_000", id="underscores"),
        pytest.param("\u0661\u0667" + "\u0660" * 8, id="arabic-indic-digits"),
        pytest.param("9" * 400, id="huge"),
    ],
)
def test_non_integer_timestamp_is_rejected(timestamp: str) -> None:
    """webhook-timestamp must be whole Unix seconds in ASCII digits."""
    body = _body()
    headers = {**_headers(body), "webhook-timestamp": timestamp}
    assert "not whole Unix seconds" in _reject(body, headers)


@pytest.mark.parametrize(
    "header",
    [
        pytest.param("v2,{good}", id="only-v2-even-if-correct"),
        pytest.param("{good}", id="no-version"),
        pytest.param("v1,", id="empty-v1"),
        pytest.param("V1,{good}", id="wrong-case-version"),
    ],
)
def test_header_without_usable_v1_signature_is_rejected(header: str) -> None:
    """Entries that are not `v1,<sig>` are skipped; if none is left the delivery is refused."""
    body = _body()
    headers = {
        **_headers(body),
        "webhook-signature": header.format(good=_hmac_b64(KEY, MSG_ID, NOW, body)),
    }
    assert "no v1 signature" in _reject(body, headers)


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        pytest.param(b"{not json", "not valid JSON", id="not-json"),
        pytest.param(b"\xff\xfe{}", "not valid JSON", id="not-utf8"),
        pytest.param(b"[1, 2]", "not an object", id="array"),
        pytest.param(_body(id=None), "id", id="null-id"),
        pytest.param(_body(created_at="yesterday"), "created_at", id="bad-created-at"),
        pytest.param(_body(data=[1]), "data", id="data-not-object"),
        pytest.param(_body(type="video.failed", data={}), "no data.id", id="video-without-id"),
    ],
)
def test_signed_but_malformed_body_is_rejected(body: bytes, reason: str) -> None:
    """A correctly signed body that is not a JSON event object is a verification error."""
    assert reason in _reject(body, _headers(body))


# -- the secret ---------------------------------------------------------------------------------


def test_secret_defaults_to_env_read_at_call_time(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without secret=, OPENAI_WEBHOOK_SECRET is read on each call; an argument overrides it."""
    body = _body()
    monkeypatch.setenv("OPENAI_WEBHOOK_SECRET", SECRET)
    assert unwrap(body, _headers(body), now=NOW).id == "evt_abc"
    monkeypatch.setenv("OPENAI_WEBHOOK_SECRET", "whsec_" + base64.b64encode(b"rotated").decode())
    with pytest.raises(WebhookVerificationError, match="does not match"):
        unwrap(body, _headers(body), now=NOW)
    assert unwrap(body, _headers(body), SECRET, now=NOW).id == "evt_abc"


@pytest.mark.parametrize("env", [None, ""], ids=["unset", "empty"])
def test_missing_secret_names_the_env_var(monkeypatch: pytest.MonkeyPatch, env: str | None) -> None:
    """With no secret= and no OPENAI_WEBHOOK_SECRET, the error says how to configure one."""
    if env is None:
        monkeypatch.delenv("OPENAI_WEBHOOK_SECRET", raising=False)
    else:
        monkeypatch.setenv("OPENAI_WEBHOOK_SECRET", env)
    body = _body()
    with pytest.raises(WebhookVerificationError, match="OPENAI_WEBHOOK_SECRET"):
        verify_signature(body, _headers(body), now=NOW)


def test_empty_secret_is_refused() -> None:
    """An explicitly empty secret (or whsec_ with nothing after it) is never used as a key."""
    body = _body()
    for secret in ("", b"", "whsec_"):
        assert "empty" in _reject(body, _headers(body), secret=secret)


SECRET_KEY_TEXT = "xK9-distinctive-secret-Qz7"
LEAKY_SECRET = "whsec_" + base64.b64encode(SECRET_KEY_TEXT.encode()).decode()
BARE_BASE64 = LEAKY_SECRET.removeprefix("whsec_")


@pytest.mark.parametrize(
    ("secret", "mutate"),
    [
        pytest.param(LEAKY_SECRET, lambda b, h: (b + b" ", h), id="tampered"),
        pytest.param(LEAKY_SECRET, lambda b, h: (b, {**h, "webhook-timestamp": "1"}), id="stale"),
        pytest.param(LEAKY_SECRET, lambda b, h: (b, {**h, "webhook-id": ""}), id="no-id"),
        pytest.param(LEAKY_SECRET + "*", lambda b, h: (b, h), id="bad-base64-secret"),
        pytest.param(BARE_BASE64, lambda b, h: (b, h), id="unprefixed-secret-mismatch"),
    ],
)
def test_errors_never_reveal_secret_or_expected_signature(
    secret: str, mutate: Callable[[bytes, dict[str, str]], tuple[bytes, dict[str, str]]]
) -> None:
    """No error message or chained traceback contains the secret or the signature it expects."""
    body, headers = mutate(_body(), _headers(_body(), secret=LEAKY_SECRET))
    with pytest.raises(WebhookVerificationError) as info:
        unwrap(body, headers, secret, now=NOW)
    text = "".join(traceback.format_exception(info.value))
    secrets = [secret, LEAKY_SECRET, BARE_BASE64, SECRET_KEY_TEXT]
    signatures = [headers["webhook-signature"]]
    if not secret.endswith("*"):
        signatures.append(sign(body, secret=secret, msg_id=MSG_ID, timestamp=NOW))
    for needle in secrets + [sig.removeprefix("v1,") for sig in signatures]:
        assert needle not in text


# -- the module ---------------------------------------------------------------------------------


def test_module_imports_no_io_library() -> None:
    """webhooks.py is sans-IO: it imports neither aiohttp, anyio nor asyncio."""
    tree = ast.parse(Path(webhooks.__file__).read_text(encoding="utf-8"))
    imported = {
        alias.name.split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, ast.Import)
        for alias in node.names
    } | {
        (node.module or "").split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and not node.level
    }
    assert not imported & {"aiohttp", "anyio", "asyncio"}


def test_all_is_a_tuple_of_defined_names() -> None:
    """webhooks.__all__ is a tuple naming only things the module defines."""
    assert isinstance(webhooks.__all__, tuple)
    assert all(hasattr(webhooks, name) for name in webhooks.__all__)


# -- the README example, served by aiohttp ------------------------------------------------------

# Keep in step with the "Webhooks" section of the README.


async def openai_webhook(request: web.Request) -> web.Response:
    body = await request.read()  # the raw bytes: re-serialized JSON would not verify
    try:
        event = unwrap(body, request.headers)  # secret from OPENAI_WEBHOOK_SECRET
    except WebhookVerificationError as exc:
        return web.Response(status=400, text=str(exc))
    match event:
        case VideoCompletedEvent(video_id=video_id):
            request.app.logger.info("video %s is ready to download", video_id)
        case VideoFailedEvent(video_id=video_id):
            request.app.logger.warning("video %s failed", video_id)
        case _:
            pass  # acknowledge event types you do not handle, or the sender retries them
    return web.Response(status=200)


async def test_readme_aiohttp_handler(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """The README's aiohttp handler answers 200 to a signed delivery and 400 to a forged one."""
    monkeypatch.setenv("OPENAI_WEBHOOK_SECRET", SECRET)
    app = web.Application()
    app.router.add_post("/webhooks/openai", openai_webhook)
    body = _body()
    headers = _headers(body, ts=int(time.time()))
    async with TestClient(TestServer(app)) as client:
        with caplog.at_level(logging.INFO, logger=app.logger.name):
            ok = await client.post("/webhooks/openai", data=body, headers=headers)
            assert ok.status == 200
        assert "video video_123 is ready to download" in caplog.text
        forged = await client.post("/webhooks/openai", data=body + b" ", headers=headers)
        assert forged.status == 400
        assert "does not match" in await forged.text()
