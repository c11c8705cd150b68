"""No request loop without a wait: each path that re-polls, re-lists, restarts or retries is
paced against a server that answers at once, and the loop guard ends what pacing cannot.

The client runs on a frozen virtual clock (``TestClock(start=0)``): it moves only by the
pauses the package takes, so "requests per second" is requests per virtual second, and a
loop that never pauses would send everything at t = 0.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import anyio
import anyio.lowlevel
import pytest
from fakeclock import TestClock

from videoclient import (
    APIResponseValidationError,
    AsyncVideoClient,
    ClientConfig,
    InternalServerError,
    LoopGuard,
    RequestLoopError,
    Video,
    WaitTimeoutError,
)
from videoclient._io import clock
from videoclient._sansio import pacing
from videoclient._sansio import retry as _retry
from videoclient._sansio.loops import LoopWatch
from videoclient.batch import _wait as batch_wait
from videoclient.batch._wait import SharedWaiter
from videoclient.emulator import Emulator, EmulatorConfig

KEY = "sk-hot-loops"
ONE = "/videos/{video_id}"
LIST = "/videos"
#: Jobs that stay pending for the whole test (the emulator's clock is real).
PENDING: dict[str, Any] = {"prompt": "a glacier", "size": "64x64", "seconds": 1}


@pytest.fixture
def virtual() -> Iterator[TestClock]:
    """The package's clock frozen at 0: it moves only by the pauses the client takes."""
    with clock.use(TestClock(virtual=("retry", "poll"), start=0.0)) as test_clock:
        yield test_clock


async def emulator(**fields: Any) -> Emulator:
    fields.setdefault("render_seconds", 10_000.0)
    return Emulator(EmulatorConfig(api_key=KEY, **fields))


@pytest.fixture
async def hintless(virtual: TestClock) -> AsyncIterator[Emulator]:
    """An emulator behind a gateway: no poll hints, no list route."""
    async with await emulator(gateway_quirks="drop-headers,refuse-list") as emu:
        yield emu


def rate(count: int, test_clock: TestClock) -> float:
    """Requests per virtual second (a loop that never paused: infinite)."""
    now = test_clock.now()
    return count / now if now > 0 else float("inf")


# -- the guard, pure ---------------------------------------------------------------------------


def test_loop_watch_counts_per_key_within_the_window() -> None:
    """The call past max_requests in one window raises; other keys and later windows do not."""
    watch = LoopWatch(LoopGuard(max_requests=3, window=1.0))
    for t in (0.0, 0.1, 0.2):
        watch.note(("retrieve", "a"), t)
    watch.note(("retrieve", "b"), 0.3)
    with pytest.raises(RequestLoopError) as info:
        watch.note(("retrieve", "a"), 0.4)
    assert (info.value.key, info.value.count, info.value.window) == (("retrieve", "a"), 3, 1.0)
    assert "retrieve requests for a" in str(info.value)
    watch.note(("retrieve", "a"), 1.05)  # the first call left the window


def test_progress_starts_the_count_again() -> None:
    """A job that moved on, or every page of a listing that did, is counted anew."""
    watch = LoopWatch(LoopGuard(max_requests=2, window=10.0))
    for key in (("retrieve", "a"), ("list", "s", "after="), ("list", "s", "after=x")):
        watch.note(key, 0.0)
        watch.note(key, 0.0)
    watch.progressed(("retrieve", "a"))
    watch.progressed(("list", "s"), prefix=True)
    for key in (("retrieve", "a"), ("list", "s", "after="), ("list", "s", "after=x")):
        watch.note(key, 0.0)


def test_stale_keys_are_forgotten() -> None:
    """Keys nobody asked about for a window are dropped, so a long-lived client stays small."""
    watch = LoopWatch(LoopGuard(max_requests=5, window=1.0))
    for i in range(2048):
        watch.note(("retrieve", f"v{i}"), float(i))
    assert len(watch) <= 1100


@pytest.mark.parametrize(
    ("fields", "error"),
    [
        pytest.param({"max_requests": 0}, ValueError, id="zero"),
        pytest.param({"max_requests": 1.5}, TypeError, id="float-count"),
        pytest.param({"window": 0}, ValueError, id="zero-window"),
        pytest.param({"window": float("inf")}, ValueError, id="inf-window"),
    ],
)
def test_loop_guard_checks_its_fields(fields: dict[str, Any], error: type[Exception]) -> None:
    """A guard that could never or always trip is refused when made."""
    with pytest.raises(error):
        LoopGuard(**fields)


def test_the_default_guard_is_on() -> None:
    """Every client gets the guard unless it asks for none."""
    assert ClientConfig().loop_guard == LoopGuard(max_requests=100, window=10.0)
    assert AsyncVideoClient(KEY, loop_guard=None).config.loop_guard is None


def test_a_server_asking_for_no_wait_still_gets_one() -> None:
    """retry-after-ms: 0 is waited at least MIN_RETRY_DELAY."""
    assert _retry.retry_delay(1, 0.0, rand=lambda: 0.0) == _retry.MIN_RETRY_DELAY


# -- polls and rounds against an instant server ------------------------------------------------


async def test_poll_without_hints_backs_off(hintless: Emulator, virtual: TestClock) -> None:
    """No hint: polls come 1 s, 1.5 s, ... apart, never faster than one a second."""
    async with AsyncVideoClient(KEY, base_url=hintless.base_url) as client:
        video = await client.videos.create(**PENDING)
        with pytest.raises(WaitTimeoutError):
            await client.videos.poll(video.id, timeout=120)
    polls = hintless.count("GET", route=ONE)
    assert 5 <= polls <= 20 and rate(polls, virtual) <= 1.0
    assert min(virtual.polls) >= pacing.DEFAULT_INTERVAL


async def test_many_jobs_without_a_list_route_are_paced_per_job(
    hintless: Emulator, virtual: TestClock
) -> None:
    """as_completed over jobs a gateway cannot list: one retrieve per job per round, paced."""
    async with AsyncVideoClient(KEY, base_url=hintless.base_url) as client:
        ids = [(await client.videos.create(**PENDING)).id for _ in range(3)]
        with pytest.raises(WaitTimeoutError):
            await client.videos.wait_all(ids, timeout=60)
    per_job = hintless.count("GET", route=ONE) / 3
    assert rate(int(per_job), virtual) <= 1.0
    assert hintless.count("GET", route=LIST) == 1  # refused once, never asked again


async def test_many_jobs_listed_are_paced_per_round(virtual: TestClock) -> None:
    """as_completed through the list endpoint: at most one listing a second."""
    async with await emulator(gateway_quirks="drop-headers") as emu:
        async with AsyncVideoClient(KEY, base_url=emu.base_url) as client:
            ids = [(await client.videos.create(**PENDING)).id for _ in range(3)]
            with pytest.raises(WaitTimeoutError):
                await client.videos.wait_all(ids, timeout=60)
        lists = emu.count("GET", route=LIST)
        assert lists >= 5 and rate(lists, virtual) <= 1.0
        assert emu.count("GET", route=ONE) == 0


async def test_a_hint_of_zero_is_stopped_by_the_loop_guard(virtual: TestClock) -> None:
    """A server that always says "poll again now" gets 100 polls of a job that does not move
    (after the first, which saw it), then RequestLoopError."""
    async with await emulator(poll_after_min_ms=0, poll_after_max_ms=0) as emu:
        async with AsyncVideoClient(KEY, base_url=emu.base_url) as client:
            video = await client.videos.create(**PENDING)
            with pytest.raises(RequestLoopError) as info:
                await client.videos.poll(video.id)
        assert info.value.key == ("retrieve", video.id)
        assert emu.count("GET", route=ONE) == 1 + 100
        assert min(virtual.polls) >= pacing.MIN_DELAY  # paced, if barely: hence the guard


async def test_the_callers_own_calls_never_count_against_the_guard() -> None:
    """A web service that retrieves (and downloads) one popular job for each of its own
    requests is not a runaway loop: only the client's own loops are guarded."""
    async with await emulator(render_seconds=0.0) as emu:
        guard = LoopGuard(max_requests=3, window=1_000.0)
        async with AsyncVideoClient(KEY, base_url=emu.base_url, loop_guard=guard) as client:
            video = await client.videos.create(prompt="popular", size="64x64")
            for _ in range(10):
                assert (await client.videos.retrieve(video.id)).id == video.id
            for _ in range(5):
                await client.videos.list_page(limit=1)
        assert emu.count("GET", route=ONE) == 10


async def test_without_the_guard_the_same_wait_runs_to_its_deadline(virtual: TestClock) -> None:
    """loop_guard=None lets a caller poll as fast as the server asks."""
    async with await emulator(poll_after_min_ms=0, poll_after_max_ms=0) as emu:
        async with AsyncVideoClient(KEY, base_url=emu.base_url, loop_guard=None) as client:
            video = await client.videos.create(**PENDING)
            with pytest.raises(WaitTimeoutError):
                await client.videos.poll(video.id, timeout=2)
        assert emu.count("GET", route=ONE) > 100


# -- restarts, retries, pages ------------------------------------------------------------------


class EndlessGenerations:
    """A ``client.videos`` whose ``as_completed`` ends at once and finishes nobody."""

    def __init__(self) -> None:
        self.calls = 0

    def as_completed(self, items: list[str | Video], **_: Any) -> AsyncIterator[Video]:
        self.calls += 1
        return self._none()

    async def _none(self) -> AsyncIterator[Video]:
        return
        yield  # pragma: no cover - makes this an async generator


@pytest.mark.parametrize("poll_interval", [None, 0.05])
async def test_the_batch_waiter_never_restarts_at_once(
    virtual: TestClock, poll_interval: float | None
) -> None:
    """A generation that finished nobody is followed by the next one a gap later, not at once."""
    videos = EndlessGenerations()
    waiter = SharedWaiter(
        videos,  # type: ignore[arg-type]
        on_progress=lambda v: None,
        on_rate_limited=lambda: None,
        poll_interval=poll_interval,
    )
    with anyio.move_on_after(5):
        async with anyio.create_task_group() as tg:
            tg.start_soon(waiter.run)
            tg.start_soon(waiter.wait, "video_a")
            while videos.calls < 20:
                await anyio.lowlevel.checkpoint()
            tg.cancel_scope.cancel()
    gap = max(pacing.MIN_ROUND, poll_interval or batch_wait.MIN_GENERATION_GAP)
    assert videos.calls >= 20 and virtual.now() >= (videos.calls - 1) * gap * 0.999


async def test_retries_of_an_instant_refusal_are_paced(canned: Any, sleeps: list[float]) -> None:
    """503 with retry-after-ms 0, three times: each retry still waits."""
    canned.answer("GET", "/v1/videos/video_1", {"error": {"message": "busy"}}, status=503,
                  headers={"retry-after-ms": "0"})  # fmt: skip
    async with AsyncVideoClient(KEY, base_url=canned.base_url, max_retries=3) as client:
        with pytest.raises(InternalServerError):
            await client.videos.retrieve("video_1")
    assert len(canned.requests) == 4 and len(sleeps) == 3
    assert min(sleeps) >= _retry.MIN_RETRY_DELAY


async def test_a_listing_that_does_not_advance_stops(canned: Any, sleeps: list[float]) -> None:
    """A server ignoring `after` (the same page forever) ends the listing with a typed error."""
    page = {
        "object": "list",
        "data": [{"id": "video_1", "status": "completed"}],
        "first_id": "video_1",
        "last_id": "video_1",
        "has_more": True,
    }
    canned.answer("GET", "/v1/videos", page)
    async with AsyncVideoClient(KEY, base_url=canned.base_url) as client:
        seen: list[str] = []

        async def walk() -> None:
            async for video in client.videos.list():
                seen.append(video.id)

        with pytest.raises(APIResponseValidationError, match="does not advance"):
            await walk()
    assert len(canned.requests) == 2 and seen == ["video_1", "video_1"]


# -- what a runaway loop ends as ---------------------------------------------------------------


def test_the_cli_says_what_the_guard_stopped() -> None:
    """The command line turns RequestLoopError into an API error line (exit 3) with its key."""
    from videoclient.cli._errors import API_ERROR, describe

    exc = RequestLoopError("100 retrieve requests ...", key=("retrieve", "v"), count=100, window=10)
    code, text, details = describe(exc)
    assert (code, text) == (API_ERROR, "100 retrieve requests ...")
    assert details == {"type": "RequestLoopError", "key": ["retrieve", "v"], "count": 100,
                       "window": 10}  # fmt: skip


async def test_a_batch_stopped_by_the_guard_fails_its_lines_and_keeps_the_jobs(
    virtual: TestClock, tmp_path: Any
) -> None:
    """Lines whose waits the guard stopped fail with the reason; the run ends, jobs are kept."""
    from videoclient.batch import _journal as jr
    from videoclient.batch import run_batch

    async with await emulator(gateway_quirks="refuse-list") as emu:
        guard = LoopGuard(max_requests=3, window=1_000.0)
        async with AsyncVideoClient(KEY, base_url=emu.base_url, loop_guard=guard) as client:
            lines = [{"prompt": f"scene {i}", "size": "64x64"} for i in range(2)]
            summary = await run_batch(client, lines, out_dir=tmp_path, poll_interval=1.0)
        assert summary.counts() == {"completed": 0, "failed": 2, "skipped": 0}
        for result in summary.results:
            assert "retrieve requests for video_" in (result.error or ""), result.error
        with jr.Journal(summary.journal) as journal:
            assert all(row.video_id is not None for row in journal.rows())  # a rerun resumes
        assert emu.jobs_created == 2
        assert emu.count("GET", route=ONE) <= 2 * (3 + 1)


async def test_a_batch_line_retrying_its_create_waits_between_tries(
    canned: Any, sleeps: list[float], tmp_path: Any
) -> None:
    """A create refused with 500 each time: the line tries again after a back-off, then fails."""
    from videoclient.batch import run_batch

    canned.answer("POST", "/v1/videos", {"error": {"message": "down"}}, status=500)
    async with AsyncVideoClient(KEY, base_url=canned.base_url, max_retries=0) as client:
        summary = await run_batch(
            client, [{"prompt": "p", "size": "64x64"}], out_dir=tmp_path, retries=2
        )
    assert summary.counts()["failed"] == 1
    creates = [r for r in canned.requests if r["method"] == "POST"]
    assert len(creates) == 3 and len(sleeps) == 2 and min(sleeps) >= 0.5
    assert len({r["headers"]["Idempotency-Key"] for r in creates}) == 1  # one job, retried
