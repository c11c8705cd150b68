"""Waiting against the real emulator over loopback: requests are counted and timed AT THE EMULATOR.

The emulator runs on its own thread (and loop), so this test's loop holds only the client's
tasks, and its request log gives each request's arrival time: the spacing of two polls must
be at least the hint the earlier answer carried (a lower bound, not a timing race).
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import math
import re
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import Any

import anyio
import pytest

import videoclient
from videoclient import AsyncVideoClient, Video, WaitTimeoutError
from videoclient._providers.openai import OpenAIProvider
from videoclient._providers.openai import hints as openai_hints
from videoclient._sansio import pacing as pacing
from videoclient.emulator import (
    FAIL_TRIGGER,
    SLOW_TRIGGER,
    Emulator,
    EmulatorConfig,
    EmulatorThread,
)

KEY = "sk-waiting-test"
#: Clock resolution slack when comparing two monotonic readings (the bound itself is exact).
EPS = 0.002

GET_ONE = "/videos/{video_id}"
LIST = "/videos"


@pytest.fixture
def emu_config(request: pytest.FixtureRequest) -> EmulatorConfig:
    """render_seconds 1.0 and a fixed 200 ms hint, unless the test's marker says otherwise."""
    fields: dict[str, Any] = {
        "api_key": KEY,
        "render_seconds": 1.0,
        "poll_after_min_ms": 200,
        "poll_after_max_ms": 200,
    }
    marker = request.node.get_closest_marker("videoclient_emulator")
    if marker is not None:
        fields.update(marker.kwargs)
    return EmulatorConfig(**fields)


@pytest.fixture
def emu(emu_config: EmulatorConfig) -> Iterator[EmulatorThread]:
    with Emulator(emu_config).in_thread() as e:
        yield e


@pytest.fixture
async def client(emu: EmulatorThread) -> AsyncIterator[AsyncVideoClient]:
    async with AsyncVideoClient(KEY, base_url=emu.base_url) as c:
        yield c


def requests_for(emu: EmulatorThread, video_id: str) -> list[Any]:
    return [r for r in emu.request_log if r.video_id == video_id]


def polls(emu: EmulatorThread, since: int = 0) -> list[Any]:
    """The GETs of jobs and listings received after the ``since``-th request."""
    return [
        r
        for r in emu.request_log.snapshot()[since:]
        if r.method == "GET" and r.route in (GET_ONE, LIST)
    ]


def acquired(client: AsyncVideoClient) -> int:
    """Connections the client's pool has checked out right now."""
    transport = client._transport
    if transport is None or transport._session is None:
        return 0
    return len(transport._session.connector._acquired)  # type: ignore[union-attr]


# -- one job ---------------------------------------------------------------------------------


async def test_requests_per_job_within_budget(
    emu: EmulatorThread, client: AsyncVideoClient
) -> None:
    """create_and_poll sends at most ceil(render / hint) + 2 requests, each >= hint apart."""
    done = await client.videos.create_and_poll(prompt="a kite", size="64x64", seconds=4)
    assert done.status == "completed" and done.progress == 100
    reqs = requests_for(emu, done.id)
    render, hint = emu.emulator.config.render_seconds, 0.2
    assert reqs[0].method == "POST"
    assert len(reqs) <= math.ceil(render / hint) + 2
    gaps = [b.time - a.time for a, b in itertools.pairwise(reqs)]
    assert min(gaps) >= hint - EPS


def spy_hints(monkeypatch: pytest.MonkeyPatch) -> list[float | None]:
    """Record every poll hint the client reads, in order."""
    hints: list[float | None] = []
    real = openai_hints.poll_after

    def spy(headers: Any) -> float | None:
        hint = real(headers)
        hints.append(hint)
        return hint

    monkeypatch.setattr(OpenAIProvider, "poll_hint", staticmethod(spy))
    return hints


@pytest.mark.videoclient_emulator(poll_after_min_ms=30, poll_after_max_ms=400)
async def test_each_poll_waits_the_latest_hint(
    emu: EmulatorThread, client: AsyncVideoClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With a hint that shrinks as the job nears its end, each gap is >= the previous answer's hint."""
    hints = spy_hints(monkeypatch)
    done = await client.videos.create_and_poll(prompt="a lighthouse", size="64x64", seconds=4)
    assert done.status == "completed"
    reqs = requests_for(emu, done.id)
    assert len(reqs) == len(hints)
    asked = [h for h in hints if h is not None]
    assert len(set(asked)) > 1, "the emulator's hint should vary over the job's life"
    for earlier, later, hint in zip(reqs, reqs[1:], hints, strict=False):
        assert hint is not None
        assert later.time - earlier.time >= hint - EPS


async def test_failing_job_is_returned_with_its_error(
    emu: EmulatorThread, client: AsyncVideoClient
) -> None:
    """A job that fails ends the wait: poll and create_and_poll return it with .error."""
    failed = await client.videos.create_and_poll(prompt=f"a storm {FAIL_TRIGGER}", size="64x64")
    assert failed.status == "failed"
    assert failed.error is not None and failed.error.code == "moderation_blocked"
    again = await client.videos.poll(failed.id)
    assert again.status == "failed" and again.error == failed.error
    assert len(requests_for(emu, failed.id)) <= math.ceil(1.0 / 0.2) + 3


async def test_progress_reports_reach_completion(
    emu: EmulatorThread, client: AsyncVideoClient
) -> None:
    """on_progress sees the new job first, then only changes, ending with the final state."""
    seen: list[Video] = []
    done = await client.videos.create_and_poll(
        prompt="a heron", size="64x64", on_progress=seen.append
    )
    assert seen[0].status == "queued" and seen[-1] == done
    pairs = [(v.status, v.progress) for v in seen]
    assert len(pairs) == len(set(pairs))
    assert all(v.id == done.id for v in seen)


async def test_deadline_raises_with_last_video(
    emu: EmulatorThread, client: AsyncVideoClient
) -> None:
    """A slow job outlives the deadline: WaitTimeoutError carries the job as last seen."""
    with pytest.raises(WaitTimeoutError) as info:
        await client.videos.create_and_poll(prompt=f"a glacier {SLOW_TRIGGER}", timeout=0.5)
    last = info.value.video
    assert last is not None and last.status in videoclient.PENDING_STATUSES
    assert emu.video(last.id).status in videoclient.PENDING_STATUSES
    assert acquired(client) == 0


# -- cancellation ----------------------------------------------------------------------------


@pytest.mark.videoclient_emulator(poll_after_min_ms=10, poll_after_max_ms=10, render_seconds=30)
async def test_cancel_scope_stops_at_once_and_leaks_nothing(
    emu: EmulatorThread, client: AsyncVideoClient
) -> None:
    """move_on_after around poll stops it, mid-sleep or mid-request, with no task or connection left."""
    video = await client.videos.create(prompt="a lantern", size="64x64")
    before = asyncio.all_tasks()
    for delay in (0.0, 0.003, 0.011, 0.017, 0.026, 0.043, 0.07):
        with anyio.move_on_after(delay) as scope:
            await client.videos.poll(video.id)
        assert scope.cancelled_caught
        assert asyncio.all_tasks() <= before
        assert acquired(client) == 0
    assert await client.videos.retrieve(video.id)  # the client still works


@pytest.mark.videoclient_emulator(poll_after_min_ms=10, poll_after_max_ms=10, render_seconds=30)
async def test_cancel_mid_request_returns_the_connection(
    emu: EmulatorThread, client: AsyncVideoClient
) -> None:
    """Cancelled while a poll's answer is outstanding (the emulator is stalled), nothing stays checked out."""
    video = await client.videos.create(prompt="a beacon", size="64x64")
    ids = [video.id, (await client.videos.create(prompt="a buoy", size="64x64")).id]
    before = asyncio.all_tasks()
    waits: list[Callable[[], Awaitable[object]]] = [
        lambda: client.videos.poll(video.id),
        lambda: client.videos.wait_all(ids),
    ]
    for wait in waits:
        stall = threading.Thread(target=emu.call, args=(lambda: time.sleep(0.4),))
        stall.start()
        try:
            await asyncio.sleep(0.05)  # the emulator's loop is now blocked
            with anyio.move_on_after(0.15) as scope:
                await wait()
            assert scope.cancelled_caught
            assert asyncio.all_tasks() <= before
            assert acquired(client) == 0
        finally:
            stall.join()


@pytest.mark.videoclient_emulator(poll_after_min_ms=10, poll_after_max_ms=10, render_seconds=30)
async def test_cancelling_the_task_leaks_nothing(
    emu: EmulatorThread, client: AsyncVideoClient
) -> None:
    """Cancelling the task awaiting poll or wait_all ends it with CancelledError and leaves nothing behind."""
    videos = [await client.videos.create(prompt=f"a lamp {i}", size="64x64") for i in range(3)]
    before = asyncio.all_tasks()
    for waiter in (
        client.videos.poll(videos[0]),
        client.videos.wait_all(videos, poll_interval=0.01),
        client.videos.wait_all([v.id for v in videos], poll_interval=0.01),
    ):
        task = asyncio.ensure_future(waiter)
        await asyncio.sleep(0.05)
        assert not task.done()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert asyncio.all_tasks() <= before
        assert acquired(client) == 0


# -- many jobs -------------------------------------------------------------------------------


@pytest.mark.videoclient_emulator(render_seconds=0.6)
async def test_as_completed_uses_a_tenth_of_per_job_polling(
    emu: EmulatorThread, client: AsyncVideoClient
) -> None:
    """300 jobs: as_completed's polls (counted at the emulator) are <= 1/10 of polling each job."""
    n = 300

    async def batch(tag: str) -> list[Video]:
        return list(
            await asyncio.gather(
                *(client.videos.create(prompt=f"{tag} {i}", size="64x64") for i in range(n))
            )
        )

    group = await batch("group")
    mark = len(emu.request_log)
    finished = [v async for v in client.videos.as_completed(group)]
    grouped = len(polls(emu, mark))
    assert sorted(v.id for v in finished) == sorted(v.id for v in group)
    assert {v.status for v in finished} == {"completed"}

    single = await batch("single")
    mark = len(emu.request_log)
    done = await asyncio.gather(*(client.videos.poll(v) for v in single))
    per_job = len(polls(emu, mark))
    assert {v.status for v in done} == {"completed"}
    assert grouped * 10 <= per_job, (grouped, per_job)


@pytest.mark.videoclient_emulator(render_seconds=0.8)
async def test_wait_all_mixed_outcomes_in_input_order(
    emu: EmulatorThread, client: AsyncVideoClient
) -> None:
    """wait_all returns completed and failed jobs in input order; rounds are >= the pace apart."""
    prompts = ["a fox", f"a wolf {FAIL_TRIGGER}", "a hare", f"an owl {FAIL_TRIGGER}", "a deer"]
    created = [await client.videos.create(prompt=p, size="64x64") for p in prompts]
    ids = [v.id for v in created]
    mark = len(emu.request_log)
    reported: list[str] = []
    done = await client.videos.wait_all(ids, on_progress=lambda v: reported.append(v.id))
    assert [v.id for v in done] == ids
    assert [v.status for v in done] == ["completed", "failed", "completed", "failed", "completed"]
    assert set(reported) == set(ids)
    rounds = polls(emu, mark)
    assert all(r.route == LIST for r in rounds)
    gaps = [b.time - a.time for a, b in itertools.pairwise(rounds)]
    assert all(g >= pacing.DEFAULT_INTERVAL - EPS for g in gaps)


@pytest.mark.videoclient_emulator(render_seconds=0.5)
async def test_as_completed_yields_each_job_once(
    emu: EmulatorThread, client: AsyncVideoClient
) -> None:
    """Each job is yielded exactly once, finished ones passed in first and without a request."""
    first = await client.videos.create_and_poll(prompt="a moth", size="64x64")
    pending = [await client.videos.create(prompt=f"a bee {i}", size="64x64") for i in range(3)]
    mark = len(emu.request_log)
    order = [
        v.id
        async for v in client.videos.as_completed(
            [first, *pending, pending[0].id], poll_interval=0.3
        )
    ]
    assert order[0] == first.id
    assert sorted(order) == sorted([first.id, *(v.id for v in pending)])
    assert all(r.video_id != first.id for r in emu.request_log.snapshot()[mark:])


# -- predicted ends --------------------------------------------------------------------------


@pytest.mark.videoclient_emulator(render_seconds=2.0, poll_after_min_ms=100, poll_after_max_ms=5000)
async def test_create_and_poll_skips_polls_progress_shows_too_early(
    emu: EmulatorThread, client: AsyncVideoClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Hints of a quarter of the work left: once progress predicts the end, the next poll is then.

    Following each hint down to 100 ms takes ~11 requests for a 2 s render; the prediction
    leaves the create and 3-4 polls. Every gap is still >= the hint the earlier answer asked.
    """
    hints = spy_hints(monkeypatch)
    done = await client.videos.create_and_poll(prompt="a comet", size="64x64")
    assert done.status == "completed"
    reqs = requests_for(emu, done.id)
    assert len(reqs) <= 6, [r.time - reqs[0].time for r in reqs]
    for earlier, later, hint in zip(reqs, reqs[1:], hints, strict=False):
        assert hint is not None
        assert later.time - earlier.time >= hint - EPS


@pytest.mark.videoclient_emulator(render_seconds=3.0)
async def test_as_completed_cuts_backoff_at_predicted_end(
    emu: EmulatorThread, client: AsyncVideoClient, caplog: pytest.LogCaptureFixture
) -> None:
    """Listings carry no hint: a round comes when progress predicts a job ends, not at 1-1.5-2.25 s."""
    created = [await client.videos.create(prompt=f"a gull {i}", size="64x64") for i in range(5)]
    mark = len(emu.request_log)
    with caplog.at_level(logging.DEBUG, logger="videoclient"):
        done = await client.videos.wait_all(created)
    assert {v.status for v in done} == {"completed"}
    waits = [
        float(w) for w in re.findall(r"waiting ([0-9.]+)s before polling 5 videos", caplog.text)
    ]
    backoff = [pacing.DEFAULT_INTERVAL * pacing.BACKOFF_FACTOR**i for i in range(len(waits))]
    assert any(w < b - 0.01 for w, b in zip(waits, backoff, strict=True)), waits
    rounds = polls(emu, mark)
    assert len(rounds) <= 8
    gaps = [b.time - a.time for a, b in itertools.pairwise(rounds)]
    assert all(g >= pacing.MIN_ROUND - EPS for g in gaps)


@pytest.mark.videoclient_emulator(
    render_seconds=1.0, poll_after_min_ms=1000, poll_after_max_ms=1000
)
async def test_as_completed_resumes_its_wait_when_each_step_is_cut_short(
    client: AsyncVideoClient,
) -> None:
    """A timeout around each ``__anext__`` (a keep-alive loop) resumes the paced wait where it
    stopped: the jobs still come out, instead of every call starting a full wait again."""
    jobs = [await client.videos.create(prompt=f"p{i}", size="64x64", seconds=1) for i in range(3)]
    it = client.videos.as_completed(jobs).__aiter__()
    done: list[Video] = []
    for _ in range(60):  # a bound, not a timing: without resuming, none would come out
        try:
            done.append(await asyncio.wait_for(it.__anext__(), 0.4))
        except asyncio.TimeoutError:
            continue
        except StopAsyncIteration:
            break
    assert sorted(v.id for v in done) == sorted(j.id for j in jobs)
    assert all(v.status == "completed" for v in done)
