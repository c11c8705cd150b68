"""Transfers against the real emulator over loopback: downloads, streams, resumes, references.

Cut downloads come from the emulator's seeded ``truncated`` fault (it promises the full
length, sends part of it and drops the connection); the seed is chosen through the
emulator's own :class:`FaultPlan`, so each test knows which content request is cut.
"""

from __future__ import annotations

import asyncio
import hashlib
import io
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest

import videoclient
from videoclient import AsyncVideoClient, Video
from videoclient.emulator import Emulator, EmulatorConfig
from videoclient.emulator._faults import FaultPlan

KEY = "sk-emulator-transfers"
CONTENT_ROUTE = "/videos/{video_id}/content"


def seed_for(pattern: list[str | None]) -> int:
    """A seed whose first content requests meet exactly ``pattern`` (truncated or None)."""
    for seed in range(10_000):
        plan = FaultPlan(seed=seed, fault_rate=0.5, fail_rate=0.0, kinds=frozenset({"truncated"}))
        got = [plan.fault_for(f"GET {CONTENT_ROUTE}", creates=False, streams=True) for _ in pattern]
        if got == pattern:
            return seed
    raise AssertionError(f"no seed gives {pattern}")


@asynccontextmanager
async def running(**over: Any) -> AsyncIterator[tuple[Emulator, AsyncVideoClient]]:
    """An emulator (small, fast renders) and a client bound to it."""
    cfg = EmulatorConfig(render_seconds=0.3, api_key=KEY, fps=8, **over)
    async with Emulator(cfg) as emu, AsyncVideoClient(KEY, base_url=emu.base_url) as client:
        yield emu, client


async def finished(client: AsyncVideoClient, **create: Any) -> Video:
    """Create a small job and wait for it by plain retrieves (polling is tested elsewhere)."""
    video = await client.videos.create(prompt="a paper boat", size="64x64", seconds=4, **create)
    for _ in range(500):
        if not video.is_pending:
            assert video.status == "completed", video
            return video
        await asyncio.sleep(0.02)
        video = await client.videos.retrieve(video.id)
    raise AssertionError(f"{video.id} never finished")


def content_records(emu: Emulator) -> list[Any]:
    return [r for r in emu.request_log if r.route == CONTENT_ROUTE]


def png(width: int, height: int) -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (width, height), (20, 90, 200)).save(buf, format="PNG")
    return buf.getvalue()


async def test_download_of_each_variant_is_byte_identical(tmp_path: Path) -> None:
    """video, thumbnail and spritesheet download into a directory, equal to the emulator's files."""
    async with running() as (emu, client):
        video = await finished(client)
        for variant, ext in [("video", ".mp4"), ("thumbnail", ".webp"), ("spritesheet", ".jpg")]:
            path = await client.videos.download(video, tmp_path, variant=variant)
            assert path == tmp_path / f"{video.id}{ext}"
            assert path.read_bytes() == await emu.asset_bytes(video.id, variant), variant
        assert sorted(os.listdir(tmp_path)) == sorted(
            f"{video.id}{ext}" for ext in (".mp4", ".webp", ".jpg")
        )
        assert all(r.status == 200 for r in content_records(emu))


async def test_stream_content_matches_the_asset_and_its_headers() -> None:
    """stream_content yields the asset in chunks with its type, length and ETag."""
    async with running() as (emu, client):
        video = await finished(client)
        expected = await emu.asset_bytes(video.id, "thumbnail")
        async with client.videos.stream_content(video.id, variant="thumbnail") as stream:
            assert stream.content_type == "image/webp"
            assert stream.content_length == len(expected)
            assert stream.etag and stream.etag.startswith('"')
            data = b"".join([chunk async for chunk in stream])
        assert data == expected


async def test_a_truncated_download_resumes_with_range(tmp_path: Path) -> None:
    """The emulator cuts the first answer; the client asks for the rest and the file is exact."""
    async with running(
        fault_rate=0.5, fault_kinds={"truncated"}, seed=seed_for(["truncated", None])
    ) as (
        emu,
        client,
    ):
        video = await finished(client)
        path = await client.videos.download(video.id, tmp_path / "clip.mp4")
        expected = await emu.asset_bytes(video.id)
        assert hashlib.sha256(path.read_bytes()).digest() == hashlib.sha256(expected).digest()
        first, second = content_records(emu)
        assert first.fault == "truncated" and "range" not in first.headers
        assert second.status == 206 and second.headers["range"].startswith("bytes=")
        assert int(second.headers["range"].removeprefix("bytes=").rstrip("-")) > 0
        assert second.headers["if-range"].startswith('"')  # the strong ETag
        assert emu.faults_injected == {"truncated": 1}
        assert os.listdir(tmp_path) == ["clip.mp4"]


async def test_stream_content_resumes_a_truncated_answer() -> None:
    """A stream cut by the emulator continues with Range; every byte arrives once, in order."""
    async with running(
        fault_rate=0.5, fault_kinds={"truncated"}, seed=seed_for(["truncated", "truncated", None])
    ) as (emu, client):
        video = await finished(client)
        async with client.videos.stream_content(video.id) as stream:
            data = b"".join([chunk async for chunk in stream])
            assert stream.resumes == 2
        assert data == await emu.asset_bytes(video.id)
        statuses = [r.status for r in content_records(emu)]
        assert statuses[1:] == [206, 206]


async def test_cuts_past_the_retry_budget_leave_no_file(tmp_path: Path) -> None:
    """When every answer is cut and retries run out, the error surfaces and nothing is left."""
    async with running(fault_rate=1.0, fault_kinds={"truncated"}, seed=1) as (emu, client):
        video = await finished(client)
        with pytest.raises(videoclient.APIConnectionError):
            await client.videos.download(video.id, tmp_path / "clip.mp4", max_retries=1)
        assert len(content_records(emu)) == 2
        assert os.listdir(tmp_path) == []


async def test_a_redirected_download_follows_the_signed_url(tmp_path: Path) -> None:
    """With redirect_content the 302 to a signed URL is followed and the file is exact."""
    async with running(redirect_content=True) as (emu, client):
        video = await finished(client)
        path = await client.videos.download(video.id, tmp_path, variant="spritesheet")
        assert path.read_bytes() == await emu.asset_bytes(video.id, "spritesheet")
        assert [r.status for r in content_records(emu)] == [302]
        assert emu.count("GET", route="/_emulator/signed/{video_id}/{variant}", status=200) == 1


async def test_expired_content_raises_video_expired_error(tmp_path: Path) -> None:
    """Content past expires_at is a VideoExpiredError (not a bare 404); no file is written."""
    async with running(asset_ttl=0) as (emu, client):
        video = await finished(client)
        with pytest.raises(videoclient.VideoExpiredError, match="expired"):
            await client.videos.download(video.id, tmp_path)
        with pytest.raises(videoclient.VideoExpiredError):
            async with client.videos.stream_content(video.id):
                pass
        assert os.listdir(tmp_path) == []
        assert [r.status for r in content_records(emu)] == [404, 404]


async def test_a_wrong_size_reference_never_reaches_the_emulator() -> None:
    """The size check happens before the upload: the emulator sees no create."""
    async with running() as (emu, client):
        with pytest.raises(ValueError, match="match the requested width and height"):
            await client.videos.create(prompt="p", size="64x64", input_reference=png(64, 32))
        assert emu.count("POST", "/v1/videos") == 0


async def test_fit_resizes_the_reference_so_the_emulator_accepts_it() -> None:
    """fit='cover' turns a 96x40 image into 64x64; the job is created and completes."""
    async with running() as (emu, client):
        progress: list[tuple[int, int]] = []
        video = await finished(
            client,
            input_reference=("ref.png", png(96, 40)),
            fit="cover",
            on_upload_progress=lambda d, t: progress.append((d, t)),
        )
        assert video.status == "completed"
        assert emu.jobs_created == 1
        assert progress and progress[-1][0] == progress[-1][1]


async def test_an_upload_progress_error_stops_the_create_without_a_retry() -> None:
    """The callback's exception ends the upload as itself: one attempt at most, no job made."""

    class Stop(Exception):
        pass

    def progress(done: int, total: int) -> None:
        raise Stop("cancelled by the user")

    async with running() as (emu, client):
        with pytest.raises(Stop):
            await client.videos.create(
                prompt="p", size="64x64", input_reference=png(64, 64), on_upload_progress=progress
            )
        assert emu.count("POST", "/v1/videos") <= 1
        assert emu.jobs_created == 0
