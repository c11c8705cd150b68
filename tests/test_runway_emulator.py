"""Runway behind ``client.videos``, over real sockets against the emulator's Runway protocol."""

from __future__ import annotations

import asyncio
import hashlib
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from fakeclock import TestClock

from videoclient import (
    AsyncVideoClient,
    PermissionDeniedError,
    UnsupportedOperationError,
    Video,
    VideoClient,
    WaitTimeoutError,
)
from videoclient._io import clock
from videoclient.emulator import FAIL_TRIGGER, SLOW_TRIGGER, Emulator, EmulatorConfig
from videoclient.emulator._errors import ApiError
from videoclient.emulator._faults import FaultPlan

KEY = "rw-emulator-key"
SIGNED_ROUTE = "/_emulator/signed/{video_id}/{variant}"
FAST = 0.05  # poll_interval: turns Runway's 5 s floor off for the test


@asynccontextmanager
async def running(**over: Any) -> AsyncIterator[tuple[Emulator, AsyncVideoClient]]:
    cfg = EmulatorConfig(**{"render_seconds": 0.3, "api_key": KEY, "fps": 8, **over})
    async with (
        Emulator(cfg) as emu,
        AsyncVideoClient.runway(KEY, base_url=emu.runway_base_url) as c,
    ):
        yield emu, c


async def done(client: AsyncVideoClient, prompt: str = "a paper boat") -> Video:
    video = await client.videos.create(prompt=prompt, size="1280x720", seconds=2)
    return await client.videos.poll(video, poll_interval=FAST, timeout=20)


def asset_records(emu: Emulator) -> list[Any]:
    return [r for r in emu.request_log.filter() if r.route == SIGNED_ROUTE]


async def test_a_task_runs_from_create_to_a_verified_download(tmp_path: Path) -> None:
    """create -> poll -> download: X-Runway-Version on API calls, no credential on the asset URL."""
    async with running() as (emu, client):
        video = await done(client)
        assert (video.status, video.provider_status, video.progress) == (
            "completed",
            "SUCCEEDED",
            100,
        )
        reads = emu.count("GET", route="/tasks/{task_id}")
        path = await client.videos.download(video, tmp_path)  # a finished Video names its URL
        assert emu.count("GET", route="/tasks/{task_id}") == reads
        assert path.read_bytes() == await emu.asset_bytes(video.id)
        assert path.read_bytes()[4:8] == b"ftyp"
        api = [r for r in emu.request_log.filter() if r.route != SIGNED_ROUTE]
        assert all(r.headers["x-runway-version"] == "2024-11-06" for r in api)
        assert all(r.headers["authorization"] == f"Bearer {KEY}" for r in api)
        (asset,) = asset_records(emu)
        assert asset.status == 200 and emu.asset_origin.endswith(
            f":{asset.headers['host'].split(':')[1]}"
        )
        assert not {"authorization", "x-runway-version"} & asset.headers.keys()
        assert os.listdir(tmp_path) == [path.name]


async def test_the_asset_origin_refuses_a_credential() -> None:
    """The emulator's signed URLs answer 400 to a request that carries a key (as S3 does)."""
    import aiohttp

    async with running() as (_, client):
        video = await done(client)
        url = video.extra["output"][0]
        async with aiohttp.ClientSession() as http:
            async with http.get(url, headers={"Authorization": f"Bearer {KEY}"}) as resp:
                assert resp.status == 400
            async with http.get(url) as resp:
                assert resp.status == 200


@pytest.mark.parametrize(
    ("call", "operation"),
    [
        pytest.param(lambda c: c.videos.list_page(), "list", id="list"),
        pytest.param(lambda c: c.videos.remix("t", prompt="x"), "remix", id="remix"),
        pytest.param(
            lambda c: c.videos.extend(video={"id": "t"}, prompt="x", seconds=4),
            "extend",
            id="extend",
        ),
        pytest.param(
            lambda c: c.videos.download_content("t", variant="thumbnail"),
            "content:thumbnail",
            id="thumb",
        ),
    ],
)
async def test_what_runway_lacks_fails_before_any_request(call: Any, operation: str) -> None:
    """UnsupportedOperationError names the provider and the operation; nothing is sent."""
    async with running() as (emu, client):
        with pytest.raises(UnsupportedOperationError) as info:
            await call(client)
        assert (info.value.provider, info.value.operation) == ("runway", operation)
        assert emu.count() == 0


async def test_a_bad_size_fails_before_any_request() -> None:
    """A size the model cannot make: ValueError listing the accepted sizes, nothing sent."""
    async with running() as (emu, client):
        with pytest.raises(ValueError, match="1280x720"):
            await client.videos.create(prompt="x", size="640x480")
        assert emu.count() == 0


async def test_delete_cancels_a_running_task_and_poll_returns_cancelled() -> None:
    """DELETE /v1/tasks/{id} on a pending task: it ends CANCELLED, terminal for poll."""
    async with running(render_seconds=30) as (emu, client):
        video = await client.videos.create(prompt=f"slow {SLOW_TRIGGER}")
        await client.videos.delete(video.id)
        final = await client.videos.poll(video.id, poll_interval=FAST, timeout=5)
        assert (final.status, final.provider_status, final.is_pending) == (
            "cancelled",
            "CANCELLED",
            False,
        )
        assert final.is_cancelled
        assert emu.count("DELETE") == 1


async def test_a_failed_task_reports_runways_failure() -> None:
    """FAILED with failure/failureCode: failed, with the message and code."""
    async with running() as (_, client):
        video = await done(client, prompt=f"boom {FAIL_TRIGGER}")
        assert video.status == "failed" and video.error is not None
        assert FAIL_TRIGGER in video.error.message and video.error.code == "SAFETY.INPUT.TEXT"


async def test_a_task_waiting_for_a_slot_is_throttled_and_queued() -> None:
    """Over max_active, a task shows THROTTLED; the client reads it as queued."""
    async with running(max_active=1, render_seconds=3) as (_, client):
        await client.videos.create(prompt="first")
        second = await client.videos.create(prompt="second")
        await asyncio.sleep(0.5)
        seen = await client.videos.retrieve(second.id)
        assert (seen.status, seen.provider_status) == ("queued", "THROTTLED")


async def test_an_expired_url_is_refreshed_once_from_the_task(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A 403 from the asset URL re-reads the task for a fresh URL, and the download goes on."""
    async with running() as (emu, client):
        video = await done(client)
        real = emu.state.check_signature
        refused: list[str] = []

        def first_expired(*args: Any) -> None:
            if not refused:
                refused.append("once")
                raise ApiError(403, "Request has expired.", code="signed_url_expired")
            real(*args)

        monkeypatch.setattr(emu.state, "check_signature", first_expired)
        retrieves = emu.count("GET", route="/tasks/{task_id}")
        path = await client.videos.download(video.id, tmp_path / "v.mp4")
        assert path.read_bytes() == await emu.asset_bytes(video.id)
        assert [r.status for r in asset_records(emu)] == [403, 200]
        assert emu.count("GET", route="/tasks/{task_id}") == retrieves + 2


async def test_a_url_that_stays_refused_is_re_read_only_once(tmp_path: Path) -> None:
    """signed_url_ttl=0: every URL is expired; after one refresh the 403 is raised."""
    async with running(signed_url_ttl=0) as (emu, client):
        video = await done(client)
        with pytest.raises(PermissionDeniedError):
            await client.videos.download(video.id, tmp_path / "v.mp4")
        assert [r.status for r in asset_records(emu)] == [403, 403]
        assert os.listdir(tmp_path) == []


def _seed(pattern: list[str | None]) -> int:
    for seed in range(10_000):
        plan = FaultPlan(seed=seed, fault_rate=0.5, fail_rate=0.0, kinds=frozenset({"truncated"}))
        got = [plan.fault_for(f"GET {SIGNED_ROUTE}", creates=False, streams=True) for _ in pattern]
        if got == pattern:
            return seed
    raise AssertionError(pattern)


async def test_a_cut_asset_download_resumes_with_range() -> None:
    """The asset origin cuts the body; the client resumes with Range on the signed URL."""
    async with running(
        fault_rate=0.5, fault_kinds={"truncated"}, seed=_seed(["truncated", None])
    ) as (
        emu,
        client,
    ):
        video = await done(client)
        data = await client.videos.download_content(video)
        assert (
            hashlib.sha256(data).digest()
            == hashlib.sha256(await emu.asset_bytes(video.id)).digest()
        )
        first, second = asset_records(emu)
        assert first.fault == "truncated" and second.status == 206
        assert "authorization" not in second.headers and second.headers["range"].startswith(
            "bytes="
        )


async def test_stream_content_and_raw_responses_work_on_runway() -> None:
    """stream_content streams the signed asset; with_raw_response shows the task's answer."""
    async with running() as (emu, client):
        video = await done(client)
        async with client.videos.stream_content(video.id) as stream:
            data = b"".join([chunk async for chunk in stream])
        assert data == await emu.asset_bytes(video.id)
        raw = await client.videos.with_raw_response.retrieve(video.id)
        assert raw.status_code == 200 and raw.parse().provider_status == "SUCCEEDED"


async def test_as_completed_polls_each_task_without_listing() -> None:
    """Runway has no list: as_completed retrieves each job, a round's requests spread out."""
    with clock.use(TestClock(("poll",), cap=0.02)) as fake:
        async with running() as (emu, client):
            jobs = [await client.videos.create(prompt=f"job {i}", seconds=2) for i in range(3)]
            finished = [v async for v in client.videos.as_completed(jobs)]
    assert sorted(v.id for v in finished) == sorted(j.id for j in jobs)
    assert emu.count("GET", "/v1/videos") == 0
    # Each round starts its retrieves 5 s / 3 jobs apart (capped at 1 s), not all at once.
    assert fake.polls.count(1.0) >= 1 and fake.polls.count(2.0) >= 1


async def test_without_an_interval_polls_are_five_seconds_apart() -> None:
    """The default pace keeps Runway's 5 s floor (on the test clock: asked for, not slept)."""
    with clock.use(TestClock(("poll",), cap=0.3)) as fake:
        async with running() as (_, client):
            video = await client.videos.create_and_poll(prompt="x")
    assert video.status == "completed" and fake.polls and min(fake.polls) >= 5.0


async def test_generate_reports_progress_and_a_deadline_ends_a_wait(tmp_path: Path) -> None:
    """generate with on_progress sees RUNNING progress; a poll past its timeout raises."""
    async with running(render_seconds=1.0) as (emu, client):
        seen: list[tuple[str, int | None]] = []
        result = await client.videos.generate(
            "a kite",
            output=tmp_path,
            seconds=2,
            poll_interval=FAST,
            on_progress=lambda v: seen.append((v.status, v.progress)),
        )
        assert result.path.read_bytes()[4:8] == b"ftyp" and result.video.is_completed
        assert any(s == "in_progress" and p is not None and 0 < p < 100 for s, p in seen)
        with pytest.raises(UnsupportedOperationError):
            await client.videos.generate("x", output=tmp_path, variants=("video", "thumbnail"))
        creates = emu.count("POST")
        slow = await client.videos.create(prompt=f"slow {SLOW_TRIGGER}")
        with pytest.raises(WaitTimeoutError) as info:
            await client.videos.poll(slow, poll_interval=FAST, timeout=0.2)
        assert info.value.video is not None and info.value.video.provider_status in (
            "PENDING",
            "RUNNING",
        )
        assert emu.count("POST") == creates + 1


async def test_tasks_survive_a_restart_on_the_same_data_dir(tmp_path: Path) -> None:
    """--data-dir: a finished task and a cancelled one read the same after a restart."""
    data = tmp_path / "emu"
    async with running(data_dir=data) as (_, client):
        finished = await done(client)
        cancelled = await client.videos.create(prompt=f"slow {SLOW_TRIGGER}")
        await client.videos.delete(cancelled.id)
    async with running(data_dir=data) as (emu, client):
        assert (await client.videos.retrieve(finished.id)).provider_status == "SUCCEEDED"
        assert (await client.videos.retrieve(cancelled.id)).status == "cancelled"
        assert await client.videos.download_content(finished.id) == await emu.asset_bytes(
            finished.id
        )


def test_the_sync_twin_drives_runway(tmp_path: Path) -> None:
    """VideoClient.runway: create_and_poll and download, blocking."""
    emulator = Emulator(EmulatorConfig(render_seconds=0.3, api_key=KEY, fps=8))
    with (
        emulator.in_thread() as emu,
        VideoClient.runway(KEY, base_url=emu.runway_base_url) as client,
    ):
        assert client.provider == "runway"
        video = client.videos.create_and_poll(prompt="sync", seconds=2, poll_interval=FAST)
        path = client.videos.download(video, tmp_path / "s.mp4")
        assert path.read_bytes()[4:8] == b"ftyp"


def test_the_official_sdk_runs_against_the_emulator(monkeypatch: pytest.MonkeyPatch) -> None:
    """RunwayML(base_url=EMU).text_to_video.create(...).wait_for_task_output() -> SUCCEEDED MP4."""
    runwayml = pytest.importorskip("runwayml")
    import urllib.request

    import runwayml.lib.polling as polling

    monkeypatch.setattr(polling, "POLL_TIME", 0.2)  # its 6 s pause, shortened for the suite
    monkeypatch.setattr(polling, "POLL_JITTER", 0)
    with Emulator(EmulatorConfig(render_seconds=0.3, api_key=KEY, fps=8)).in_thread() as emu:
        sdk = runwayml.RunwayML(api_key=KEY, base_url=emu.runway_base_url)
        try:
            task = sdk.text_to_video.create(
                model="gen4.5", prompt_text="a lighthouse", ratio="1280:720", duration=2
            ).wait_for_task_output()
            assert task.status == "SUCCEEDED"
            with urllib.request.urlopen(task.output[0]) as resp:  # no credential, other origin
                data = resp.read()
            assert data[4:8] == b"ftyp" and len(data) > 1000
            gone = sdk.tasks.retrieve(task.id)
            assert gone.status == "SUCCEEDED"
            sdk.tasks.delete(task.id)
            with pytest.raises(runwayml.NotFoundError):
                sdk.tasks.retrieve(task.id)
        finally:
            sdk.close()
