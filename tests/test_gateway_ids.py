"""Waiting behind a gateway that re-stamps ids: every entry point ends each job once, by its handle.

The emulator's ``restamp-ids`` quirk answers every retrieve with a new id for the job (as a
LiteLLM proxy does for a second model group); ``refuse-list`` makes many-job waits poll each
job (as LiteLLM has no list route for a deployment).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from fakeclock import TestClock

from videoclient import AsyncVideoClient, Video, VideoClient
from videoclient._sansio.models import handle_of
from videoclient._sansio.wire import unstructure
from videoclient.batch import _journal as jr
from videoclient.batch import run_batch
from videoclient.cli._app import cli
from videoclient.emulator import Emulator, EmulatorConfig, EmulatorThread

KEY = "sk-gateway-ids"
FAST = 0.05
#: LiteLLM in front of a second model group: new ids on retrieve, and no list route.
LITELLM = "restamp-ids,refuse-list"
QUIRKS = [pytest.param("restamp-ids", id="listable"), pytest.param(LITELLM, id="no-list")]
JOB: dict[str, Any] = {"prompt": "a lantern on a lake", "size": "64x64", "seconds": 1}


def config(quirks: str) -> EmulatorConfig:
    return EmulatorConfig(render_seconds=0.2, api_key=KEY, gateway_quirks=quirks)


@pytest.fixture(params=QUIRKS)
async def emu(request: pytest.FixtureRequest) -> AsyncIterator[Emulator]:
    async with Emulator(config(request.param)) as e:
        yield e


@pytest.fixture
async def client(emu: Emulator) -> AsyncIterator[AsyncVideoClient]:
    async with AsyncVideoClient(KEY, base_url=emu.base_url) as c:
        yield c


@pytest.fixture
def emu_thread() -> Iterator[EmulatorThread]:
    with Emulator(config(LITELLM)).in_thread() as e:
        yield e


def retrieved_paths(emu: Emulator | EmulatorThread) -> set[str]:
    return {r.path for r in emu.request_log.filter("GET", route="/videos/{video_id}")}


# -- pure --------------------------------------------------------------------------------------


def test_handle_of_prefers_the_requested_id() -> None:
    """A Video is known by the id it was asked for when the answer named another."""
    assert handle_of(Video(id="video_new", status="queued", requested_id="video_a")) == "video_a"
    assert handle_of(Video(id="video_a", status="queued")) == "video_a"


def test_requested_id_is_not_on_the_wire_nor_in_equality() -> None:
    """requested_id is the client's note: never serialised, ignored by ==."""
    video = Video(id="video_b", status="completed", requested_id="video_a")
    assert "requested_id" not in unstructure(video)
    assert video == Video(id="video_b", status="completed")


def test_journal_keeps_the_answered_id_beside_the_handle() -> None:
    """job_finished records a different answered id; the same id, or none, records nothing."""
    row = jr.created(jr.new_row("k", 1, "{}", "out.mp4"), "video_a")
    assert jr.job_finished(row, answered_id="video_b").answered_id == "video_b"
    assert jr.job_finished(row, answered_id="video_a").answered_id is None
    assert jr.job_finished(row).answered_id is None
    lost = jr.failed(jr.job_finished(row, answered_id="video_b"), "gone", job_lost=True)
    assert lost.answered_id is None and lost.video_id is None


def test_a_journal_written_before_answered_id_opens_and_gains_it(tmp_path: Path) -> None:
    """A schema-1 journal without the answered_id column is read, then written, as before."""
    path = tmp_path / "old.sqlite"
    db = sqlite3.connect(path)
    db.executescript(
        """
        CREATE TABLE meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
        INSERT INTO meta VALUES ('schema', '1');
        CREATE TABLE lines (key TEXT PRIMARY KEY, line INTEGER NOT NULL, request TEXT NOT NULL,
            output TEXT NOT NULL, status TEXT NOT NULL, idempotency_key TEXT, video_id TEXT,
            error TEXT, creates INTEGER NOT NULL DEFAULT 0, updated_at REAL NOT NULL);
        INSERT INTO lines VALUES ('k', 1, '{}', 'a.mp4', 'waiting', 'key', 'video_a', NULL, 1, 0);
        """
    )
    db.commit()
    db.close()
    with jr.Journal(path) as journal:
        (row,) = journal.rows()
        assert (row.video_id, row.answered_id) == ("video_a", None)
        journal.save(jr.job_finished(row, answered_id="video_b"))
    with jr.Journal(path) as journal:
        again = journal.get("k")
    assert again is not None and (again.status, again.answered_id) == (jr.DOWNLOADING, "video_b")


# -- async entry points ------------------------------------------------------------------------


async def test_poll_ends_with_the_new_id_and_keeps_the_handle(
    client: AsyncVideoClient, emu: Emulator
) -> None:
    """poll finishes; the result has the server's new id and the handle as requested_id."""
    created = await client.videos.create(**JOB)
    done = await client.videos.poll(created.id, poll_interval=FAST)
    assert done.is_completed and done.id != created.id and done.requested_id == created.id
    assert retrieved_paths(emu) == {f"/v1/videos/{created.id}"}  # always polled by the handle
    again = await client.videos.poll(done)  # terminal: returned without a request
    assert again is done


async def test_as_completed_yields_each_job_once(client: AsyncVideoClient, emu: Emulator) -> None:
    """Three jobs whose ids change on every retrieve each come out once, by their handle."""
    ids = [(await client.videos.create(**JOB)).id for _ in range(3)]
    seen = [v async for v in client.videos.as_completed(ids, poll_interval=FAST)]
    assert sorted(handle_of(v) for v in seen) == sorted(ids)
    assert all(v.is_completed for v in seen)


async def test_wait_all_returns_every_job_in_input_order(
    client: AsyncVideoClient, emu: Emulator
) -> None:
    """wait_all matches results to the ids passed in: no KeyError, repeats repeat."""
    ids = [(await client.videos.create(**JOB)).id for _ in range(2)]
    finished = await client.videos.poll(ids[0], poll_interval=FAST)  # a Video re-stamped
    results = await client.videos.wait_all([finished, ids[1], ids[0]], poll_interval=FAST)
    assert [handle_of(v) for v in results] == [ids[0], ids[1], ids[0]]
    assert results[0] is finished and all(v.is_completed for v in results)
    assert results[1].id != ids[1] and results[1].requested_id == ids[1]


async def test_create_and_poll_and_generate_name_files_by_the_handle(
    client: AsyncVideoClient, emu: Emulator, tmp_path: Path
) -> None:
    """generate downloads the job it created, named by the created id, not a re-stamp."""
    made = await client.videos.generate(**JOB, output=tmp_path, poll_interval=FAST)
    handle = made.video.requested_id
    assert handle is not None and made.video.id != handle
    assert made.files["video"] == tmp_path / f"{handle}.mp4"
    assert made.files["video"].read_bytes() == await emu.asset_bytes(handle)


async def test_batch_finishes_each_line_and_journals_both_ids(
    client: AsyncVideoClient, emu: Emulator, tmp_path: Path, retry_clock: TestClock
) -> None:
    """Two lines finish once each; the journal holds the created id and the answered one."""
    lines = [{"prompt": f"scene {i}", "size": "64x64"} for i in range(2)]
    summary = await run_batch(client, lines, out_dir=tmp_path, poll_interval=FAST)
    assert summary.counts() == {"completed": 2, "failed": 0, "skipped": 0}
    with jr.Journal(summary.journal) as journal:
        rows = journal.rows()
    listed = "refuse-list" not in emu.config.gateway_quirks  # a listing shows the own id
    for row, result in zip(rows, summary.results, strict=True):
        assert row.video_id is not None
        assert (
            (row.answered_id is None) if listed else (row.answered_id not in (None, row.video_id))
        )
        assert (result.video_id, result.answered_id) == (row.video_id, row.answered_id)
        assert result.output.read_bytes() == await emu.asset_bytes(row.video_id)
    assert emu.jobs_created == 2
    # paced: each job finishes in 0.2 s; 0.05 s polls need a handful of retrieves each
    assert emu.count("GET", route="/videos/{video_id}") < 60
    assert emu.count("GET", route="/videos") < 30


# -- the blocking client and the command line --------------------------------------------------


def test_sync_poll_and_wait_all(emu_thread: EmulatorThread) -> None:
    """The blocking twin ends each job once, by the handle, behind the re-stamping gateway."""
    with VideoClient(KEY, base_url=emu_thread.base_url) as client:
        ids = [client.videos.create(**JOB).id for _ in range(2)]
        results = client.videos.wait_all(ids, poll_interval=FAST)
        assert [v.requested_id for v in results] == ids
        assert all(v.is_completed and v.id not in ids for v in results)
        one = client.videos.poll(ids[0], poll_interval=FAST)
        assert one.requested_id == ids[0] and one.id != results[0].id


def test_cli_wait_one_and_many(emu_thread: EmulatorThread) -> None:
    """`videoclient wait` ends with every job, listing the handle beside the new id."""
    env = {"OPENAI_API_KEY": KEY, "OPENAI_BASE_URL": emu_thread.base_url}
    with VideoClient(KEY, base_url=emu_thread.base_url) as client:
        ids = [client.videos.create(**JOB).id for _ in range(2)]
    many = CliRunner().invoke(cli, ["--json", "wait", *ids, "--poll-interval", "0.05"], env=env)
    assert many.exit_code == 0, many.output
    out = json.loads(many.stdout)
    assert [v["requested_id"] for v in out] == ids and all(v["id"] not in ids for v in out)
    one = CliRunner().invoke(cli, ["--json", "wait", ids[0], "--poll-interval", "0.05"], env=env)
    assert one.exit_code == 0, one.output
    assert json.loads(one.stdout)["requested_id"] == ids[0]


# -- a list route that answers 4xx ---------------------------------------------------------------


async def test_a_refused_listing_is_not_asked_again_by_that_client(tmp_path: Path) -> None:
    """After a 400 from the list, that client's many-job waits poll each job; another asks."""
    async with Emulator(config("refuse-list")) as emu:
        async with AsyncVideoClient(KEY, base_url=emu.base_url) as client:
            first = [(await client.videos.create(**JOB)).id for _ in range(2)]
            done = await client.videos.wait_all(first, poll_interval=FAST)
            assert [v.id for v in done] == first and all(v.is_completed for v in done)
            assert emu.count("GET", route="/videos") == 1
            later = [(await client.videos.create(**JOB)).id for _ in range(2)]
            seen = [v.id async for v in client.videos.as_completed(later, poll_interval=FAST)]
            assert sorted(seen) == sorted(later)
            assert emu.count("GET", route="/videos") == 1  # the session remembers
        async with AsyncVideoClient(KEY, base_url=emu.base_url) as other:
            await other.videos.wait_all(later, poll_interval=FAST)
        assert emu.count("GET", route="/videos") == 2  # a new client asks once itself
