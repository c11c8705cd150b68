"""Webhooks: a Standard Webhooks signed event when a job ends, retried when delivery fails."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from videoclient.emulator._webhooks import WebhookSender, sign

from .conftest import StartEmulator

SECRET = "whsec_" + base64.b64encode(b"emulator-webhook-test-secret-32b").decode()


class Receiver:
    """A local endpoint that records deliveries and answers with scripted statuses."""

    def __init__(self) -> None:
        self.deliveries: list[tuple[dict[str, str], bytes]] = []
        self.statuses: list[int] = []
        self.arrived = asyncio.Event()
        self.server: TestServer | None = None

    async def handle(self, request: web.Request) -> web.Response:
        self.deliveries.append((dict(request.headers), await request.read()))
        self.arrived.set()
        return web.Response(status=self.statuses.pop(0) if self.statuses else 200)

    @property
    def url(self) -> str:
        assert self.server is not None
        return str(self.server.make_url("/hook"))

    async def wait_for(self, count: int) -> None:
        while len(self.deliveries) < count:
            self.arrived.clear()
            await asyncio.wait_for(self.arrived.wait(), 20)


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    """A running webhook receiver."""
    rec = Receiver()
    app = web.Application()
    app.router.add_post("/hook", rec.handle)
    rec.server = TestServer(app, host="127.0.0.1")
    await rec.server.start_server()
    try:
        yield rec
    finally:
        await rec.server.close()


def standard_webhooks_signature(secret: str, msg_id: str, timestamp: str, body: bytes) -> str:
    """The signature exactly as https://www.standardwebhooks.com defines it."""
    key = base64.b64decode(secret.split("_", 1)[1])
    content = msg_id.encode() + b"." + timestamp.encode() + b"." + body
    return "v1," + base64.b64encode(hmac.new(key, content, hashlib.sha256).digest()).decode()


async def test_completed_job_sends_a_signed_event(
    start_emulator: StartEmulator, make_api: Any, receiver: Receiver
) -> None:
    """When a job completes, a video.completed event arrives signed as Standard Webhooks says."""
    emulator = await start_emulator(
        render_seconds=0.2, webhook_url=receiver.url, webhook_secret=SECRET
    )
    video = await make_api(emulator).create()
    await receiver.wait_for(1)
    headers, body = receiver.deliveries[0]
    event = json.loads(body)
    assert event["type"] == "video.completed" and event["object"] == "event"
    assert event["data"] == {"id": video["id"]} and event["id"].startswith("evt_")
    assert isinstance(event["created_at"], int)
    assert headers["webhook-id"] == event["id"]
    expected = standard_webhooks_signature(
        SECRET, headers["webhook-id"], headers["webhook-timestamp"], body
    )
    assert headers["webhook-signature"] == expected


async def test_failed_job_sends_video_failed(
    start_emulator: StartEmulator, make_api: Any, receiver: Receiver
) -> None:
    """A job that fails sends a video.failed event."""
    emulator = await start_emulator(
        render_seconds=0.2, webhook_url=receiver.url, webhook_secret=SECRET
    )
    video = await make_api(emulator).create(prompt="[emulator:fail]")
    await receiver.wait_for(1)
    event = json.loads(receiver.deliveries[0][1])
    assert (event["type"], event["data"]["id"]) == ("video.failed", video["id"])


async def test_events_verify_with_the_client_webhooks_module(
    start_emulator: StartEmulator, make_api: Any, receiver: Receiver
) -> None:
    """videoclient.webhooks.unwrap accepts what the emulator sends."""
    from videoclient.webhooks import VideoCompletedEvent, unwrap

    emulator = await start_emulator(
        render_seconds=0.2, webhook_url=receiver.url, webhook_secret=SECRET
    )
    video = await make_api(emulator).create()
    await receiver.wait_for(1)
    headers, body = receiver.deliveries[0]
    event = unwrap(body, headers, SECRET)
    assert isinstance(event, VideoCompletedEvent) and event.video_id == video["id"]


async def test_failed_delivery_is_retried_a_bounded_number_of_times(receiver: Receiver) -> None:
    """A delivery answered 5xx is retried with the same id; it stops after the last retry."""
    receiver.statuses = [500, 503, 500, 500, 500]
    sender = WebhookSender(receiver.url, SECRET, retry_delays=(0.01, 0.01))
    sender.send("video.completed", "video_1")
    await receiver.wait_for(3)
    await asyncio.sleep(0.1)
    await sender.close()
    assert len(receiver.deliveries) == 3
    ids = {h["webhook-id"] for h, _ in receiver.deliveries}
    assert len(ids) == 1
    assert [status for _, status in sender.attempts] == [500, 503, 500]


async def test_delivery_stops_at_the_first_success(receiver: Receiver) -> None:
    """Once a delivery is answered 2xx it is not sent again."""
    receiver.statuses = [502, 204]
    sender = WebhookSender(receiver.url, SECRET, retry_delays=(0.01, 0.01, 0.01))
    sender.send("video.completed", "video_2")
    await receiver.wait_for(2)
    await asyncio.sleep(0.1)
    await sender.close()
    assert [status for _, status in sender.attempts] == [502, 204]


async def test_unreachable_endpoint_is_retried_then_dropped() -> None:
    """Connection errors count as failed attempts; close() leaves nothing running."""
    sender = WebhookSender("http://127.0.0.1:9/nothing", SECRET, retry_delays=(0.01,))
    sender.send("video.failed", "video_3")
    for _ in range(1000):
        if len(sender.attempts) >= 2:
            break
        await asyncio.sleep(0.01)
    await sender.close()
    assert [status for _, status in sender.attempts] == [None, None]


def test_sign_matches_the_spec_example() -> None:
    """sign() reproduces the Standard Webhooks reference test vector."""
    # From the Standard Webhooks reference libraries' tests.
    secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    msg_id = "msg_p5jXN8AQM9LWM0D4loKWxJek"
    timestamp = 1614265330
    body = b'{"test": 2432232314}'
    assert sign(secret, msg_id, timestamp, body) == (
        "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
    )
