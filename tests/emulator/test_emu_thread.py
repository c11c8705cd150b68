"""The threaded form, and scale: 200 jobs at once without blocking the emulator's loop."""

from __future__ import annotations

import asyncio
import json
import threading
import time
import urllib.error
import urllib.request
from typing import Any

import aiohttp
import pytest

from videoclient.emulator import Emulator, EmulatorConfig, EmulatorThread

from .conftest import AUTH, FakeClock, SpecSchemas, decode_mp4


def fetch(url: str, method: str = "GET", body: Any = None) -> tuple[int, Any]:
    """A blocking request with urllib: (status, decoded JSON or bytes)."""
    data = json.dumps(body).encode() if body is not None else None
    headers = {**AUTH, "Content-Type": "application/json"}
    request = urllib.request.Request(url, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=30) as resp:
            raw, status, ctype = resp.read(), resp.status, resp.headers.get_content_type()
    except urllib.error.HTTPError as exc:
        with exc:
            raw, status, ctype = exc.read(), exc.code, exc.headers.get_content_type()
    return status, json.loads(raw) if ctype == "application/json" else raw


def test_threaded_emulator_serves_blocking_callers() -> None:
    """in_thread() runs the emulator on its own loop, usable from plain blocking code."""
    clock = FakeClock()
    with Emulator(EmulatorConfig(render_seconds=1), clock=clock).in_thread() as emu:
        assert isinstance(emu, EmulatorThread) and emu.base_url.endswith("/v1")
        status, video = fetch(emu.base_url + "/videos", "POST", {"prompt": "p", "size": "64x64"})
        assert status == 200 and emu.jobs_created == 1
        clock.advance(5)
        assert emu.video(video["id"]).status == "completed"
        assert fetch(f"{emu.base_url}/videos/{video['id']}/content")[1] == emu.asset_bytes(
            video["id"]
        )
        assert emu.asset_path(video["id"], "thumbnail").suffix == ".webp"
        assert emu.count("POST", "/v1/videos") == 1 and emu.renders["video"] == 1
        assert emu.call(lambda: len(emu.emulator.state.store)) == 1
        assert emu.faults_injected == {}
    assert not any(t.name == "videoclient-emulator" for t in threading.enumerate())


def test_threaded_emulator_reports_a_failed_start() -> None:
    """A port that cannot be bound raises from start(), and no thread is left behind."""
    with Emulator().in_thread() as running:
        clash = Emulator(EmulatorConfig(port=running.port)).in_thread()
        with pytest.raises(OSError):  # noqa: PT011 - the OS's message varies
            clash.start()
    assert not any(t.name == "videoclient-emulator" for t in threading.enumerate())


def test_stop_is_idempotent() -> None:
    """Stopping twice, or stopping a thread never started, does nothing."""
    thread = Emulator().in_thread()
    thread.stop()
    thread.start()
    thread.stop()
    thread.stop()


async def test_two_hundred_jobs_finish_without_blocking_the_loop(schemas: SpecSchemas) -> None:
    """200 concurrent jobs are created, finish, and are downloaded while the loop stays responsive."""
    config = EmulatorConfig(render_seconds=0.5, poll_after_min_ms=50)
    with Emulator(config).in_thread() as emu:
        stop = threading.Event()

        async def probe() -> float:
            """The worst lateness of a 10 ms timer on the emulator's loop."""
            worst = 0.0
            while not stop.is_set():
                started = time.perf_counter()
                await asyncio.sleep(0.01)
                worst = max(worst, time.perf_counter() - started - 0.01)
            return worst

        lag = emu.submit(probe)
        connector = aiohttp.TCPConnector(limit=200)
        async with aiohttp.ClientSession(connector=connector, headers=AUTH) as session:

            async def one(i: int) -> bytes:
                body = {"prompt": f"job {i}", "size": "32x32", "seconds": "1"}
                async with session.post(emu.base_url + "/videos", json=body) as resp:
                    video = await resp.json()
                while video["status"] in ("queued", "in_progress"):
                    await asyncio.sleep(int(resp.headers["openai-poll-after-ms"]) / 1000)
                    async with session.get(f"{emu.base_url}/videos/{video['id']}") as resp:
                        video = await resp.json()
                schemas.validate("VideoResource", video)
                assert video["status"] == "completed"
                async with session.get(f"{emu.base_url}/videos/{video['id']}/content") as resp:
                    assert resp.status == 200
                    return await resp.read()

            clips = await asyncio.gather(*(one(i) for i in range(200)))
        stop.set()
        worst = lag.result(10)
        assert emu.jobs_created == 200 and emu.renders == {"video": 200}
        assert all(clip[4:8] == b"ftyp" for clip in clips)
        assert decode_mp4(clips[0]).width == 32 and decode_mp4(clips[-1]).frames == 24
        assert worst < 0.5, f"the emulator's loop stalled for {worst:.3f}s"
