"""run_batch against the real emulator (and a canned server for 429s): resumable, never twice."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from fakeclock import TestClock

import videoclient.batch as batch
from videoclient import AsyncVideoClient, Video
from videoclient.batch import BatchEvent, BatchInputError, BatchRequest, JournalError, run_batch
from videoclient.batch import _journal as jr
from videoclient.emulator import FAIL_TRIGGER, SLOW_TRIGGER, Emulator, EmulatorConfig

KEY = "sk-batch-test"
FAST: dict[str, Any] = {"poll_interval": 0.05}


@pytest.fixture(autouse=True)
def no_backoff(retry_clock: TestClock) -> list[float]:
    """Every back-off (the batch's own and the client's) is recorded, not slept."""
    return retry_clock.retries


@pytest.fixture
async def emu() -> AsyncIterator[Emulator]:
    async with Emulator(EmulatorConfig(render_seconds=0.2, api_key=KEY)) as e:
        yield e


@pytest.fixture
async def client(emu: Emulator) -> AsyncIterator[AsyncVideoClient]:
    async with AsyncVideoClient(KEY, base_url=emu.base_url) as c:
        yield c


def prompts(n: int) -> list[dict[str, Any]]:
    return [{"prompt": f"scene {i}", "size": "64x64"} for i in range(n)]


def creates(emu: Emulator) -> int:
    return emu.count("POST", "/v1/videos")


async def test_every_line_completes_once(
    client: AsyncVideoClient, emu: Emulator, tmp_path: Path
) -> None:
    """Each line makes one job, sent with the key its journal row holds; outputs equal the assets."""
    summary = await run_batch(client, prompts(6), out_dir=tmp_path, concurrency=3, **FAST)
    assert summary.counts() == {"completed": 6, "failed": 0, "skipped": 0} and summary.ok
    assert emu.jobs_created == 6 == creates(emu)
    for result in summary.completed:
        assert result.output.read_bytes() == await emu.asset_bytes(result.video_id or "", "video")
    with jr.Journal(summary.journal) as journal:
        rows = journal.rows()
    sent = {r.headers["idempotency-key"] for r in emu.request_log.filter("POST", "/v1/videos")}
    assert sent == {r.idempotency_key for r in rows}
    assert all(r.status == jr.COMPLETED and r.creates == 1 for r in rows)
    assert summary.journal == tmp_path / batch.DEFAULT_JOURNAL_NAME


async def test_rerun_skips_everything_and_sends_nothing(
    client: AsyncVideoClient, emu: Emulator, tmp_path: Path
) -> None:
    """A second run of a finished batch skips every line without a request."""
    await run_batch(client, prompts(3), out_dir=tmp_path, **FAST)
    before = len(emu.request_log)
    again = await run_batch(client, prompts(3), out_dir=tmp_path, **FAST)
    assert again.counts() == {"completed": 0, "failed": 0, "skipped": 3}
    assert len(emu.request_log) == before and len(again.outputs) == 3


async def test_lost_create_is_answered_with_the_first_job(
    client: AsyncVideoClient, emu: Emulator, tmp_path: Path
) -> None:
    """A line stopped after its create was sent resends the committed key: no second job."""
    request = BatchRequest(prompt="a kite", size="64x64")
    journal = tmp_path / "j.sqlite"
    with jr.Journal(journal) as store:
        row = jr.begin_create(
            jr.new_row(f"{request.fingerprint()}-1", 1, request.canonical(), "k.mp4")
        )
        store.save(row)
    first = await client.videos.create(
        prompt="a kite", size="64x64", idempotency_key=row.idempotency_key or ""
    )
    summary = await run_batch(client, [request], out_dir=tmp_path, journal=journal, **FAST)
    assert summary.completed[0].video_id == first.id
    assert emu.jobs_created == 1 and creates(emu) == 2
    assert (tmp_path / "k.mp4").exists()


async def journalled_fox(
    client: AsyncVideoClient, tmp_path: Path, *, finished: bool
) -> tuple[Video, BatchRequest, Path]:
    """A made job and a journal whose one line (``fox.mp4``) already has it.

    The line is waiting for the job, or (``finished``) about to download it.
    """
    video = await client.videos.create_and_poll(prompt="a fox", size="64x64", poll_interval=0.05)
    request = BatchRequest(prompt="a fox", size="64x64")
    journal = tmp_path / "j.sqlite"
    with jr.Journal(journal) as store:
        row = jr.created(
            jr.begin_create(jr.new_row(f"{request.fingerprint()}-1", 1, "{}", "fox.mp4")), video.id
        )
        store.save(jr.job_finished(row) if finished else row)
    return video, request, journal


@pytest.mark.parametrize(
    ("status", "retrieves"),
    [
        pytest.param(jr.WAITING, True, id="resumes-waiting"),
        pytest.param(jr.DOWNLOADING, False, id="resumes-downloading"),
    ],
)
async def test_resume_waiting_and_downloading_sends_no_create(
    client: AsyncVideoClient, emu: Emulator, tmp_path: Path, status: str, retrieves: bool
) -> None:
    """A line that already has a job only waits for it and/or downloads it."""
    video, request, journal = await journalled_fox(client, tmp_path, finished=status != jr.WAITING)
    before = creates(emu)
    polls_before = emu.count("GET", f"/v1/videos/{video.id}")
    summary = await run_batch(client, [request], out_dir=tmp_path, journal=journal, **FAST)
    assert summary.completed[0].video_id == video.id and creates(emu) == before
    assert (emu.count("GET", f"/v1/videos/{video.id}") > polls_before) is retrieves
    assert (tmp_path / "fox.mp4").read_bytes() == await emu.asset_bytes(video.id)


async def test_a_rerun_removes_temp_files_a_killed_download_left(
    client: AsyncVideoClient, emu: Emulator, tmp_path: Path
) -> None:
    """A line stopped mid-download (SIGKILL) left a .part file: the rerun removes it."""
    video, request, journal = await journalled_fox(client, tmp_path, finished=True)
    stale = tmp_path / ".fox.mp4.0badc0de.part"
    stale.write_bytes(b"half a video")
    others = [tmp_path / ".fox.mp4.notours.part", tmp_path / ".other.mp4.0badc0de.part"]
    for other in others:
        other.write_bytes(b"someone else's")
    summary = await run_batch(client, [request], out_dir=tmp_path, journal=journal, **FAST)
    assert summary.completed[0].video_id == video.id
    assert not stale.exists() and all(other.exists() for other in others)
    assert (tmp_path / "fox.mp4").read_bytes() == await emu.asset_bytes(video.id)


async def test_only_failed_lines_are_retried(
    client: AsyncVideoClient, emu: Emulator, tmp_path: Path
) -> None:
    """A failed job fails its line (others complete); a rerun makes a new job for it alone."""
    items = [*prompts(3), {"prompt": f"doomed {FAIL_TRIGGER}", "size": "64x64"}]
    first = await run_batch(client, items, out_dir=tmp_path, **FAST)
    assert first.counts() == {"completed": 3, "failed": 1, "skipped": 0} and not first.ok
    (failure,) = first.failed
    assert failure.line == 4 and failure.video_id and "moderation" in (failure.error or "")
    second = await run_batch(client, items, out_dir=tmp_path, **FAST)
    assert second.counts() == {"completed": 0, "failed": 1, "skipped": 3}
    assert creates(emu) == 5 and second.failed[0].video_id != failure.video_id


async def test_concurrency_bounds_lines_in_flight(client: AsyncVideoClient, tmp_path: Path) -> None:
    """No more than `concurrency` lines are between create and done at any moment."""
    active: set[int] = set()
    peak = 0

    def watch(event: BatchEvent) -> None:
        nonlocal peak
        if event.status in (jr.COMPLETED, jr.FAILED, batch.SKIPPED):
            active.discard(event.line)
        else:
            active.add(event.line)
        peak = max(peak, len(active))

    summary = await run_batch(
        client, prompts(7), out_dir=tmp_path, concurrency=2, on_event=watch, **FAST
    )
    assert summary.ok and peak == 2


async def test_events_report_job_and_download_progress(
    client: AsyncVideoClient, tmp_path: Path
) -> None:
    """on_event sees each status in order, job progress, and downloaded bytes."""
    events: list[BatchEvent] = []
    await run_batch(client, prompts(1), out_dir=tmp_path, on_event=events.append, **FAST)
    statuses = [e.status for e in events]
    order = [jr.CREATING, jr.WAITING, jr.DOWNLOADING, jr.COMPLETED]
    assert [s for i, s in enumerate(statuses) if i == 0 or s != statuses[i - 1]] == order
    assert any(e.progress is not None for e in events)
    done = [e for e in events if e.bytes_done]
    assert done and done[-1].bytes_done == done[-1].bytes_total == done[-1].output.stat().st_size


async def test_duplicate_prompts_are_distinct_lines(
    client: AsyncVideoClient, emu: Emulator, tmp_path: Path
) -> None:
    """The same request twice is two lines, two jobs and two files."""
    summary = await run_batch(client, ["same", "same"], out_dir=tmp_path, **FAST)
    assert summary.counts()["completed"] == 2 and emu.jobs_created == 2
    assert len({r.output for r in summary.results}) == 2


@pytest.mark.parametrize(
    ("overwrite", "status"),
    [pytest.param(False, "skipped", id="kept"), pytest.param(True, "completed", id="overwritten")],
)
async def test_existing_foreign_output(
    client: AsyncVideoClient, tmp_path: Path, overwrite: bool, status: str
) -> None:
    """A file already at a new line's output is skipped, or replaced with overwrite=True."""
    (tmp_path / "mine.mp4").write_bytes(b"precious")
    summary = await run_batch(
        client,
        [{"prompt": "x", "size": "64x64", "name": "mine"}],
        out_dir=tmp_path,
        overwrite=overwrite,
        **FAST,
    )
    assert summary.results[0].status == status
    assert ((tmp_path / "mine.mp4").read_bytes() == b"precious") is not overwrite


async def test_an_edited_line_is_not_skipped_over_its_old_video(
    client: AsyncVideoClient, emu: Emulator, tmp_path: Path
) -> None:
    """A line edited after its video was made fails naming the old video, unless overwrite."""
    prompt = "a paper boat sailing on a rainy street at dusk"
    first = await run_batch(client, [{"prompt": prompt, "size": "64x64"}], out_dir=tmp_path, **FAST)
    (done,) = first.completed
    old_bytes = done.output.read_bytes()
    edited = [{"prompt": prompt + " in winter", "size": "64x64"}]  # same first six words
    again = await run_batch(client, edited, out_dir=tmp_path, **FAST)
    (line,) = again.failed
    assert line.output == done.output and line.output.read_bytes() == old_bytes
    assert line.error is not None and done.video_id in line.error and "overwrite" in line.error
    assert emu.count("POST", "/v1/videos") == 1
    replaced = await run_batch(client, edited, out_dir=tmp_path, overwrite=True, **FAST)
    (new,) = replaced.completed
    assert new.output == done.output and new.video_id != done.video_id
    assert emu.count("POST", "/v1/videos") == 2


async def test_wait_timeout_fails_the_line_but_keeps_its_job(
    client: AsyncVideoClient, emu: Emulator, tmp_path: Path
) -> None:
    """A wait past wait_timeout fails the line; the rerun waits for the same job."""
    items = [{"prompt": f"slow {SLOW_TRIGGER}", "size": "64x64"}]
    first = await run_batch(client, items, out_dir=tmp_path, wait_timeout=0.1, **FAST)
    assert first.failed and "still pending" in (first.failed[0].error or "")
    second = await run_batch(client, items, out_dir=tmp_path, **FAST)
    assert second.completed[0].video_id == first.failed[0].video_id and emu.jobs_created == 1


async def test_transient_faults_never_duplicate_jobs(sleeps: list[float], tmp_path: Path) -> None:
    """Through seeded 5xx, resets and lost responses, each line still makes exactly one job."""
    config = EmulatorConfig(render_seconds=0.1, api_key=KEY, fault_rate=0.25, seed=3)
    async with (
        Emulator(config) as faulty,
        AsyncVideoClient(KEY, base_url=faulty.base_url, max_retries=6) as c,
    ):
        summary = await run_batch(c, prompts(8), out_dir=tmp_path, concurrency=4, retries=4, **FAST)
        assert summary.ok and faulty.jobs_created == 8
        assert sum(faulty.faults_injected.values()) > 0


async def test_journal_in_use_is_refused_before_any_request(
    client: AsyncVideoClient, emu: Emulator, tmp_path: Path
) -> None:
    """A journal held by another run raises JournalError and sends nothing."""
    with jr.Journal(tmp_path / batch.DEFAULT_JOURNAL_NAME), pytest.raises(JournalError):
        await run_batch(client, prompts(2), out_dir=tmp_path)
    assert len(emu.request_log) == 0


async def test_bad_requests_fail_before_anything(
    client: AsyncVideoClient, emu: Emulator, tmp_path: Path
) -> None:
    """Malformed requests and clashing names are ValueErrors before any request or file."""
    with pytest.raises(ValueError, match="request 2"):
        await run_batch(client, ["ok", {"prompt": ""}], out_dir=tmp_path / "a")
    with pytest.raises(ValueError, match="both write"):
        await run_batch(
            client,
            [{"prompt": "a", "name": "x"}, {"prompt": "b", "name": "x"}],
            out_dir=tmp_path / "b",
        )
    with pytest.raises(ValueError, match="concurrency"):
        await run_batch(client, ["ok"], out_dir=tmp_path / "c", concurrency=0)
    assert (
        len(emu.request_log) == 0
        and not (tmp_path / "a").exists()
        and not (tmp_path / "c").exists()
    )


@pytest.mark.parametrize(
    "name", ["videoclient-journal.sqlite", "./videoclient-journal.sqlite-wal", "own.db.lock"]
)
async def test_a_line_may_not_write_the_journal(
    client: AsyncVideoClient, emu: Emulator, tmp_path: Path, name: str
) -> None:
    """A line whose output is the journal (or one of its files) is refused before any request."""
    journal = tmp_path / ("own.db" if name.startswith("own") else batch.DEFAULT_JOURNAL_NAME)
    with pytest.raises(ValueError, match="the batch's journal"):
        await run_batch(client, [{"prompt": "a", "name": name}], out_dir=tmp_path, journal=journal)
    assert len(emu.request_log) == 0


async def test_unreadable_reference_refuses_the_batch_before_sending(
    client: AsyncVideoClient, emu: Any, tmp_path: Path
) -> None:
    """A missing input_reference file is found by the client's checks before anything is sent."""
    items = [
        *prompts(2),
        {"prompt": "ref", "size": "64x64", "input_reference": str(tmp_path / "nope.png")},
    ]
    with pytest.raises(BatchInputError) as caught:
        await run_batch(client, items, out_dir=tmp_path / "out", **FAST)
    (problem,) = caught.value.problems
    assert (problem.where, problem.field) == ("request 3", "input_reference")
    assert "nope.png" in problem.reason and len(emu.request_log) == 0
    assert not (tmp_path / "out").exists()


VIDEO = {"id": "video_1", "object": "video", "status": "queued", "created_at": 1700000000}


async def test_rate_limit_halves_concurrency_and_retries_with_the_same_key(
    canned: Any, no_backoff: list[float], tmp_path: Path
) -> None:
    """429s past the client's retries lower the concurrency; the line retries with its one key."""
    limited = {"error": {"message": "slow down", "type": "requests", "code": "rate_limit_exceeded"}}
    for _ in range(3):  # the first call and its two retries
        canned.answer(
            "POST", "/v1/videos", limited, status=429, headers={"retry-after-ms": "7"}, repeat=False
        )
    canned.answer("POST", "/v1/videos", VIDEO)
    canned.answer("GET", "/v1/videos/video_1", {**VIDEO, "status": "completed", "progress": 100})
    canned.answer(
        "GET",
        "/v1/videos/video_1/content",
        b"\x00\x00\x00\x18ftypmp42",
        headers={"Content-Type": "video/mp4"},
    )
    events: list[BatchEvent] = []
    async with AsyncVideoClient("sk-x", base_url=canned.base_url) as c:
        summary = await run_batch(
            c, ["one"], out_dir=tmp_path, concurrency=4, on_event=events.append
        )
    assert summary.ok and (tmp_path / "0001-one.mp4").read_bytes().endswith(b"ftypmp42")
    posts = [r for r in canned.requests if r["method"] == "POST"]
    assert len(posts) == 4 and len({r["headers"]["Idempotency-Key"] for r in posts}) == 1
    assert 0.007 in no_backoff
    assert min(e.concurrency or 9 for e in events) == 2


async def test_reference_image_with_fit(
    client: AsyncVideoClient, emu: Emulator, tmp_path: Path
) -> None:
    """A line with a reference image of another size and fit="contain" completes."""
    from PIL import Image

    Image.new("RGB", (30, 50), (10, 120, 200)).save(tmp_path / "ref.png")
    (tmp_path / "p.jsonl").write_text(
        '{"prompt": "from a photo", "size": "64x64", "input_reference": "ref.png", "fit": "contain"}\n'
    )
    summary = await run_batch(
        client, batch.read_requests(tmp_path / "p.jsonl"), out_dir=tmp_path / "o", **FAST
    )
    assert summary.ok and emu.jobs_created == 1


async def test_an_error_stops_the_run_as_itself_and_the_rerun_resumes(
    client: AsyncVideoClient, emu: Emulator, tmp_path: Path
) -> None:
    """An exception from on_event stops the run as that exception (no group); a rerun finishes, no duplicates."""

    def explode(event: BatchEvent) -> None:
        if event.status == jr.WAITING:
            raise RuntimeError("observer broke")

    with pytest.raises(RuntimeError, match="observer broke"):
        await run_batch(
            client, prompts(4), out_dir=tmp_path, concurrency=2, on_event=explode, **FAST
        )
    summary = await run_batch(client, prompts(4), out_dir=tmp_path, **FAST)
    assert summary.counts()["failed"] == 0 and len(summary.outputs) == 4
    assert emu.jobs_created == 4
