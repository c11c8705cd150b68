"""download(fsync=...): durability is opt-in and the file is complete either way."""

from __future__ import annotations

from pathlib import Path

import pytest

from videoclient import AsyncVideoClient
from videoclient.emulator import Emulator, EmulatorConfig


async def test_fsync_only_when_asked(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """The temporary file is fsynced before the rename only with fsync=True; both files are exact."""
    import videoclient._client.transfers as transfers

    synced: list[int] = []
    real_fsync = transfers.os.fsync
    monkeypatch.setattr(transfers.os, "fsync", lambda fd: (synced.append(fd), real_fsync(fd))[1])
    async with (
        Emulator(EmulatorConfig(render_seconds=0.1, api_key="k")) as emu,
        AsyncVideoClient("k", base_url=emu.base_url) as c,
    ):
        video = await c.videos.create_and_poll(prompt="durable", size="64x64", seconds=1)
        plain = await c.videos.download(video, tmp_path / "plain.mp4")
        assert synced == []
        durable = await c.videos.download(video, tmp_path / "durable.mp4", fsync=True)
        assert len(synced) == 1
        expected = await emu.asset_bytes(video.id)
    assert plain.read_bytes() == expected == durable.read_bytes()
