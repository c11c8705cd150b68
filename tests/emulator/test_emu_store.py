"""The job store as a pure state machine: lifecycle on a fake clock, scheduling, pagination."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from videoclient.emulator._errors import ApiError
from videoclient.emulator._store import (
    FAIL_TRIGGER,
    SLOW_TRIGGER,
    Job,
    NewJob,
    Segment,
    Store,
)

from .conftest import FakeClock


def new(prompt: str = "a cat", seconds: int = 4, **over: Any) -> NewJob:
    fields: dict[str, Any] = {
        "prompt": prompt,
        "model": "sora-2",
        "width": 64,
        "height": 64,
        "segments": (Segment(prompt, seconds),),
    }
    fields.update(over)
    return NewJob(**fields)


def make_store(clock: FakeClock, **over: Any) -> Store:
    over.setdefault("render_seconds", 10.0)
    return Store(clock=clock, **over)


class Journal:
    def __init__(self) -> None:
        self.events: list[tuple[str, str, str | None]] = []

    def put_job(self, job: Job) -> None:
        self.events.append(("put", job.id, job.status))

    def delete_job(self, video_id: str) -> None:
        self.events.append(("delete", video_id, None))

    def put_character(self, character: Any) -> None:
        self.events.append(("character", character.id, None))


def test_lifecycle_queued_in_progress_completed() -> None:
    """A job is queued for 10% of its time, climbs 0->99% in progress, then completes at 100."""
    clock = FakeClock()
    store = make_store(clock)
    job = store.create(new())
    seen = []
    for _ in range(12):
        store.advance()
        view = store.view(job)
        seen.append((view.status, view.progress))
        clock.advance(1.0)
    assert seen[0] == ("queued", 0)
    statuses = [s for s, _ in seen]
    assert statuses.index("in_progress") == 1
    progress = [p for s, p in seen if s == "in_progress"]
    assert progress == sorted(progress) and progress[0] == 0 and progress[-1] <= 99
    assert seen[-1] == ("completed", 100)


def test_completed_job_has_completed_and_expiry_times() -> None:
    """completed_at is when rendering ended; expires_at is asset_ttl later."""
    clock = FakeClock(1000.0)
    store = make_store(clock, asset_ttl=60.0)
    job = store.create(new())
    clock.advance(30)
    store.advance()
    view = store.view(job)
    assert view.completed_at == 1010 and view.expires_at == 1070 and view.created_at == 1000


def test_fail_trigger_ends_failed_with_moderation_error() -> None:
    """[emulator:fail] in the prompt ends the job failed with a moderation-like error object."""
    clock = FakeClock()
    store = make_store(clock)
    job = store.create(new(f"a cat {FAIL_TRIGGER}"))
    clock.advance(100)
    ended = store.advance()
    view = store.view(job)
    assert ended == [job]
    assert view.status == "failed" and view.error is not None
    assert view.error.code == "moderation_blocked" and "moderation" in view.error.message
    assert view.expires_at is None and view.completed_at is not None and view.progress < 100


def test_doomed_job_fails_with_generation_error() -> None:
    """A fail_rate decision (doomed) ends the job failed with a generic generation error."""
    clock = FakeClock()
    store = make_store(clock)
    job = store.create(new(), doomed=True)
    clock.advance(100)
    store.advance()
    view = store.view(job)
    assert view.status == "failed" and view.error is not None
    assert view.error.code == "generation_failed"


def test_slow_trigger_takes_ten_times_longer() -> None:
    """[emulator:slow] makes a job take 10x render_seconds."""
    clock = FakeClock()
    store = make_store(clock, render_seconds=1.0)
    slow = store.create(new(f"{SLOW_TRIGGER} cat"))
    fast = store.create(new("cat"))
    clock.advance(1.5)
    store.advance()
    assert store.view(fast).status == "completed"
    assert store.view(slow).status == "in_progress"
    clock.advance(8.6)
    store.advance()
    assert store.view(slow).status == "completed"


def test_max_active_keeps_extra_jobs_queued_until_a_slot_frees() -> None:
    """With max_active=1 the second job stays queued until the first ends, then starts then."""
    clock = FakeClock(0.0)
    store = make_store(clock, max_active=1)
    first, second = store.create(new()), store.create(new())
    clock.advance(5)
    store.advance()
    assert (first.status, second.status) == ("in_progress", "queued")
    clock.advance(5.5)  # t=10.5: first ended at t=10
    store.advance()
    assert first.status == "completed" and second.status == "in_progress"
    assert second.started_at == pytest.approx(10.0)
    clock.advance(9)
    assert [j.id for j in store.advance()] == [second.id]


def test_advance_reports_each_ended_job_once_in_end_order() -> None:
    """advance() returns the jobs that ended since the last call, in the order they ended."""
    clock = FakeClock(0.0)
    store = make_store(clock)
    a = store.create(new())
    clock.advance(1)
    b = store.create(new(FAIL_TRIGGER))  # fails half-way: ends before a
    clock.advance(20)
    assert [j.id for j in store.advance()] == [b.id, a.id]
    assert store.advance() == []


def test_next_deadline_is_the_next_start_or_end() -> None:
    """next_deadline names when something changes next, and None once all jobs ended."""
    clock = FakeClock(0.0)
    store = make_store(clock)
    assert store.next_deadline() is None
    store.create(new())
    assert store.next_deadline() == pytest.approx(1.0)
    clock.advance(1)
    store.advance()
    assert store.next_deadline() == pytest.approx(10.0)
    clock.advance(9)
    store.advance()
    assert store.next_deadline() is None


def test_poll_after_scales_with_work_left_within_bounds() -> None:
    """The poll hint shrinks as the job nears its end, stays within bounds, and is None after."""
    clock = FakeClock(0.0)
    store = make_store(clock, render_seconds=100.0, poll_after_ms=(200, 5000))
    job = store.create(new())
    hints = []
    for _ in range(11):
        store.advance()
        hints.append(store.poll_after_ms(job))
        clock.advance(10.0)
    numbers = [h for h in hints if h is not None]
    assert numbers == sorted(numbers, reverse=True)
    assert numbers[0] == 5000 and numbers[-1] >= 200
    assert hints[-1] is None


@pytest.mark.parametrize(
    ("call", "code"),
    [
        pytest.param(lambda s, i: s.downloadable(i), "video_not_ready", id="content"),
        pytest.param(
            lambda s, i: s.source(i, param="video_id"), "video_not_completed", id="source"
        ),
        pytest.param(lambda s, i: s.delete(i), "video_not_finished", id="delete"),
    ],
)
def test_pending_job_refuses_calls_that_need_a_finished_one(call: Any, code: str) -> None:
    """Content, remix/edit/extend sources and delete of a pending job answer 409."""
    store = make_store(FakeClock())
    job = store.create(new())
    with pytest.raises(ApiError) as info:
        call(store, job.id)
    assert (info.value.status, info.value.code) == (409, code)


def test_failed_job_has_no_content_but_can_be_deleted() -> None:
    """A failed job's content is 409 video_failed; deleting it works."""
    clock = FakeClock()
    store = make_store(clock)
    job = store.create(new(FAIL_TRIGGER))
    clock.advance(100)
    store.advance()
    with pytest.raises(ApiError) as info:
        store.downloadable(job.id)
    assert (info.value.status, info.value.code) == (409, "video_failed")
    assert store.delete(job.id) is job
    assert store.find(job.id) is None


def test_content_expires_after_asset_ttl() -> None:
    """After expires_at, content answers 404 video_expired; the job itself stays readable."""
    clock = FakeClock()
    store = make_store(clock, asset_ttl=5.0)
    job = store.create(new())
    clock.advance(11)
    store.advance()
    assert store.downloadable(job.id) is job
    clock.advance(5)
    with pytest.raises(ApiError) as info:
        store.downloadable(job.id)
    assert (info.value.status, info.value.code) == (404, "video_expired")
    assert store.get(job.id).status == "completed"


def test_unknown_id_is_404() -> None:
    """Looking up an id never issued answers 404 video_not_found."""
    store = make_store(FakeClock())
    with pytest.raises(ApiError) as info:
        store.get("video_nope")
    assert (info.value.status, info.value.code) == (404, "video_not_found")


def test_seeded_ids_are_reproducible() -> None:
    """With a seed, the same sequence of creations issues the same ids."""
    runs = [[make_store(FakeClock(), seed=3).create(new()).id] for _ in range(2)]
    assert runs[0] == runs[1] and runs[0][0].startswith("video_")
    assert make_store(FakeClock(), seed=4).create(new()).id != runs[0][0]


def test_idempotency_replay_and_mismatch() -> None:
    """A known key replays its job's id; with a different fingerprint it is a 422."""
    store = make_store(FakeClock())
    job = store.create(new(idempotency_key="k1", fingerprint="f1"))
    assert store.replay("k1", "f1") == job.id
    assert store.replay("k2", "f1") is None and store.replay(None, None) is None
    with pytest.raises(ApiError) as info:
        store.replay("k1", "f2")
    assert (info.value.status, info.value.code) == (422, "idempotency_key_reused")
    assert store.jobs_created == 1


def test_journal_hears_every_change() -> None:
    """The journal receives the creation, the start, the end and the deletion of a job."""
    clock = FakeClock()
    journal = Journal()
    store = make_store(clock, journal=journal)
    job = store.create(new())
    clock.advance(100)
    store.advance()
    store.delete(job.id)
    assert journal.events == [
        ("put", job.id, "queued"),
        ("put", job.id, "in_progress"),
        ("put", job.id, "completed"),
        ("delete", job.id, None),
    ]


def test_restore_continues_pending_jobs() -> None:
    """Jobs restored mid-render continue on the clock and end when their time comes."""
    clock = FakeClock(0.0)
    first = make_store(clock)
    job = first.create(new())
    clock.advance(5)
    first.advance()
    second = make_store(clock)
    second.restore(first.jobs(), [])
    assert second.view(second.get(job.id)).status == "in_progress"
    clock.advance(5)
    assert [j.id for j in second.advance()] == [job.id]
    assert second.create(new()).seq > job.seq


def test_deleted_id_still_works_as_a_cursor() -> None:
    """A cursor naming a deleted job still pages from where that job was."""
    clock = FakeClock()
    store = make_store(clock)
    jobs = [store.create(new()) for _ in range(3)]
    clock.advance(100)
    store.advance()
    store.delete(jobs[1].id)
    page, more = store.page(limit=10, order="asc", after=jobs[1].id)
    assert [j.id for j in page] == [jobs[2].id] and not more


def test_unknown_cursor_is_400_naming_after() -> None:
    """An 'after' that was never issued answers 400 with param 'after'."""
    store = make_store(FakeClock())
    with pytest.raises(ApiError) as info:
        store.page(after="video_unknown")
    assert (info.value.status, info.value.param) == (400, "after")


def test_characters_round_trip() -> None:
    """A created character is found by id; an unknown one is 404 character_not_found."""
    store = make_store(FakeClock(5.0))
    character = store.create_character("Ava")
    assert store.character(character.id) is character
    assert store.character_view(character).created_at == 5
    with pytest.raises(ApiError) as info:
        store.character("char_x")
    assert info.value.code == "character_not_found"


@settings(max_examples=150, deadline=None)
@given(
    count=st.integers(0, 40),
    deleted=st.sets(st.integers(0, 39), max_size=10),
    order=st.sampled_from(["asc", "desc"]),
    limits=st.lists(st.integers(1, 100), min_size=1, max_size=8),
    start=st.integers(-1, 39),
)
def test_pagination_walks_every_job_exactly_once(
    count: int, deleted: set[int], order: str, limits: list[int], start: int
) -> None:
    """Any mix of limits, either order and any starting cursor walks each later job exactly once."""
    clock = FakeClock()
    store = make_store(clock)
    jobs = [store.create(new()) for _ in range(count)]
    clock.advance(100)
    store.advance()
    for i in sorted(deleted):
        if i < count:
            store.delete(jobs[i].id)
    live = [j.id for j in jobs if j.id in {x.id for x in store.jobs()}]
    expected = live if order == "asc" else live[::-1]
    after = jobs[start].id if 0 <= start < count else None
    if after is not None:
        pos = [j.id for j in jobs].index(after)
        ahead = {j.id for j in (jobs[pos + 1 :] if order == "asc" else jobs[:pos])}
        expected = [i for i in expected if i in ahead]
    walked: list[str] = []
    for n in range(200):
        page, more = store.page(limit=limits[n % len(limits)], order=order, after=after)
        walked.extend(j.id for j in page)
        if not more:
            break
        after = page[-1].id
    assert walked == expected
