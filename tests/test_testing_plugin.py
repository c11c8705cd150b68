"""The pytest plugin's client fixtures, as a user's test suite would use them."""

from __future__ import annotations

import pytest

from videoclient import AsyncVideoClient, VideoClient


@pytest.mark.videoclient_emulator(render_seconds=0.2)
async def test_async_client_fixture_talks_to_the_emulator(
    videoclient_async_client: AsyncVideoClient, videoclient_emulator: object
) -> None:
    """videoclient_async_client is bound to the plugin's emulator and completes a job there."""
    video = await videoclient_async_client.videos.create_and_poll(
        prompt="plugin", size="64x64", seconds=1
    )
    assert video.status == "completed"
    assert videoclient_emulator.jobs_created == 1  # type: ignore[attr-defined]


def test_sync_client_fixture_talks_to_the_emulator(
    videoclient_client: VideoClient, videoclient_emulator: object, tmp_path: object
) -> None:
    """videoclient_client is a sync client bound to the plugin's emulator."""
    video = videoclient_client.videos.create_and_poll(prompt="plugin sync", size="64x64", seconds=1)
    assert video.status == "completed"
    assert videoclient_emulator.count(method="POST", path="/v1/videos") == 1  # type: ignore[attr-defined]
