"""The core client against the real emulator over loopback sockets: every operation end to end."""

from __future__ import annotations

import asyncio
import io
from collections.abc import AsyncIterator

import pytest
from fakeclock import TestClock

import videoclient
from videoclient import AsyncVideoClient, Video
from videoclient.emulator import Emulator, EmulatorConfig

KEY = "sk-emulator-test-key"


@pytest.fixture
async def emu() -> AsyncIterator[Emulator]:
    async with Emulator(EmulatorConfig(render_seconds=0.3, api_key=KEY)) as e:
        yield e


@pytest.fixture
async def client(emu: Emulator) -> AsyncIterator[AsyncVideoClient]:
    async with AsyncVideoClient(KEY, base_url=emu.base_url) as c:
        yield c


async def finish(client: AsyncVideoClient, video: Video) -> Video:
    """Wait for a job by plain retrieves (the polling API is tested on its own)."""
    for _ in range(400):
        if not video.is_pending:
            return video
        await asyncio.sleep(0.02)
        video = await client.videos.retrieve(video.id)
    raise AssertionError(f"{video.id} never finished")


async def test_create_retrieve_download_delete(client: AsyncVideoClient, emu: Emulator) -> None:
    """A job is created, completes, its MP4 downloads byte-identical, and it can be deleted."""
    video = await client.videos.create(prompt="a red kite", size="64x64", seconds=4)
    assert video.status in videoclient.PENDING_STATUSES and video.request_id
    done = await finish(client, video)
    assert done.status == "completed" and done.progress == 100 and done.completed_at
    data = await client.videos.download_content(done.id)
    assert data[4:8] == b"ftyp"
    assert data == await emu.asset_bytes(done.id, "video")
    thumb = await client.videos.download_content(done.id, variant="thumbnail")
    assert thumb[:4] == b"RIFF" and thumb[8:12] == b"WEBP"
    sprite = await client.videos.download_content(done.id, variant="spritesheet")
    assert sprite[:3] == b"\xff\xd8\xff"
    deleted = await client.videos.delete(done.id)
    assert deleted.deleted and deleted.id == done.id
    with pytest.raises(videoclient.NotFoundError):
        await client.videos.retrieve(done.id)


async def test_list_walks_all_jobs_both_orders(client: AsyncVideoClient) -> None:
    """list() pages through every job exactly once in either order."""
    made = [await client.videos.create(prompt=f"job {i}", size="64x64") for i in range(7)]
    ids = [v.id for v in made]
    desc = [v.id async for v in client.videos.list(limit=3, order="desc")]
    asc = [v.id async for v in client.videos.list(limit=2, order="asc")]
    assert desc == ids[::-1] and asc == ids
    pages = [p async for p in client.videos.list(limit=3).pages()]
    assert [len(p.data) for p in pages] == [3, 3, 1] and not pages[-1].has_more


async def test_remix_edit_extend_by_reference(client: AsyncVideoClient) -> None:
    """remix, edit ({'id'} and a Video) and extend work by reference; extend stitches seconds."""
    src = await finish(client, await client.videos.create(prompt="a boat", size="64x64", seconds=4))
    remix = await client.videos.remix(src.id, prompt="a boat at night")
    assert remix.remixed_from_video_id == src.id
    edit = await client.videos.edit(video={"id": src.id}, prompt="bluer")
    edit2 = await client.videos.edit(video=src, prompt="greener")
    ext = await finish(
        client, await client.videos.extend(video={"id": src.id}, prompt="more", seconds=4)
    )
    assert ext.seconds == "8"
    for job in (remix, edit, edit2):
        assert (await finish(client, job)).status == "completed"


async def test_edit_and_character_by_upload(client: AsyncVideoClient, emu: Emulator) -> None:
    """An uploaded MP4 (file object) works for edit and create_character."""
    src = await finish(client, await client.videos.create(prompt="a dancer", size="64x64"))
    mp4 = await emu.asset_bytes(src.id, "video")
    edited = await client.videos.edit(video=io.BytesIO(mp4), prompt="slower")
    assert (await finish(client, edited)).status == "completed"
    character = await client.videos.create_character(name="Dancer", video=("dancer.mp4", mp4))
    assert character.name == "Dancer" and character.id
    again = await client.videos.get_character(character.id)
    assert again.id == character.id


async def test_failed_job_carries_its_error(client: AsyncVideoClient) -> None:
    """The [emulator:fail] trigger ends the job failed with an error code and message."""
    done = await finish(
        client, await client.videos.create(prompt="x [emulator:fail]", size="64x64")
    )
    assert done.status == "failed" and done.error is not None
    assert done.error.code and done.error.message


async def test_wrong_key_and_unknown_id_errors(emu: Emulator) -> None:
    """A wrong key is AuthenticationError; an unknown id NotFoundError; content too early is refused."""
    async with AsyncVideoClient("sk-wrong", base_url=emu.base_url) as bad:
        with pytest.raises(videoclient.AuthenticationError) as info:
            await bad.videos.retrieve("video_x")
        assert "sk-wrong" not in str(info.value)
    async with AsyncVideoClient(KEY, base_url=emu.base_url) as c:
        with pytest.raises(videoclient.NotFoundError):
            await c.videos.retrieve("video_does_not_exist")
        job = await c.videos.create(prompt="slow [emulator:slow]", size="64x64")
        with pytest.raises(videoclient.ConflictError) as early:
            await c.videos.download_content(job.id)
        assert early.value.message and early.value.code
    # The state conflict says x-should-retry: false, so it was asked once, not retried.
    assert emu.count(path=f"/v1/videos/{job.id}/content") == 1


async def test_idempotency_key_returns_the_same_job(
    client: AsyncVideoClient, emu: Emulator
) -> None:
    """Two creates with one idempotency_key make one job at the emulator."""
    a = await client.videos.create(prompt="once", size="64x64", idempotency_key="line-1")
    b = await client.videos.create(prompt="once", size="64x64", idempotency_key="line-1")
    assert a.id == b.id and emu.jobs_created == 1


async def test_retries_through_faults_never_duplicate_jobs(fast_retries: TestClock) -> None:
    """With seeded transient faults (lost responses included), retried creates make one job each."""
    async with Emulator(
        EmulatorConfig(render_seconds=0.1, api_key=KEY, fault_rate=0.3, seed=7)
    ) as faulty:
        async with AsyncVideoClient(KEY, base_url=faulty.base_url, max_retries=8) as c:
            jobs = [await c.videos.create(prompt=f"chaos {i}", size="64x64") for i in range(12)]
        assert len({j.id for j in jobs}) == 12
        assert faulty.jobs_created == 12
        assert sum(faulty.faults_injected.values()) > 0
