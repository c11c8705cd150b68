"""generate(): create, wait and download in one call, against the real emulator."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

import videoclient
from videoclient import AsyncVideoClient
from videoclient.emulator import Emulator, EmulatorConfig

KEY = "sk-generate-test"


@pytest.fixture
async def emu() -> AsyncIterator[Emulator]:
    async with Emulator(EmulatorConfig(render_seconds=0.3, api_key=KEY, poll_after_min_ms=20)) as e:
        yield e


@pytest.fixture
async def client(emu: Emulator) -> AsyncIterator[AsyncVideoClient]:
    async with AsyncVideoClient(KEY, base_url=emu.base_url) as c:
        yield c


async def test_generate_to_a_file(client: AsyncVideoClient, emu: Emulator, tmp_path: Path) -> None:
    """One call makes the job and writes its MP4, byte-identical to the emulator's asset."""
    seen: list[str] = []
    result = await client.videos.generate(
        "a lighthouse",
        output=tmp_path / "out.mp4",
        size="64x64",
        on_progress=lambda v: seen.append(v.status),
    )
    assert result.video.status == "completed" and result.path == tmp_path / "out.mp4"
    assert result.path.read_bytes() == await emu.asset_bytes(result.video.id)
    assert seen[0] in videoclient.PENDING_STATUSES and seen[-1] == "completed"
    assert emu.jobs_created == 1


async def test_generate_several_variants_into_a_directory(
    client: AsyncVideoClient, tmp_path: Path
) -> None:
    """Several variants go into a directory, named for the video, each a real file of its type."""
    result = await client.videos.generate(
        "a fox", output=tmp_path, size="64x64", variants=("video", "thumbnail", "spritesheet")
    )
    vid = result.video.id
    assert {p.name for p in result.files.values()} == {f"{vid}.mp4", f"{vid}.webp", f"{vid}.jpg"}
    assert result.files["thumbnail"].read_bytes()[8:12] == b"WEBP"
    assert result.files["spritesheet"].read_bytes()[:3] == b"\xff\xd8\xff"
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        p.name for p in result.files.values()
    )


async def test_generate_raises_when_the_job_fails(client: AsyncVideoClient, tmp_path: Path) -> None:
    """A failed job raises VideoFailedError with its id and error code; no file is written."""
    with pytest.raises(videoclient.VideoFailedError) as info:
        await client.videos.generate(
            "doomed [emulator:fail]", output=tmp_path / "x.mp4", size="64x64"
        )
    err = info.value
    assert err.video_id.startswith("video_") and err.code and err.video.status == "failed"
    assert list(tmp_path.iterdir()) == []


async def test_generate_checks_the_output_before_paying(
    client: AsyncVideoClient, emu: Emulator, tmp_path: Path
) -> None:
    """An existing output file (or a missing directory) fails before any job is created."""
    existing = tmp_path / "taken.mp4"
    existing.write_bytes(b"mine")
    with pytest.raises(FileExistsError):
        await client.videos.generate("p", output=existing)
    with pytest.raises(NotADirectoryError):
        await client.videos.generate("p", output=tmp_path / "nope", variants=("video", "thumbnail"))
    with pytest.raises(ValueError, match="variant"):
        await client.videos.generate("p", output=tmp_path / "a.mp4", variants=("poster",))
    with pytest.raises(FileNotFoundError, match="output directory does not exist"):
        await client.videos.generate("p", output=f"{tmp_path}/missing/")  # not a file "missing"
    assert emu.count(method="POST") == 0 and existing.read_bytes() == b"mine"
    assert not (tmp_path / "missing").exists()


async def test_download_failure_does_not_recreate_the_job(emu: Emulator, tmp_path: Path) -> None:
    """When every download attempt fails, the error propagates and the job was created once."""
    async with Emulator(
        EmulatorConfig(
            render_seconds=0.2,
            api_key=KEY,
            fault_rate=1.0,
            fault_kinds=frozenset({"truncated"}),
            seed=1,
        )
    ) as broken:
        async with AsyncVideoClient(KEY, base_url=broken.base_url, max_retries=1) as c:
            with pytest.raises(videoclient.APIError):
                await c.videos.generate(
                    "p", output=tmp_path / "x.mp4", size="64x64", poll_interval=0.05
                )
        assert broken.jobs_created == 1
    assert list(tmp_path.iterdir()) == []
