"""The neutral surface on Runway and Vertex, the same test for both, over real sockets
against the emulator's protocol of each: wait_all, generate with on_progress, raw
responses, deadlines, cancellation (no connection, task or file left) and the sync twin."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest

from videoclient import AsyncVideoClient, VideoClient, WaitTimeoutError
from videoclient.emulator import SLOW_TRIGGER, Emulator, EmulatorConfig

KEY = "surface-key"
FAST = 0.05
PROVIDERS = ["runway", "vertex"]
#: What each provider is asked for: a size and a length it can express.
ARGS: dict[str, dict[str, Any]] = {
    "runway": {"size": "1280x720", "seconds": 2},
    "vertex": {"size": "1280x720", "seconds": 4},
}


def _async_client(provider: str, emu: Emulator) -> AsyncVideoClient:
    if provider == "runway":
        return AsyncVideoClient.runway(KEY, base_url=emu.runway_base_url)
    return AsyncVideoClient.vertex(KEY, base_url=emu.url)


def _sync_client(provider: str, emu: Any) -> VideoClient:
    if provider == "runway":
        return VideoClient.runway(KEY, base_url=emu.runway_base_url)
    return VideoClient.vertex(KEY, base_url=emu.url)


@asynccontextmanager
async def running(provider: str, **over: Any) -> AsyncIterator[tuple[Emulator, AsyncVideoClient]]:
    cfg = EmulatorConfig(**{"render_seconds": 0.5, "api_key": KEY, "fps": 8, **over})
    async with Emulator(cfg) as emu, _async_client(provider, emu) as client:
        yield emu, client


def _transport_connections(client: AsyncVideoClient) -> int:
    transport = client._transport
    assert transport is not None and transport._session is not None
    connector: Any = transport._session.connector
    return sum(len(v) for v in connector._acquired_per_host.values())


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_wait_all_returns_every_job_in_order(provider: str) -> None:
    async with running(provider) as (_, client):
        jobs = [await client.videos.create(prompt=f"job {i}", **ARGS[provider]) for i in range(3)]
        got = await client.videos.wait_all(jobs, poll_interval=FAST, timeout=30)
    assert [v.id for v in got] == [j.id for j in jobs]
    assert {v.status for v in got} == {"completed"} and all(v.progress == 100 for v in got)


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_generate_reports_each_state_it_sees(provider: str, tmp_path: Path) -> None:
    """on_progress sees the job while pending (Runway with a progress, Vertex without)."""
    seen: list[tuple[str, int | None]] = []
    async with running(provider, render_seconds=1.0) as (_, client):
        result = await client.videos.generate(
            "a kite",
            output=tmp_path / "kite.mp4",
            poll_interval=FAST,
            on_progress=lambda v: seen.append((v.status, v.progress)),
            **ARGS[provider],
        )
    assert result.video.is_completed and result.path.read_bytes()[4:8] == b"ftyp"
    pending = [p for s, p in seen if s in ("queued", "in_progress")]
    assert pending, seen
    if provider == "vertex":
        assert set(pending) == {None}  # Veo gives no progress: None, never a made-up number
    else:
        assert all(p is None or 0 <= p < 100 for p in pending)
    assert seen[-1][0] == "completed"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["kite.mp4"]


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_raw_responses_show_the_providers_answer(provider: str) -> None:
    async with running(provider) as (_, client):
        raw = await client.videos.with_raw_response.create(prompt="raw", **ARGS[provider])
        created = raw.parse()
        assert raw.status_code == 200 and created.status in ("queued", "in_progress")
        again = await client.videos.with_raw_response.retrieve(created.id)
        assert again.status_code == 200 and again.parse().id == created.id
        assert again.headers.get("content-type", "").startswith("application/json")


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_a_deadline_ends_a_wait_with_the_last_state(provider: str) -> None:
    async with running(provider) as (_, client):
        slow = await client.videos.create(prompt=f"slow {SLOW_TRIGGER}", **ARGS[provider])
        with pytest.raises(WaitTimeoutError) as info:
            await client.videos.poll(slow, poll_interval=FAST, timeout=0.3)
        assert info.value.video is not None and info.value.video.is_pending
        with pytest.raises(WaitTimeoutError):
            await client.videos.wait_all([slow], poll_interval=FAST, timeout=0.3)


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_cancelling_a_wait_or_a_download_leaves_nothing_behind(
    provider: str, tmp_path: Path
) -> None:
    """A task cancelled mid-poll or mid-download: no connection held, no file on disk."""
    async with running(provider) as (_, client):
        slow = await client.videos.create(prompt=f"slow {SLOW_TRIGGER}", **ARGS[provider])
        waiting = asyncio.create_task(client.videos.poll(slow, poll_interval=FAST))
        await asyncio.sleep(0.3)
        waiting.cancel()
        with pytest.raises(asyncio.CancelledError):
            await waiting
        done = await client.videos.create_and_poll(
            prompt="done", poll_interval=FAST, **ARGS[provider]
        )
        started = asyncio.Event()

        async def progress(*_: object) -> None:
            started.set()
            await asyncio.Event().wait()  # holds the download mid-body until cancelled

        target = tmp_path / "cut.mp4"
        download = asyncio.create_task(client.videos.download(done, target, on_progress=progress))
        await asyncio.wait_for(started.wait(), 10)
        download.cancel()
        with pytest.raises(asyncio.CancelledError):
            await download
        assert list(tmp_path.iterdir()) == []
        assert _transport_connections(client) == 0
        # and the client goes on working
        path = await client.videos.download(done, target)
        assert path.read_bytes()[4:8] == b"ftyp"


@pytest.mark.parametrize("provider", PROVIDERS)
def test_the_sync_twin_generates_and_waits(provider: str, tmp_path: Path) -> None:
    emulator = Emulator(EmulatorConfig(render_seconds=0.3, api_key=KEY, fps=8))
    with emulator.in_thread() as emu, _sync_client(provider, emu) as client:
        seen: list[str] = []
        result = client.videos.generate(
            "sync",
            output=tmp_path,
            poll_interval=FAST,
            on_progress=lambda v: seen.append(v.status),
            **ARGS[provider],
        )
        assert result.path.read_bytes()[4:8] == b"ftyp" and seen[-1] == "completed"
        jobs = [client.videos.create(prompt=f"s{i}", **ARGS[provider]) for i in range(2)]
        got = client.videos.wait_all(jobs, poll_interval=FAST, timeout=30)
        assert [v.status for v in got] == ["completed", "completed"]
        assert client.videos.download_content(got[0].id)[4:8] == b"ftyp"
