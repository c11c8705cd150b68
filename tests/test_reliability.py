"""Reliability and security: chaos runs, server misbehaviour, secrets, TLS, webhooks end to end."""

from __future__ import annotations

import asyncio
import logging
import ssl
import traceback
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from fakeclock import TestClock

import videoclient
from videoclient import AsyncVideoClient
from videoclient.emulator import Emulator, EmulatorConfig
from videoclient.webhooks import VideoCompletedEvent, VideoFailedEvent, unwrap

KEY = "sk-reliability-SECRET-9f8e7d6c5b4a"


async def test_chaos_run_completes_every_job_exactly_once(
    fast_retries: TestClock, tmp_path: Path
) -> None:
    """With seeded 20% faults and a rate limit, every job completes once and every file is exact."""
    config = EmulatorConfig(
        render_seconds=0.3,
        api_key=KEY,
        fault_rate=0.2,
        seed=42,
        rate_limit=600,
        poll_after_min_ms=20,
    )
    async with (
        Emulator(config) as emu,
        AsyncVideoClient(KEY, base_url=emu.base_url, max_retries=10) as client,
    ):

        async def one(i: int) -> Path:
            video = await client.videos.create_and_poll(
                prompt=f"chaos {i}", size="64x64", seconds=1
            )
            assert video.status == "completed", video
            return await client.videos.download(video, tmp_path / f"{i}.mp4")

        paths = await asyncio.gather(*(one(i) for i in range(24)))
        assert emu.jobs_created == 24
        faults = emu.faults_injected
        assert (
            sum(faults.values()) > 0
            and faults.get("lost_response", 0) + faults.get("truncated", 0) > 0
        )
        for path in paths:
            video_id = await _video_id_of(emu, path, tmp_path)
            assert path.read_bytes() == await emu.asset_bytes(video_id)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(f"{i}.mp4" for i in range(24))


async def _video_id_of(emu: Emulator, path: Path, tmp_path: Path) -> str:
    """The job whose prompt is 'chaos <i>' for file <i>.mp4."""
    wanted = f"chaos {path.stem}"
    for video_id in {r.video_id for r in emu.request_log if r.video_id}:
        if emu.video(video_id).prompt == wanted:
            return video_id
    raise AssertionError(wanted)


def make_server(handler: Any) -> TestServer:
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", handler)
    return TestServer(app, host="127.0.0.1")


async def test_oversized_json_body_is_refused(sleeps: list[float]) -> None:
    """A 12 MB JSON answer raises APIResponseValidationError instead of being buffered."""

    async def handler(request: web.Request) -> web.StreamResponse:
        resp = web.StreamResponse(headers={"Content-Type": "application/json"})
        await resp.prepare(request)
        await resp.write(b'{"id": "v", "status": "queued", "pad": "')
        for _ in range(12):
            await resp.write(b"x" * (1024 * 1024))
        await resp.write(b'"}')
        return resp

    async with (
        make_server(handler) as server,
        AsyncVideoClient(KEY, base_url=str(server.make_url("/v1"))) as c,
    ):
        with pytest.raises(videoclient.APIResponseValidationError, match="exceeds"):
            await c.videos.retrieve("v")


async def test_body_shorter_than_content_length(sleeps: list[float]) -> None:
    """A body cut short of its Content-Length is an APIConnectionError after the retries."""
    hits = 0

    async def handler(request: web.Request) -> web.StreamResponse:
        nonlocal hits
        hits += 1
        resp = web.StreamResponse(
            headers={"Content-Type": "application/json", "Content-Length": "100"}
        )
        await resp.prepare(request)
        await resp.write(b'{"id": "v", "status"')
        assert request.transport is not None
        request.transport.close()
        return resp

    async with (
        make_server(handler) as server,
        AsyncVideoClient(KEY, base_url=str(server.make_url("/v1"))) as c,
    ):
        with pytest.raises(videoclient.APIConnectionError):
            await c.videos.retrieve("v")
    assert hits == 3 and len(sleeps) == 2


async def test_the_key_never_leaks(caplog: pytest.LogCaptureFixture, sleeps: list[float]) -> None:
    """Across success, retries, 401s, 404s and validation errors the key is in no repr, log or traceback."""
    seen: list[str] = []
    with caplog.at_level(logging.DEBUG):
        async with Emulator(
            EmulatorConfig(render_seconds=0.1, api_key=KEY, fault_rate=0.3, seed=3)
        ) as emu:
            async with AsyncVideoClient(KEY, base_url=emu.base_url, max_retries=6) as good:
                seen += [repr(good), repr(good.config), str(good.config)]
                video = await good.videos.create_and_poll(
                    prompt="secret test", size="64x64", seconds=1
                )
                seen += [repr(video), repr(await good.videos.with_raw_response.retrieve(video.id))]
                for call in (
                    lambda: good.videos.retrieve("video_missing"),
                    lambda: good.videos.download_content("video_missing"),
                ):
                    try:
                        await call()
                    except videoclient.VideoClientError as exc:
                        seen += [str(exc), repr(exc), "".join(traceback.format_exception(exc))]
            wrong = KEY[:-4] + "XXXX"
            async with AsyncVideoClient(wrong, base_url=emu.base_url) as bad:
                with pytest.raises(videoclient.AuthenticationError) as info:
                    await bad.videos.retrieve(video.id)
                exc = info.value
                seen += [
                    str(exc),
                    repr(exc),
                    repr(exc.body),
                    repr(exc.headers),
                    "".join(traceback.format_exception(exc)),
                ]
    seen.append(caplog.text)
    text = "\n".join(seen)
    assert "secret test" in text  # the capture really saw the traffic
    assert KEY not in text and KEY[:-4] not in text


def test_plain_http_to_a_remote_host_warns(mock_api: Any) -> None:
    """Credentials over plain http to a non-loopback host raise InsecureTransportWarning once."""
    mock_api.get(
        "http://gateway.example.test/v1/videos/v",
        payload={"id": "v", "status": "queued"},
        repeat=True,
    )

    async def go() -> None:
        async with AsyncVideoClient(KEY, base_url="http://gateway.example.test/v1") as c:
            await c.videos.retrieve("v")
            await c.videos.retrieve("v")

    with pytest.warns(videoclient.InsecureTransportWarning, match="plain http") as record:
        asyncio.run(go())
    assert len([w for w in record if w.category is videoclient.InsecureTransportWarning]) == 1
    assert all(KEY not in str(w.message) for w in record)


async def test_tls_is_verified_by_default_and_a_ca_bundle_can_be_given(
    self_signed: tuple[Path, Path], sleeps: list[float]
) -> None:
    """An untrusted certificate fails; the same server works with ssl=<CA bundle path> or an SSLContext."""
    cert, key = self_signed
    server_ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_ctx.load_cert_chain(cert, key)

    async def handler(request: web.Request) -> web.Response:
        return web.json_response({"id": "v", "status": "queued"})

    app = web.Application()
    app.router.add_get("/v1/videos/v", handler)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0, ssl_context=server_ctx)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    base = f"https://127.0.0.1:{port}/v1"
    try:
        async with AsyncVideoClient(KEY, base_url=base, max_retries=0) as c:
            with pytest.raises(videoclient.APIConnectionError):
                await c.videos.retrieve("v")
        async with AsyncVideoClient(KEY, base_url=base, ssl=str(cert)) as c:
            assert (await c.videos.retrieve("v")).id == "v"
        async with AsyncVideoClient(
            KEY, base_url=base, ssl=ssl.create_default_context(cafile=str(cert))
        ) as c:
            assert (await c.videos.retrieve("v")).id == "v"
    finally:
        await runner.cleanup()


@pytest.fixture
async def webhook_sink() -> AsyncIterator[tuple[str, list[Any], list[int]]]:
    """A server receiving webhooks with the README's handler logic: verified events and statuses."""
    events: list[Any] = []
    statuses: list[int] = []
    secret = "whsec_" + __import__("base64").b64encode(b"emulator-webhook-secret").decode()

    async def receive(request: web.Request) -> web.Response:
        body = await request.read()
        try:
            events.append(unwrap(body, request.headers, secret))
        except videoclient.WebhookVerificationError:
            statuses.append(400)
            return web.Response(status=400)
        statuses.append(200)
        return web.Response(status=200)

    app = web.Application()
    app.router.add_post("/hooks", receive)
    async with TestServer(app, host="127.0.0.1") as server:
        yield str(server.make_url("/hooks")) + "#" + secret, events, statuses


async def test_emulator_delivers_signed_webhooks_end_to_end(
    webhook_sink: tuple[str, list[Any], list[int]],
) -> None:
    """A completed and a failed job each reach the handler as verified, typed events."""
    url_and_secret, events, statuses = webhook_sink
    url, secret = url_and_secret.split("#")
    config = EmulatorConfig(render_seconds=0.2, api_key=KEY, webhook_url=url, webhook_secret=secret)
    async with Emulator(config) as emu, AsyncVideoClient(KEY, base_url=emu.base_url) as client:
        ok = await client.videos.create_and_poll(prompt="hooked", size="64x64", seconds=1)
        bad = await client.videos.create_and_poll(
            prompt="hooked [emulator:fail]", size="64x64", seconds=1
        )
        for _ in range(200):
            if len(events) >= 2:
                break
            await asyncio.sleep(0.02)
    by_type = {type(e): e for e in events}
    assert by_type[VideoCompletedEvent].video_id == ok.id
    assert by_type[VideoFailedEvent].video_id == bad.id
    assert statuses == [200, 200]


async def test_forged_webhook_is_rejected(webhook_sink: tuple[str, list[Any], list[int]]) -> None:
    """An emulator signing with another secret is refused by the handler (400), not parsed."""
    url_and_secret, events, statuses = webhook_sink
    url = url_and_secret.split("#")[0]
    other = "whsec_" + __import__("base64").b64encode(b"not-the-secret").decode()
    config = EmulatorConfig(render_seconds=0.1, api_key=KEY, webhook_url=url, webhook_secret=other)
    async with Emulator(config) as emu, AsyncVideoClient(KEY, base_url=emu.base_url) as client:
        await client.videos.create_and_poll(prompt="forged", size="64x64", seconds=1)
        for _ in range(100):
            if statuses:
                break
            await asyncio.sleep(0.02)
    assert events == [] and statuses and set(statuses) == {400}


async def test_batch_chaos_run_completes_every_line_once(
    fast_retries: TestClock, tmp_path: Path
) -> None:
    """The batch runner under seeded faults: every line completes, one job each, files exact, no temp files."""
    from videoclient.batch import run_batch

    config = EmulatorConfig(
        render_seconds=0.3, api_key=KEY, fault_rate=0.2, seed=11, poll_after_min_ms=20
    )
    out = tmp_path / "out"
    out.mkdir()
    lines = [{"prompt": f"batch chaos {i}", "size": "64x64", "seconds": 1} for i in range(20)]
    async with (
        Emulator(config) as emu,
        AsyncVideoClient(KEY, base_url=emu.base_url, max_retries=10) as client,
    ):
        summary = await run_batch(
            client,
            lines,
            out_dir=out,
            journal=tmp_path / "journal.sqlite",
            concurrency=6,
            poll_interval=0.05,
            retries=10,
        )
        assert len(summary.completed) == 20 and not summary.failed
        assert emu.jobs_created == 20
        assert sum(emu.faults_injected.values()) > 0
        for result in summary.results:
            assert result.video_id is not None
            assert result.output.read_bytes() == await emu.asset_bytes(result.video_id)
    assert sorted(p.suffix for p in out.iterdir()) == [".mp4"] * 20
