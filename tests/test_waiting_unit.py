"""poll / *_and_poll / as_completed / wait_all against a scripted loopback server, on a virtual clock.

Nothing here really sleeps: the package's clock is a :class:`~fakeclock.TestClock` frozen at
1000 s, and the scripted jobs change state on that clock.
"""

from __future__ import annotations

import json
import sys
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import anyio
import pytest
from aiohttp import web
from fakeclock import TestClock

import videoclient
from videoclient import AsyncVideoClient, Video, WaitTimeoutError
from videoclient._io import clock as package_clock


@pytest.fixture
def clock() -> Iterator[TestClock]:
    """Every pause on a virtual clock: each requested delay is recorded and skipped."""
    with package_clock.use(TestClock(start=1000.0)) as test_clock:
        yield test_clock


def video_json(vid: str, status: str, progress: int | None = None, **over: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": vid,
        "object": "video",
        "model": "sora-2",
        "status": status,
        "progress": progress,
        "created_at": 1700000000,
        "completed_at": None,
        "expires_at": None,
        "prompt": "p",
        "size": "64x64",
        "seconds": "4",
        "remixed_from_video_id": None,
        "error": None,
    }
    body.update(over)
    return body


class Jobs:
    """Scripted jobs served by the canned loopback server, changing state on the virtual clock.

    A job is a list of steps ``(seconds after start, status, progress)``; it shows the last
    step whose time has come. Retrieves carry ``openai-poll-after-ms`` while the job is
    pending (if the job has a hint); the listing shows every ``listed`` job, newest first.
    """

    def __init__(self, canned: Any, clock: TestClock) -> None:
        self.canned = canned
        self.clock = clock
        self.start = clock.now()
        self.jobs: dict[str, dict[str, Any]] = {}
        self.list_status = 200
        canned.answer("GET", "/v1/videos", self._list)

    def add(
        self,
        vid: str,
        steps: list[tuple[float, str, int | None]],
        *,
        hint_ms: int | None = None,
        listed: bool = True,
        error: dict[str, Any] | None = None,
    ) -> None:
        self.jobs[vid] = {"steps": steps, "hint": hint_ms, "listed": listed, "error": error}
        self.canned.answer("GET", f"/v1/videos/{vid}", lambda request: self._retrieve(vid))

    def state(self, vid: str) -> dict[str, Any]:
        job = self.jobs[vid]
        elapsed = self.clock.now() - self.start
        current = job["steps"][0]
        for step in job["steps"]:
            if step[0] <= elapsed + 1e-9:
                current = step
        _, status, progress = current
        body = video_json(vid, status, progress, created_at=1700000000 + list(self.jobs).index(vid))
        if status == "failed":
            body["error"] = job["error"] or {"code": "boom", "message": "it broke"}
        return body

    def _retrieve(self, vid: str) -> web.Response:
        body = self.state(vid)
        headers = {}
        hint = self.jobs[vid]["hint"]
        if hint is not None and body["status"] in videoclient.PENDING_STATUSES:
            headers["openai-poll-after-ms"] = str(hint)
        return web.json_response(body, headers=headers)

    def _list(self, request: web.Request) -> web.Response:
        if self.list_status != 200:
            return web.json_response({"error": {"message": "no"}}, status=self.list_status)
        assert request.query["order"] == "desc"
        limit = int(request.query["limit"])
        ids = [v for v in reversed(self.jobs) if self.jobs[v]["listed"]]
        after = request.query.get("after")
        start = ids.index(after) + 1 if after else 0
        chosen = ids[start : start + limit]
        return web.json_response(
            {
                "object": "list",
                "data": [self.state(v) for v in chosen],
                "first_id": chosen[0] if chosen else None,
                "last_id": chosen[-1] if chosen else None,
                "has_more": start + limit < len(ids),
            }
        )

    def gets(self, path: str | None = None) -> list[dict[str, Any]]:
        return [
            r
            for r in self.canned.requests
            if r["method"] == "GET" and (path is None or r["path"] == path)
        ]


@pytest.fixture
def jobs(canned: Any, clock: TestClock) -> Jobs:
    return Jobs(canned, clock)


@pytest.fixture
async def client(canned: Any) -> AsyncIterator[AsyncVideoClient]:
    async with AsyncVideoClient("sk-test", base_url=canned.base_url) as c:
        yield c


# -- poll: pacing ----------------------------------------------------------------------------


async def test_poll_sleeps_each_latest_hint(
    canned: Any, clock: TestClock, client: AsyncVideoClient
) -> None:
    """Each wait is the hint of the answer just received, not the first one's."""
    path = "/v1/videos/video_1"
    for status, hint in [("queued", "300"), ("in_progress", "700"), ("in_progress", "50")]:
        canned.answer(
            "GET", path, video_json("video_1", status), headers={"openai-poll-after-ms": hint}
        )
    canned.answer("GET", path, video_json("video_1", "completed", 100))
    done = await client.videos.poll("video_1")
    assert done.status == "completed" and done.progress == 100
    assert clock.polls == [0.3, 0.7, 0.05]
    assert len(canned.requests) == 4


async def test_poll_uses_interval_without_hint(
    jobs: Jobs, clock: TestClock, client: AsyncVideoClient
) -> None:
    """With no hint from the server, the caller's poll_interval paces every poll."""
    jobs.add("video_1", [(0, "queued", 0), (7, "completed", 100)])
    done = await client.videos.poll("video_1", poll_interval=2.5)
    assert done.status == "completed"
    assert clock.polls == [2.5, 2.5, 2.5]


async def test_poll_backs_off_without_hint_or_interval(
    jobs: Jobs, clock: TestClock, client: AsyncVideoClient
) -> None:
    """With neither hint nor interval: 1 s, then 1.5 s, 2.25 s... (growing to 10 s)."""
    jobs.add("video_1", [(0, "queued", 0), (4, "completed", 100)])
    await client.videos.poll("video_1")
    assert clock.polls == [1.0, 1.5, 2.25]


async def test_hint_beats_interval(jobs: Jobs, clock: TestClock, client: AsyncVideoClient) -> None:
    """When the server sends a hint, it is used instead of poll_interval."""
    jobs.add("video_1", [(0, "queued", 0), (1, "completed", 100)], hint_ms=400)
    await client.videos.poll("video_1", poll_interval=5)
    assert clock.polls == [0.4, 0.4, 0.4]


# -- poll: terminal statuses -----------------------------------------------------------------


async def test_poll_returns_failed_job_with_error(
    jobs: Jobs, clock: TestClock, client: AsyncVideoClient
) -> None:
    """A failed job is returned (not raised), with its error."""
    jobs.add(
        "video_1",
        [(0, "in_progress", 10), (1, "failed", 50)],
        hint_ms=500,
        error={"code": "moderation_blocked", "message": "blocked"},
    )
    failed = await client.videos.poll("video_1")
    assert failed.status == "failed"
    assert failed.error is not None and failed.error.code == "moderation_blocked"


@pytest.mark.parametrize(
    ("statuses", "expected"),
    [
        pytest.param(["expired"], "expired", id="unknown-status-is-terminal"),
        pytest.param(
            ["preprocessing", "running", "processing", "succeeded"], "succeeded", id="azure"
        ),
        pytest.param(["queued", "cancelled"], "cancelled", id="cancelled"),
    ],
)
async def test_poll_stops_at_any_non_pending_status(
    canned: Any, clock: TestClock, client: AsyncVideoClient, statuses: list[str], expected: str
) -> None:
    """Azure's statuses are pending; any status not pending ends the wait (no endless loop)."""
    for status in statuses:
        canned.answer("GET", "/v1/videos/video_1", video_json("video_1", status))
    final = await client.videos.poll("video_1", poll_interval=1)
    assert final.status == expected
    assert len(canned.requests) == len(statuses)


async def test_custom_pending_statuses(
    jobs: Jobs, clock: TestClock, client: AsyncVideoClient
) -> None:
    """pending_statuses replaces the default: here "warming" waits and "in_progress" ends it."""
    jobs.add("video_1", [(0, "warming", None), (2, "in_progress", 5)])
    final = await client.videos.poll("video_1", poll_interval=1, pending_statuses={"warming"})
    assert final.status == "in_progress"
    assert clock.polls == [1, 1]


async def test_poll_accepts_a_video(jobs: Jobs, clock: TestClock, client: AsyncVideoClient) -> None:
    """A pending Video is polled by its id, starting with an immediate retrieve."""
    jobs.add("video_1", [(0, "completed", 100)])
    done = await client.videos.poll(Video(id="video_1", status="queued"))
    assert done.status == "completed"
    assert clock.polls == [] and len(jobs.gets()) == 1


async def test_poll_of_a_finished_video_sends_nothing(
    canned: Any, client: AsyncVideoClient
) -> None:
    """A Video already in a terminal status is returned as is, without a request."""
    done = Video(id="video_1", status="completed", progress=100)
    assert await client.videos.poll(done) is done
    assert canned.requests == []


# -- poll: deadlines -------------------------------------------------------------------------


async def test_deadline_raises_with_last_video(
    jobs: Jobs, clock: TestClock, client: AsyncVideoClient
) -> None:
    """Past the deadline: WaitTimeoutError (also a TimeoutError) carrying the last Video seen.

    No request is sent that would fall at or after the deadline; the last sleep is cut short.
    """
    jobs.add(
        "video_1",
        [(0, "in_progress", 1), (2, "in_progress", 20), (4, "in_progress", 40)],
        hint_ms=2000,
    )
    with pytest.raises(WaitTimeoutError) as info:
        await client.videos.poll("video_1", timeout=5)
    assert isinstance(info.value, TimeoutError)
    assert info.value.video is not None
    assert info.value.video.id == "video_1" and info.value.video.progress == 40
    assert clock.polls == [2.0, 2.0, 1.0]
    assert len(jobs.gets()) == 3
    assert "video_1" in str(info.value)


async def test_a_deadline_during_a_slow_callback_still_reports_the_job(
    jobs: Jobs, clock: TestClock, client: AsyncVideoClient
) -> None:
    """A deadline that falls while an async on_progress runs keeps the Video it was given."""
    jobs.add("video_1", [(0, "in_progress", 5)], hint_ms=50)
    seen: list[Video] = []

    async def slow_save(video: Video) -> None:
        seen.append(video)
        await anyio.sleep(10)

    with pytest.raises(WaitTimeoutError) as info:
        await client.videos.poll("video_1", timeout=2, on_progress=slow_save)
    assert seen and info.value.video == seen[0] and info.value.video.progress == 5


async def test_zero_timeout_gives_up_before_any_answer(
    canned: Any, client: AsyncVideoClient
) -> None:
    """timeout=0 raises at once; .video is what the caller passed (None for a bare id)."""
    with pytest.raises(WaitTimeoutError) as info:
        await client.videos.poll("video_1", timeout=0)
    assert info.value.video is None
    pending = Video(id="video_2", status="queued")
    with pytest.raises(WaitTimeoutError) as info2:
        await client.videos.poll(pending, timeout=0)
    assert info2.value.video == pending


async def test_hard_deadline_cuts_a_slow_request(canned: Any, client: AsyncVideoClient) -> None:
    """A request still in flight when the deadline passes is abandoned: WaitTimeoutError."""

    async def slow(request: web.Request) -> web.Response:
        await anyio.sleep(5)
        return web.json_response(video_json("video_1", "queued"))

    canned.answer("GET", "/v1/videos/video_1", slow)
    with pytest.raises(WaitTimeoutError):
        await client.videos.poll("video_1", timeout=0.2)
    assert client._transport is not None and client._transport._session is not None
    assert not client._transport._session.connector._acquired  # type: ignore[union-attr]


# -- poll: progress callbacks ----------------------------------------------------------------


async def test_on_progress_sync_gets_each_change_once(
    jobs: Jobs, clock: TestClock, client: AsyncVideoClient
) -> None:
    """A plain callable hears of every Video whose status or progress changed, once each."""
    jobs.add(
        "video_1",
        [(0, "queued", 0), (2, "in_progress", 10), (4, "in_progress", 10), (6, "completed", 100)],
        hint_ms=1000,
    )
    seen: list[tuple[str, int | None]] = []
    await client.videos.poll("video_1", on_progress=lambda v: seen.append((v.status, v.progress)))
    assert seen == [("queued", 0), ("in_progress", 10), ("completed", 100)]
    assert len(jobs.gets()) == 7


async def test_on_progress_async_is_awaited(
    jobs: Jobs, clock: TestClock, client: AsyncVideoClient
) -> None:
    """An async callable is awaited before the next poll."""
    jobs.add("video_1", [(0, "queued", 0), (1, "completed", 100)], hint_ms=1000)
    seen: list[str] = []

    async def report(video: Video) -> None:
        await anyio.lowlevel.checkpoint()
        seen.append(video.status)

    await client.videos.poll("video_1", on_progress=report)
    assert seen == ["queued", "completed"]


async def test_on_progress_error_ends_the_wait(
    jobs: Jobs, clock: TestClock, client: AsyncVideoClient
) -> None:
    """An exception raised by the callback propagates unchanged and stops polling."""
    jobs.add("video_1", [(0, "queued", 0), (5, "completed", 100)], hint_ms=1000)

    def explode(video: Video) -> None:
        raise RuntimeError("callback bug")

    with pytest.raises(RuntimeError, match="callback bug"):
        await client.videos.poll("video_1", on_progress=explode)
    assert len(jobs.gets()) == 1


async def test_given_video_is_not_reported(
    jobs: Jobs, clock: TestClock, client: AsyncVideoClient
) -> None:
    """poll(Video) treats the Video passed in as already seen: unchanged answers are not news."""
    jobs.add("video_1", [(0, "queued", 0), (1, "completed", 100)], hint_ms=1000)
    seen: list[str] = []
    await client.videos.poll(
        Video(id="video_1", status="queued", progress=0),
        on_progress=lambda v: seen.append(v.status),
    )
    assert seen == ["completed"]


# -- poll: argument checks -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        pytest.param({"video": 123}, TypeError, id="id-not-str"),
        pytest.param({"video": "a/b"}, ValueError, id="id-with-slash"),
        pytest.param({"video": ""}, ValueError, id="empty-id"),
        pytest.param({"poll_interval": 0}, ValueError, id="zero-interval"),
        pytest.param({"poll_interval": "1"}, TypeError, id="str-interval"),
        pytest.param({"timeout": -1}, ValueError, id="negative-timeout"),
        pytest.param({"on_progress": "print"}, TypeError, id="callback-not-callable"),
        pytest.param({"pending_statuses": "queued"}, TypeError, id="statuses-bare-str"),
        pytest.param({"bogus": 1}, TypeError, id="unknown-option"),
    ],
)
async def test_bad_arguments_fail_before_any_request(
    canned: Any, client: AsyncVideoClient, kwargs: dict[str, Any], error: type[Exception]
) -> None:
    """Caller mistakes raise ValueError/TypeError and nothing is sent."""
    args: dict[str, Any] = {"video": "video_1", **kwargs}
    target = args.pop("video")
    with pytest.raises(error):
        await client.videos.poll(target, **args)
    assert canned.requests == []


async def test_poll_options_reach_each_request(
    jobs: Jobs, clock: TestClock, client: AsyncVideoClient
) -> None:
    """extra_headers / extra_query given to poll go with every retrieve."""
    jobs.add("video_1", [(0, "queued", 0), (1, "completed", 100)], hint_ms=1000)
    await client.videos.poll(
        "video_1", extra_headers={"X-Trace": "t1"}, extra_query={"tag": "a"}, max_retries=0
    )
    gets = jobs.gets()
    assert len(gets) == 2
    assert all(r["headers"]["X-Trace"] == "t1" and ("tag", "a") in r["query"] for r in gets)


# -- *_and_poll ------------------------------------------------------------------------------


def start_answer(path: str) -> Callable[[web.Request], web.Response]:
    def answer(request: web.Request) -> web.Response:
        return web.json_response(
            video_json("video_new", "queued", 0), headers={"openai-poll-after-ms": "1500"}
        )

    return answer


@pytest.mark.parametrize(
    ("method", "path", "call"),
    [
        pytest.param(
            "create_and_poll",
            "/v1/videos",
            lambda v, **kw: v.create_and_poll(prompt="a cat", size="64x64", **kw),
            id="create",
        ),
        pytest.param(
            "remix_and_poll",
            "/v1/videos/video_src/remix",
            lambda v, **kw: v.remix_and_poll("video_src", prompt="as a dog", **kw),
            id="remix",
        ),
        pytest.param(
            "edit_and_poll",
            "/v1/videos/edits",
            lambda v, **kw: v.edit_and_poll(video={"id": "video_src"}, prompt="brighter", **kw),
            id="edit",
        ),
        pytest.param(
            "extend_and_poll",
            "/v1/videos/extensions",
            lambda v, **kw: v.extend_and_poll(
                video={"id": "video_src"}, prompt="then", seconds=4, **kw
            ),
            id="extend",
        ),
    ],
)
async def test_start_and_poll(
    jobs: Jobs,
    clock: TestClock,
    client: AsyncVideoClient,
    method: str,
    path: str,
    call: Any,
) -> None:
    """*_and_poll starts the job, waits the start answer's hint, then polls it to the end.

    The new job is reported first; the start's idempotency key and body go only to the POST,
    the other options to every request.
    """
    jobs.canned.answer("POST", path, start_answer(path))
    jobs.add(
        "video_new",
        [(0, "queued", 0), (1.5, "in_progress", 50), (2.5, "completed", 100)],
        hint_ms=1000,
    )
    seen: list[str] = []
    done = await call(
        client.videos,
        on_progress=lambda v: seen.append(v.status),
        idempotency_key="idem-1",
        extra_body={"note": "x"},
        extra_headers={"X-Trace": "t2"},
    )
    assert done.status == "completed" and done.id == "video_new"
    assert clock.polls == [1.5, 1.0]
    assert seen == ["queued", "in_progress", "completed"]
    posts = [r for r in jobs.canned.requests if r["method"] == "POST"]
    assert len(posts) == 1 and posts[0]["path"] == path
    assert posts[0]["headers"]["Idempotency-Key"] == "idem-1"
    assert json.loads(posts[0]["body"])["note"] == "x"
    gets = jobs.gets()
    assert len(gets) == 2
    assert all(
        "Idempotency-Key" not in r["headers"] and r["headers"]["X-Trace"] == "t2" for r in gets
    )


async def test_create_and_poll_timeout_carries_the_new_job(
    jobs: Jobs, clock: TestClock, client: AsyncVideoClient
) -> None:
    """A deadline shorter than the first hint raises without a poll, carrying the created job."""
    jobs.canned.answer("POST", "/v1/videos", start_answer("/v1/videos"))
    with pytest.raises(WaitTimeoutError) as info:
        await client.videos.create_and_poll(prompt="a cat", timeout=1.0)
    assert info.value.video is not None and info.value.video.id == "video_new"
    assert clock.polls == [1.0]
    assert jobs.gets() == []


@pytest.mark.skipif(sys.version_info < (3, 11), reason="exception notes are Python 3.11+")
async def test_an_error_while_waiting_names_the_created_job(
    canned: Any, clock: TestClock, client: AsyncVideoClient
) -> None:
    """A poll that fails after the create says which job exists, so it is not created again."""
    canned.answer("POST", "/v1/videos", video_json("video_new", "queued", 0))
    canned.answer("GET", "/v1/videos/video_new", {"error": {"message": "down"}}, status=500)
    with pytest.raises(videoclient.InternalServerError) as info:
        await client.videos.create_and_poll(prompt="a cat", max_retries=0)
    notes = getattr(info.value, "__notes__", [])
    assert any("video_new" in note and "poll('video_new')" in note for note in notes)


async def test_create_and_poll_without_hint_uses_fallback_first(
    canned: Any, jobs: Jobs, clock: TestClock, client: AsyncVideoClient
) -> None:
    """A create answer without hint: the first poll waits poll_interval (or the default)."""
    canned.answer("POST", "/v1/videos", video_json("video_new", "queued", 0))
    jobs.add("video_new", [(0, "completed", 100)])
    await client.videos.create_and_poll(prompt="a cat", poll_interval=3)
    assert clock.polls == [3]


async def test_create_and_poll_checks_arguments_before_creating(
    canned: Any, client: AsyncVideoClient
) -> None:
    """Bad wait arguments are refused before the create is sent (nothing is billed)."""
    with pytest.raises(ValueError, match="poll_interval"):
        await client.videos.create_and_poll(prompt="a cat", poll_interval=-1)
    with pytest.raises(TypeError, match="on_progress"):
        await client.videos.create_and_poll(prompt="a cat", on_progress=42)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="bogus"):
        await client.videos.create_and_poll(prompt="a cat", bogus=1)  # type: ignore[call-arg]
    assert canned.requests == []


# -- as_completed / wait_all -----------------------------------------------------------------


async def test_as_completed_refreshes_through_the_listing(
    jobs: Jobs, clock: TestClock, client: AsyncVideoClient
) -> None:
    """Several pending jobs are refreshed by one list request per round, not one GET each."""
    jobs.add("video_a", [(0, "queued", 0), (3, "completed", 100)])
    jobs.add("video_b", [(0, "queued", 0), (1, "completed", 100)])
    jobs.add("video_c", [(0, "queued", 0), (1, "failed", 50)])
    order = [v.id async for v in client.videos.as_completed(["video_a", "video_b", "video_c"])]
    assert order == ["video_b", "video_c", "video_a"]
    # rounds: t=0 and t=1 list all three; then one job is left: retrieved at t=2.5 and t=4.75
    assert clock.polls == [1.0, 1.5, 2.25]
    assert len(jobs.gets("/v1/videos")) == 2
    assert len(jobs.gets("/v1/videos/video_a")) == 2
    assert len(jobs.gets()) == 4


async def test_as_completed_last_job_is_retrieved_for_its_hint(
    jobs: Jobs, clock: TestClock, client: AsyncVideoClient
) -> None:
    """With one job left the round is a retrieve, and its hint then paces the rounds."""
    jobs.add("video_a", [(0, "queued", 0), (2, "completed", 100)], hint_ms=600)
    jobs.add("video_b", [(0, "completed", 100)], hint_ms=600)
    done = await client.videos.wait_all(["video_a", "video_b"])
    assert [v.status for v in done] == ["completed", "completed"]
    assert len(jobs.gets("/v1/videos")) == 1
    assert clock.polls[0] == 1.0  # the listing gave no hint: default
    assert clock.polls[1:] == [0.6] * (len(clock.polls) - 1)


async def test_group_pace_is_the_smallest_known_hint(
    jobs: Jobs, clock: TestClock, client: AsyncVideoClient
) -> None:
    """Jobs the listing cannot show are retrieved; their smallest hint paces every round."""
    jobs.add("video_a", [(0, "queued", 0), (3, "completed", 100)], hint_ms=900, listed=False)
    jobs.add("video_b", [(0, "queued", 0), (3, "completed", 100)], hint_ms=400, listed=False)
    jobs.add("video_c", [(0, "queued", 0), (3, "completed", 100)])
    jobs.add("video_d", [(0, "queued", 0), (3, "completed", 100)])
    done = await client.videos.wait_all(["video_a", "video_b", "video_c", "video_d"])
    assert {v.status for v in done} == {"completed"}
    assert set(clock.polls) == {0.4}
    rounds = len(clock.polls) + 1
    assert len(jobs.gets("/v1/videos")) == rounds
    assert len(jobs.gets("/v1/videos/video_a")) == rounds
    assert len(jobs.gets("/v1/videos/video_c")) == 0


async def test_unlisted_job_is_retrieved_after_one_miss(
    jobs: Jobs, clock: TestClock, client: AsyncVideoClient
) -> None:
    """An id the listing did not show is retrieved that round and every round after."""
    jobs.add("video_a", [(0, "queued", 0), (2, "completed", 100)], listed=False)
    jobs.add("video_b", [(0, "queued", 0), (2, "completed", 100)])
    jobs.add("video_c", [(0, "queued", 0), (2, "completed", 100)])
    await client.videos.wait_all(["video_a", "video_b", "video_c"], poll_interval=1)
    assert len(jobs.gets("/v1/videos")) == 3
    assert len(jobs.gets("/v1/videos/video_a")) == 3
    assert len(jobs.gets("/v1/videos/video_b")) == 0


async def test_listing_unsupported_falls_back_to_retrieve(
    jobs: Jobs, clock: TestClock, client: AsyncVideoClient
) -> None:
    """A server that answers the listing with 404 is polled job by job from then on."""
    jobs.list_status = 404
    jobs.add("video_a", [(0, "queued", 0), (2, "completed", 100)])
    jobs.add("video_b", [(0, "queued", 0), (2, "completed", 100)])
    done = await client.videos.wait_all(["video_a", "video_b"], poll_interval=1)
    assert [v.id for v in done] == ["video_a", "video_b"]
    assert len(jobs.gets("/v1/videos")) == 1
    assert len(jobs.gets("/v1/videos/video_a")) == 3


async def test_listing_pages_until_every_id_is_seen(
    jobs: Jobs, clock: TestClock, client: AsyncVideoClient
) -> None:
    """250 pending jobs: each round reads three pages of 100 (newest first, by cursor)."""
    ids = [f"video_{i:03d}" for i in range(250)]
    for vid in ids:
        jobs.add(vid, [(0, "queued", 0), (1, "completed", 100)])
    jobs.add("video_newer", [(0, "queued", 0)])  # someone else's job, listed first
    done = await client.videos.wait_all(ids, poll_interval=1)
    assert len(done) == 250 and {v.status for v in done} == {"completed"}
    lists = jobs.gets("/v1/videos")
    assert len(lists) == 6
    assert [dict(r["query"]).get("after") for r in lists[:3]] == [None, "video_151", "video_051"]
    assert all(dict(r["query"])["limit"] == "100" for r in lists)
    assert len(jobs.gets()) == 6


async def test_as_completed_finished_videos_come_first_without_requests(
    canned: Any, client: AsyncVideoClient
) -> None:
    """Videos already terminal are yielded at once, in input order, with no request."""
    videos = [Video(id="video_a", status="completed"), Video(id="video_b", status="failed")]
    assert [v async for v in client.videos.as_completed(videos)] == videos
    assert canned.requests == []


async def test_wait_all_keeps_input_order_and_duplicates(
    jobs: Jobs, clock: TestClock, client: AsyncVideoClient
) -> None:
    """wait_all returns one Video per input item in input order; repeated ids are waited once."""
    jobs.add("video_a", [(0, "queued", 0), (3, "completed", 100)])
    jobs.add("video_b", [(0, "queued", 0), (1, "completed", 100)])
    seen: list[str] = []
    yielded = [
        v.id
        async for v in client.videos.as_completed(
            ["video_a", "video_b", "video_a"], poll_interval=1
        )
    ]
    assert yielded == ["video_b", "video_a"]
    clock.offset = 0.0  # replay the same script for wait_all
    done = await client.videos.wait_all(
        ["video_a", Video(id="video_b", status="queued"), "video_a"],
        poll_interval=1,
        on_progress=lambda v: seen.append(v.id),
    )
    assert [v.id for v in done] == ["video_a", "video_b", "video_a"]
    assert seen.count("video_a") == 2  # first sight, then completion


async def test_wait_all_of_nothing(canned: Any, client: AsyncVideoClient) -> None:
    """No jobs: an empty list, no request."""
    assert await client.videos.wait_all([]) == []
    assert canned.requests == []


async def test_as_completed_deadline(
    jobs: Jobs, clock: TestClock, client: AsyncVideoClient
) -> None:
    """Past the deadline iteration raises WaitTimeoutError with the first pending job's last state."""
    jobs.add("video_a", [(0, "queued", 0), (1, "completed", 100)])
    jobs.add("video_b", [(0, "queued", 0), (2, "in_progress", 30)])
    jobs.add("video_c", [(0, "queued", 0)])
    got: list[str] = []

    async def consume() -> None:
        async for v in client.videos.as_completed(
            ["video_a", "video_b", "video_c"], poll_interval=1, timeout=3.5
        ):
            got.append(v.id)

    with pytest.raises(WaitTimeoutError) as info:
        await consume()
    assert got == ["video_a"]
    assert info.value.video is not None
    assert info.value.video.id == "video_b" and info.value.video.progress == 30
    assert "2 of 3" in str(info.value)
    assert clock.polls == [1, 1, 1, 0.5]


async def test_as_completed_error_is_unwrapped(
    jobs: Jobs, clock: TestClock, client: AsyncVideoClient
) -> None:
    """A failing retrieve among several surfaces as its own error class, not an exception group."""
    jobs.list_status = 405
    jobs.add("video_a", [(0, "queued", 0)])
    jobs.canned.answer(
        "GET", "/v1/videos/video_gone", {"error": {"message": "no such video"}}, status=404
    )
    with pytest.raises(videoclient.NotFoundError):
        await client.videos.wait_all(["video_a", "video_gone"])


@pytest.mark.parametrize(
    ("videos", "error"),
    [
        pytest.param("video_a", TypeError, id="bare-str"),
        pytest.param(Video(id="video_a", status="queued"), TypeError, id="bare-video"),
        pytest.param(["video_a", 7], TypeError, id="bad-item"),
        pytest.param(["video_a", "x/y"], ValueError, id="bad-id"),
        pytest.param(["video_a"], TypeError, id="unknown-option"),
    ],
)
async def test_as_completed_checks_arguments_at_once(
    canned: Any, client: AsyncVideoClient, videos: Any, error: type[Exception]
) -> None:
    """as_completed() refuses bad input when called, before iteration and any request."""
    extra: dict[str, Any] = {"bogus": 1} if videos == ["video_a"] else {}
    with pytest.raises(error):
        client.videos.as_completed(videos, **extra)
    with pytest.raises(error):
        await client.videos.wait_all(videos, **extra)
    assert canned.requests == []


# -- predicted ends ------------------------------------------------------------------------------


def linear(
    start: float, end: float, first: int = 0, step: float = 0.25
) -> list[tuple[float, str, int | None]]:
    """A job in progress from ``start``, progress rising linearly from ``first``, done at ``end``."""
    steps: list[tuple[float, str, int | None]] = [(0, "queued", 0)] if start > 0 else []
    t = start
    while t < end - 1e-9:
        steps.append((t, "in_progress", int(first + (100 - first) * (t - start) / (end - start))))
        t += step
    steps.append((end, "completed", 100))
    return steps


async def test_poll_skips_hints_the_progress_shows_are_too_early(
    jobs: Jobs, clock: TestClock, client: AsyncVideoClient
) -> None:
    """A 500 ms hint on a job 10 %/s along: after two sightings the poll waits for its predicted end."""
    jobs.add("video_1", linear(0, 9, first=10, step=0.5), hint_ms=500)
    done = await client.videos.poll("video_1")
    assert done.status == "completed"
    # 10 % at t=0, 15 % at 0.5, 20 % at 1: done at 9.0 (aimed at 9.1), but each wait reaches
    # no further than the span the rate was measured over: 0.5, 1, 2, 4 s, then the end
    assert clock.polls == pytest.approx([0.5, 0.5, 1.0, 2.0, 4.0, 1.1])
    assert len(jobs.gets()) == 7  # instead of 19 following the hint


async def test_poll_keeps_the_hint_when_a_stretch_would_reach_the_deadline(
    jobs: Jobs, clock: TestClock, client: AsyncVideoClient
) -> None:
    """With a deadline before the predicted end, each wait is the hint: polls go on until it."""
    jobs.add("video_1", linear(0, 9, first=10, step=0.5), hint_ms=500)
    with pytest.raises(WaitTimeoutError):
        await client.videos.poll("video_1", timeout=3.2)
    # at t=2 the prediction would wait 2 s, past the deadline: the 0.5 s hints are kept
    assert clock.polls == pytest.approx([0.5, 0.5, 1.0, 0.5, 0.5, 0.2])


async def test_poll_interval_turns_predictions_off(
    jobs: Jobs, clock: TestClock, client: AsyncVideoClient
) -> None:
    """With poll_interval given, a hint is waited exactly, whatever the progress predicts."""
    jobs.add("video_1", linear(0, 2, first=10, step=0.5), hint_ms=500)
    await client.videos.poll("video_1", poll_interval=3)
    assert clock.polls == [0.5, 0.5, 0.5, 0.5]


async def test_poll_backoff_cut_short_by_predicted_end(
    jobs: Jobs, clock: TestClock, client: AsyncVideoClient
) -> None:
    """Without hints, the back-off step that would overshoot the predicted end is cut to it."""
    jobs.add("video_1", linear(1, 5))
    done = await client.videos.poll("video_1")
    assert done.status == "completed"
    # t=0 queued; t=1 0 %; t=2.5 37 %; t=4.75 93 %: done at ~5.07, not at the next step (8.1)
    assert clock.polls[:3] == [1.0, 1.5, 2.25]
    assert clock.polls[3] < 3.375
    assert len(jobs.gets()) == 5


async def test_as_completed_round_comes_at_the_predicted_end(
    jobs: Jobs, clock: TestClock, client: AsyncVideoClient
) -> None:
    """Listed jobs without hints: rounds come at the predicted end instead of the back-off steps."""
    jobs.add("video_a", linear(0, 10))
    jobs.add("video_b", linear(0, 10))
    done = await client.videos.wait_all(["video_a", "video_b"])
    assert {v.status for v in done} == {"completed"}
    # 10 % seen at t=1, 25 % at 2.5: the predicted end (10.1) is beyond the span measured,
    # so the next look is at 4 (not 4.75), then 7 (not 8.125), then the end (not 13.2)
    assert clock.polls == pytest.approx([1.0, 1.5, 1.5, 3.0, 3.1])
    assert len(jobs.gets("/v1/videos")) == 6 and len(jobs.gets()) == 6


async def test_as_completed_stalled_job_is_polled_less_and_less(
    jobs: Jobs, clock: TestClock, client: AsyncVideoClient
) -> None:
    """A job stuck at 99 % past its predicted end is not polled at the floor: waits grow again."""
    stuck = [*linear(0, 10)[:-1], (10, "in_progress", 99), (40, "completed", 100)]
    jobs.add("video_a", stuck)
    jobs.add("video_b", stuck)
    await client.videos.wait_all(["video_a", "video_b"])
    # predicted end ~10.5; then a few waits at the floor (~0.21 s), growing 1.5x up to 10 s
    late = clock.polls[5:]
    assert late == sorted(late) and late[-1] == 10.0
    assert len(jobs.gets()) <= 20  # over 40 s; the 1 s -> 10 s back-off alone: 10


async def test_group_hint_is_stretched_only_when_every_job_has_a_prediction(
    jobs: Jobs, clock: TestClock, client: AsyncVideoClient
) -> None:
    """A queued job (no prediction) could be done by the hint's time: the hint is kept until it ends."""
    jobs.add("video_a", linear(0, 9, first=10, step=0.5), hint_ms=500, listed=False)
    jobs.add("video_b", [(0, "queued", 0), (3, "completed", 100)])
    jobs.add("video_c", [(0, "queued", 0), (3, "completed", 100)])
    done = await client.videos.wait_all(["video_a", "video_b", "video_c"])
    assert {v.status for v in done} == {"completed"}
    assert clock.polls[:6] == [0.5] * 6  # until b and c are done at t=3
    assert max(clock.polls[6:]) > 0.5  # then video_a alone: stretched to its predicted end
    assert len(jobs.gets("/v1/videos")) == 7


async def test_poll_with_on_progress_follows_each_hint(
    jobs: Jobs, clock: TestClock, client: AsyncVideoClient
) -> None:
    """Someone watching progress gets every poll the server allows: hints are not stretched."""
    jobs.add("video_1", linear(0, 2, first=10, step=0.5), hint_ms=500)
    seen: list[int | None] = []
    await client.videos.poll("video_1", on_progress=lambda v: seen.append(v.progress))
    assert clock.polls == [0.5, 0.5, 0.5, 0.5]
    assert seen == [10, 32, 55, 77, 100]


async def test_stalled_job_does_not_hide_one_about_to_finish(
    jobs: Jobs, clock: TestClock, client: AsyncVideoClient
) -> None:
    """One job stuck at 99 % (late on its prediction) does not delay seeing another one finish."""
    jobs.add("video_a", [*linear(0, 10)[:-1], (10, "in_progress", 99), (60, "completed", 100)])
    jobs.add("video_b", linear(0, 20))
    seen: dict[str, float] = {}
    async for video in client.videos.as_completed(["video_a", "video_b"]):
        seen[video.id] = clock.now() - jobs.start
    # video_b is done at 20: seen within the floor (2 % of the wait) plus one point of progress
    assert 20.0 <= seen["video_b"] < 20.8
    assert seen["video_a"] >= 60.0
