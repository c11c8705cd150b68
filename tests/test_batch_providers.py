"""Batch lines that name a provider: each runs on its provider's client, and a rerun resumes it."""

from __future__ import annotations

from contextlib import AsyncExitStack
from pathlib import Path

import pytest

from videoclient import AsyncVideoClient
from videoclient.batch import read_requests, run_batch
from videoclient.emulator import Emulator, EmulatorConfig

KEY = "batch-providers-key"


async def test_lines_run_on_their_providers_and_resume(tmp_path: Path) -> None:
    """OpenAI, Runway and Vertex lines in one batch; the rerun skips every finished line."""
    lines = tmp_path / "in.jsonl"
    lines.write_text(
        '{"prompt": "openai line", "size": "64x64", "seconds": 1}\n'
        '{"prompt": "runway line", "provider": "runway", "size": "1280x720", "seconds": 2}\n'
        '{"prompt": "vertex line", "provider": "vertex", "size": "1280x720", "seconds": 4}\n'
    )
    requests = read_requests(lines)
    assert [r.provider for r in requests] == [None, "runway", "vertex"]
    async with AsyncExitStack() as stack:
        emu = await stack.enter_async_context(
            Emulator(EmulatorConfig(render_seconds=0.3, api_key=KEY, fps=8))
        )
        openai = await stack.enter_async_context(AsyncVideoClient(KEY, base_url=emu.base_url))
        runway = await stack.enter_async_context(
            AsyncVideoClient.runway(KEY, base_url=emu.runway_base_url)
        )
        vertex = await stack.enter_async_context(AsyncVideoClient.vertex(KEY, base_url=emu.url))
        clients = {"runway": runway, "vertex": vertex}
        out = tmp_path / "out"
        summary = await run_batch(
            openai, requests, out_dir=out, clients=clients, poll_interval=0.05
        )
        assert summary.counts() == {"completed": 3, "failed": 0, "skipped": 0}
        assert all(r.output.read_bytes()[4:8] == b"ftyp" for r in summary.results)
        assert emu.count("POST", "/v1/text_to_video") == 1
        assert emu.count("POST", "/v1/videos") == 1
        created = emu.jobs_created
        again = await run_batch(openai, requests, out_dir=out, clients=clients)
        assert again.counts()["skipped"] == 3 and emu.jobs_created == created


async def test_a_provider_without_a_client_fails_before_anything_is_sent(tmp_path: Path) -> None:
    """A line naming a provider the batch has no client for: ValueError, nothing sent."""
    async with Emulator(EmulatorConfig(api_key=KEY)) as emu:
        async with AsyncVideoClient(KEY, base_url=emu.base_url) as client:
            with pytest.raises(ValueError, match="runway"):
                await run_batch(client, [{"prompt": "x", "provider": "runway"}], out_dir=tmp_path)
            with pytest.raises(ValueError, match="provider must be one of"):
                await run_batch(client, [{"prompt": "x", "provider": "luma"}], out_dir=tmp_path)
        assert emu.count() == 0
