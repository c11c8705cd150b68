"""Veo on Vertex AI behind ``client.videos``, over real sockets against the emulator's Vertex protocol."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from fakeclock import TestClock

from videoclient import (
    APIResponseValidationError,
    AsyncVideoClient,
    UnsupportedOperationError,
    Video,
    VideoClient,
    VideoFailedError,
)
from videoclient._io import clock
from videoclient.emulator import FAIL_TRIGGER, Emulator, EmulatorConfig
from videoclient.emulator._media import probe_video

KEY = "vx-emulator-key"
FAST = 0.05


@asynccontextmanager
async def running(
    mode: str = "express", **over: Any
) -> AsyncIterator[tuple[Emulator, AsyncVideoClient]]:
    cfg = EmulatorConfig(**{"render_seconds": 0.3, "api_key": KEY, "fps": 8, **over})
    async with Emulator(cfg) as emu:
        if mode == "express":
            client = AsyncVideoClient.vertex(KEY, base_url=emu.url)
        else:

            async def token() -> str:
                return KEY

            client = AsyncVideoClient.vertex(
                project="proj-1", location="us-central1", token_provider=token, base_url=emu.url
            )
        async with client:
            yield emu, client


async def done(client: AsyncVideoClient, prompt: str = "a paper boat", **kw: Any) -> Video:
    video = await client.videos.create(prompt=prompt, size="1280x720", seconds=4, **kw)
    return await client.videos.poll(video, poll_interval=FAST, timeout=20)


@pytest.mark.parametrize("mode", ["express", "project"])
async def test_a_job_runs_to_a_real_mp4_of_the_asked_size_and_length(
    mode: str, tmp_path: Path
) -> None:
    """create -> poll -> download in both modes: the inline video lands in the file, whole."""
    async with running(mode) as (emu, client):
        video = await done(client)
        assert (video.status, video.provider_status) == ("completed", "done")
        assert "/operations/" in video.id and video.extra["videos"][0]["bytesBase64Encoded"] is None
        path = await client.videos.download(video, tmp_path / "clip.mp4")
        data = path.read_bytes()
        assert data == await emu.asset_bytes(video.id.rpartition("/")[2])
        assert probe_video(data, "video") == (1280, 720, 4)
        assert os.listdir(tmp_path) == ["clip.mp4"]
        records = emu.request_log.filter()
        if mode == "express":
            assert all(
                r.headers["x-goog-api-key"] == KEY and "authorization" not in r.headers
                for r in records
            )
            assert (
                records[0].path
                == "/v1beta1/publishers/google/models/veo-3.1-generate-001:predictLongRunning"
            )
        else:
            assert all(r.headers["authorization"] == f"Bearer {KEY}" for r in records)
            assert records[0].path.startswith("/v1beta1/projects/proj-1/locations/us-central1/")


async def test_stream_content_and_download_content_decode_the_inline_video(tmp_path: Path) -> None:
    """stream_content yields the decoded MP4; download_content returns it whole."""
    async with running() as (emu, client):
        video = await done(client)
        expected = await emu.asset_bytes(video.id.rpartition("/")[2])
        named = await client.videos.download(video, tmp_path)  # a directory: named for the id's end
        assert named.name == video.id.rpartition("/")[2] + ".mp4" and named.read_bytes() == expected
        async with client.videos.stream_content(video) as stream:
            assert b"".join([c async for c in stream]) == expected
        assert await client.videos.download_content(video.id) == expected


async def test_a_safety_filtered_job_fails_with_the_reason(tmp_path: Path) -> None:
    """done with raiMediaFilteredCount and no video: failed, the reason in error.message."""
    async with running() as (_, client):
        video = await done(client, prompt=f"blocked {FAIL_TRIGGER}")
        assert (video.status, video.provider_status) == ("failed", "filtered")
        assert video.error is not None and FAIL_TRIGGER in video.error.message
        with pytest.raises(VideoFailedError):
            await client.videos.download(video, tmp_path / "x.mp4")
        assert os.listdir(tmp_path) == []


async def test_an_errored_operation_fails_with_its_message() -> None:
    """done with error (--fail-rate 1): failed with the operation's message."""
    async with running(fail_rate=1.0) as (_, client):
        video = await done(client)
        assert (video.status, video.provider_status) == ("failed", "error")
        assert video.error is not None and "fail-rate" in video.error.message


async def test_a_gcs_result_explains_the_bucket(tmp_path: Path) -> None:
    """storageUri (extra_body): the result is a gcsUri; download says where the file is."""
    async with running() as (_, client):
        video = await done(client, extra_body={"storageUri": "gs://my-bucket/out"})
        assert video.extra["videos"][0]["gcsUri"].startswith("gs://my-bucket/out/")
        with pytest.raises(UnsupportedOperationError, match="gs://my-bucket/out/"):
            await client.videos.download(video, tmp_path / "x.mp4")
        assert os.listdir(tmp_path) == []


@pytest.mark.parametrize("kept", [True, False], ids=["the-polls-answer", "fetched-again"])
async def test_a_broken_inline_video_leaves_no_file(
    kept: bool, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Base64 that ends mid-group: an error, and neither the target nor a temp file remains
    (decoded from the poll's kept answer, or from the operation fetched again)."""
    import videoclient.emulator.protocols.vertex as emu_vertex

    broken = "QUJD" * 100 + "QU"
    async with running() as (emu, client):
        if kept:
            monkeypatch.setattr(emu_vertex, "_b64", lambda path: broken)
        video = await done(client)
        monkeypatch.setattr(emu_vertex, "_b64", lambda path: broken)
        async with AsyncVideoClient.vertex(KEY, base_url=emu.url) as other:
            downloader = client if kept else other  # the other client never saw the answer
            with pytest.raises(APIResponseValidationError, match="mid-group"):
                await downloader.videos.download(video, tmp_path / "x.mp4")
        assert os.listdir(tmp_path) == []


async def test_the_download_after_the_poll_that_saw_done_sends_nothing(tmp_path: Path) -> None:
    """The finished poll's answer is decoded into the file: no second fetch of the operation.

    It is used once: a second download (or stream_content) fetches the operation again."""
    async with running() as (emu, client):
        video = await done(client)
        expected = await emu.asset_bytes(video.id.rpartition("/")[2])
        sent = emu.count()
        path = await client.videos.download(video, tmp_path / "a.mp4")
        assert emu.count() == sent and path.read_bytes() == expected
        assert os.listdir(tmp_path) == ["a.mp4"]
        async with client.videos.stream_content(video.id) as stream:
            assert b"".join([c async for c in stream]) == expected
        assert emu.count() == sent + 1
        again = await client.videos.retrieve(video.id)  # a retrieve that sees done keeps it too
        assert await client.videos.download_content(again) == expected
        assert emu.count() == sent + 2


async def test_only_two_fresh_answers_are_kept() -> None:
    """A client keeps the two newest finished answers, each for a minute (virtual time)."""
    with clock.use(TestClock(("poll",), cap=0.05)) as fake:
        async with running() as (emu, client):
            jobs = [await client.videos.create(prompt=f"k{i}", seconds=4) for i in range(3)]
            got = [await client.videos.poll(j, poll_interval=FAST, timeout=20) for j in jobs]
            sent = emu.count()
            assert await client.videos.download_content(got[0])  # the oldest: fetched
            assert emu.count() == sent + 1
            assert await client.videos.download_content(got[2])  # the newest: kept
            assert emu.count() == sent + 1
            fake.offset += 61.0
            assert await client.videos.download_content(got[1])  # kept, but stale now
            assert emu.count() == sent + 2
            assert len(client.videos._session.answers) == 0


@pytest.mark.parametrize(
    ("call", "operation"),
    [
        pytest.param(lambda c: c.videos.list_page(), "list", id="list"),
        pytest.param(
            lambda c: c.videos.delete("publishers/google/models/m/operations/o"),
            "delete",
            id="delete",
        ),
        pytest.param(lambda c: c.videos.remix("x", prompt="y"), "remix", id="remix"),
        pytest.param(
            lambda c: c.videos.create_character(name="n", video=b"x"), "characters", id="characters"
        ),
    ],
)
async def test_what_vertex_lacks_fails_before_any_request(call: Any, operation: str) -> None:
    """UnsupportedOperationError, with nothing sent."""
    async with running() as (emu, client):
        with pytest.raises(UnsupportedOperationError) as info:
            await call(client)
        assert (info.value.provider, info.value.operation) == ("vertex", operation)
        assert emu.count() == 0


async def test_the_default_pace_waits_ten_seconds_then_grows_to_twenty() -> None:
    """No hint, no progress: the first poll after 10 s, then 15, then 20 (virtual time)."""
    with clock.use(TestClock(("poll",), cap=0.05)) as fake:
        async with running(render_seconds=1.0) as (_, client):
            video = await client.videos.create_and_poll(prompt="x", seconds=4)
    assert video.status == "completed"
    assert fake.polls[:3] == [10.0, 15.0, 20.0][: len(fake.polls[:3])] and min(fake.polls) >= 10.0


async def test_as_completed_polls_each_operation() -> None:
    """as_completed over Vertex jobs retrieves each (no list), and ends with every job."""
    async with running() as (emu, client):
        jobs = [await client.videos.create(prompt=f"j{i}", seconds=4) for i in range(2)]
        got = await client.videos.wait_all(jobs, poll_interval=FAST, timeout=20)
        assert [v.status for v in got] == ["completed", "completed"]
        assert emu.count("GET") == 0


def test_the_sync_twin_drives_vertex(tmp_path: Path) -> None:
    """VideoClient.vertex: generate (create, wait, download) blocking."""
    emulator = Emulator(EmulatorConfig(render_seconds=0.3, api_key=KEY, fps=8))
    with emulator.in_thread() as emu, VideoClient.vertex(KEY, base_url=emu.url) as client:
        assert client.provider == "vertex"
        video = client.videos.create_and_poll(prompt="sync", seconds=4, poll_interval=FAST)
        path = client.videos.download(video, tmp_path / "s.mp4")
        assert path.read_bytes()[4:8] == b"ftyp"


def test_google_genai_runs_against_the_emulator() -> None:
    """genai.Client(vertexai=True, api_key=..., base_url=EMU): generate_videos + operations.get."""
    import time

    genai = pytest.importorskip("google.genai")
    types = pytest.importorskip("google.genai.types")
    with Emulator(EmulatorConfig(render_seconds=0.3, api_key=KEY, fps=8)).in_thread() as emu:
        sdk = genai.Client(
            vertexai=True, api_key=KEY, http_options=types.HttpOptions(base_url=emu.url)
        )
        op = sdk.models.generate_videos(
            model="veo-3.1-generate-001",
            source=types.GenerateVideosSource(prompt="a lighthouse"),
            config=types.GenerateVideosConfig(
                duration_seconds=4, aspect_ratio="9:16", resolution="720p"
            ),
        )
        for _ in range(200):
            if op.done:
                break
            time.sleep(0.05)
            op = sdk.operations.get(op)
        video = op.result.generated_videos[0].video
        assert video.mime_type == "video/mp4"
        assert probe_video(video.video_bytes, "video") == (720, 1280, 4)


async def test_an_idle_client_lets_go_of_a_kept_answer_when_its_time_is_up() -> None:
    """The kept answer (the whole video) is dropped at its time even with no later call."""
    from videoclient._sansio.inline import RecentAnswers

    async with running() as (_, client):
        answers = client.videos._session.answers = RecentAnswers(ttl=0.2)
        await done(client)
        assert len(answers) == 1
        await asyncio.sleep(0.5)  # no call in between: only the client's timer can drop it
        assert len(answers) == 0
