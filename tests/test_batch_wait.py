"""The batch's shared waiter with a scripted ``client.videos``: regrouping, 429s, 404s, outages."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import anyio
import pytest
from fakeclock import TestClock

from videoclient import (
    APIConnectionError,
    NotFoundError,
    RateLimitError,
    Video,
)
from videoclient._providers.openai import OPENAI
from videoclient.batch._wait import SharedWaiter

Generation = Callable[[list[str]], AsyncIterator[Video]]


def done(video_id: str) -> Video:
    return Video(id=video_id, status="completed", progress=100)


def pending(video_id: str) -> Video:
    return Video(id=video_id, status="in_progress", progress=50)


class FakeVideos:
    """Plays one scripted generation per ``as_completed`` call; records what each was given."""

    def __init__(
        self, generations: list[Generation], retrieves: dict[str, Any] | None = None
    ) -> None:
        self.generations = generations
        self.calls: list[list[str]] = []
        self.retrieves = retrieves or {}

    def _server_delay(self, exc: Any) -> float | None:
        return OPENAI.server_delay(exc.headers)

    def as_completed(self, items: list[str | Video], **kwargs: Any) -> AsyncIterator[Video]:
        ids = [i.id if isinstance(i, Video) else i for i in items]
        self.calls.append(ids)
        return self.generations.pop(0)(ids)

    async def retrieve(self, video_id: str) -> Video:
        answer = self.retrieves[video_id]
        if isinstance(answer, Exception):
            raise answer
        assert isinstance(answer, Video)
        return answer


def finishing(*ids: str) -> Generation:
    async def gen(_: list[str]) -> AsyncIterator[Video]:
        for video_id in ids:
            yield done(video_id)

    return gen


def failing(exc: Exception, *, after: Callable[[], Any] | None = None) -> Generation:
    async def gen(_: list[str]) -> AsyncIterator[Video]:
        if after is not None:
            await after()
        raise exc
        yield  # pragma: no cover - makes this an async generator

    return gen


@pytest.fixture
def slept(retry_clock: TestClock) -> list[float]:
    """The waiter's back-offs, recorded instead of slept."""
    return retry_clock.retries


async def wait_all(waiter: SharedWaiter, ids: list[str], *, stagger: float = 0) -> dict[str, Any]:
    """Each id's final Video, or the exception its wait raised."""
    results: dict[str, Any] = {}

    async def one(video_id: str) -> None:
        try:
            results[video_id] = await waiter.wait(video_id)
        except Exception as exc:
            results[video_id] = exc

    with anyio.fail_after(5):
        async with anyio.create_task_group() as outer:
            outer.start_soon(waiter.run)
            async with anyio.create_task_group() as tg:
                for video_id in ids:
                    tg.start_soon(one, video_id)
                    if stagger:
                        await anyio.sleep(stagger)
            outer.cancel_scope.cancel()
    return results


def make(videos: FakeVideos, **kwargs: Any) -> tuple[SharedWaiter, list[str]]:
    limited: list[str] = []
    waiter = SharedWaiter(
        videos,  # type: ignore[arg-type]
        on_progress=lambda v: None,
        on_rate_limited=lambda: limited.append("429"),
        **kwargs,
    )
    return waiter, limited


async def test_one_generation_serves_every_job(slept: list[float]) -> None:
    """Jobs registered together are waited for by one as_completed call."""
    videos = FakeVideos([finishing("a", "b", "c")])
    waiter, _ = make(videos)
    results = await wait_all(waiter, ["a", "b", "c"])
    assert {k: v.status for k, v in results.items()} == dict.fromkeys("abc", "completed")
    assert videos.calls == [["a", "b", "c"]]


def never() -> Generation:
    async def gen(_: list[str]) -> AsyncIterator[Video]:
        await anyio.sleep_forever()
        yield  # pragma: no cover - makes this an async generator

    return gen


async def test_late_jobs_join_the_next_generation(slept: list[float]) -> None:
    """A job registered during a generation ends it (after `regroup`); the next one has both."""
    videos = FakeVideos([never(), finishing("a", "b")])
    waiter, _ = make(videos, regroup=0.05)
    results = await wait_all(waiter, ["a", "b"], stagger=0.01)
    assert all(v.is_completed for v in results.values())
    assert videos.calls == [["a"], ["a", "b"]]


async def test_rate_limit_backs_off_and_reports(slept: list[float]) -> None:
    """A 429 calls on_rate_limited, sleeps what the server asked, then waits on."""
    limited = RateLimitError("slow down", status_code=429, headers={"retry-after-ms": "250"})
    videos = FakeVideos([failing(limited), finishing("a")])
    waiter, reports = make(videos)
    results = await wait_all(waiter, ["a"])
    assert results["a"].is_completed and reports == ["429"] and slept == [0.25]


async def test_a_missing_job_fails_only_its_own_line(slept: list[float]) -> None:
    """A 404 in a round is traced by retrieves to the job that is gone; the others go on."""
    gone = NotFoundError("No video found", status_code=404)
    videos = FakeVideos([failing(gone), finishing("a")], retrieves={"a": pending("a"), "b": gone})
    waiter, _ = make(videos)
    results = await wait_all(waiter, ["a", "b"])
    assert results["a"].is_completed and results["b"] is gone
    assert videos.calls == [["a", "b"], ["a"]]


async def test_lasting_outage_fails_every_waiting_line(slept: list[float]) -> None:
    """Connection errors past the retries fail the lines still waiting (their jobs are kept)."""
    down = APIConnectionError("connection refused")
    videos = FakeVideos([failing(down) for _ in range(3)])
    waiter, _ = make(videos, retries=2)
    results = await wait_all(waiter, ["a", "b"])
    assert results == {"a": down, "b": down} and len(slept) == 2
