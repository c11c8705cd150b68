"""--data-dir: jobs, characters, idempotency keys and assets survive a restart."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import aiohttp

from .conftest import Api, FakeClock, StartEmulator, mp4_bytes


async def test_jobs_and_assets_survive_a_restart(
    start_emulator: StartEmulator, make_api: Any, clock: FakeClock, tmp_path: Path
) -> None:
    """After a restart on the same data_dir, jobs, content bytes and characters are still there."""
    first = await start_emulator(clock=clock, data_dir=tmp_path)
    api: Api = make_api(first)
    done = await api.create(prompt="kept")
    gone = await api.create(prompt="deleted")
    clock.advance(20)
    pending = await api(
        "POST", "/videos", json={"prompt": "later"}, headers={"Idempotency-Key": "k"}
    )
    content = (await api("GET", f"/videos/{done['id']}/content")).body
    await api("DELETE", f"/videos/{gone['id']}")
    form = aiohttp.FormData()
    form.add_field("video", mp4_bytes(64, 64, 1), filename="c.mp4", content_type="video/mp4")
    form.add_field("name", "Kept")
    character = (await api("POST", "/videos/characters", data=form)).body
    before = await api.get(done["id"])
    await first.stop()

    second = await start_emulator(clock=clock, data_dir=tmp_path)
    api = make_api(second)
    assert await api.get(done["id"]) == before
    assert (await api("GET", f"/videos/{done['id']}/content")).body == content
    assert second.renders == {}  # served from disk, not rendered again
    assert (await api("GET", f"/videos/{gone['id']}")).status == 404
    got = await api("GET", f"/videos/characters/{character['id']}")
    assert got.body == character
    listed = await api("GET", "/videos", params={"order": "asc"})
    assert [v["id"] for v in listed.body["data"]] == [done["id"], pending.body["id"]]
    replay = await api(
        "POST", "/videos", json={"prompt": "later"}, headers={"Idempotency-Key": "k"}
    )
    assert replay.body["id"] == pending.body["id"] and second.jobs_created == 0
    clock.advance(20)
    assert (await api.get(pending.body["id"]))["status"] == "completed"
    fresh = await api.create()
    assert fresh["id"] not in {done["id"], gone["id"], pending.body["id"]}


async def test_a_torn_journal_line_is_skipped(
    start_emulator: StartEmulator, make_api: Any, clock: FakeClock, tmp_path: Path
) -> None:
    """A half-written last line (a crash) is ignored on load; earlier jobs survive."""
    first = await start_emulator(clock=clock, data_dir=tmp_path)
    video = await make_api(first).create()
    await first.stop()
    with (tmp_path / "jobs.jsonl").open("a", encoding="utf-8") as f:
        f.write('{"kind": "job", "value": {"id": "video_tor')
    second = await start_emulator(clock=clock, data_dir=tmp_path)
    assert (await make_api(second).get(video["id"]))["prompt"] == video["prompt"]
