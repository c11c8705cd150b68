"""The pure pacing logic of waiting: hints, back-off, deadlines, list sweeps (no event loop)."""

from __future__ import annotations

import math
import sys
from typing import Any

import pytest

from videoclient import PENDING_STATUSES, Video, VideoPage
from videoclient._providers.openai import hints
from videoclient._sansio import pacing as pacing


def video(
    vid: str, status: str = "queued", progress: int | None = 0, created: int | None = 1
) -> Video:
    return Video(id=vid, status=status, progress=progress, created_at=created)


def page(*videos: Video, has_more: bool = True) -> VideoPage:
    return VideoPage(
        data=tuple(videos),
        has_more=has_more,
        first_id=videos[0].id if videos else None,
        last_id=videos[-1].id if videos else None,
    )


# -- the hint header -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        pytest.param({"openai-poll-after-ms": "1500"}, 1.5, id="ms-to-seconds"),
        pytest.param({"openai-poll-after-ms": " 250 "}, 0.25, id="whitespace"),
        pytest.param({"openai-poll-after-ms": "0"}, 0.0, id="zero"),
        pytest.param({"openai-poll-after-ms": "12.5"}, 0.0125, id="fractional"),
        pytest.param({}, None, id="absent"),
        pytest.param({"openai-poll-after-ms": "soon"}, None, id="not-a-number"),
        pytest.param({"openai-poll-after-ms": "-5"}, None, id="negative"),
        pytest.param({"openai-poll-after-ms": "inf"}, None, id="infinite"),
        pytest.param({"openai-poll-after-ms": "nan"}, None, id="nan"),
        pytest.param({"openai-poll-after-ms": "3600000"}, 3600.0, id="an-hour"),
        pytest.param({"openai-poll-after-ms": "1700000000000"}, None, id="a-timestamp"),
        pytest.param({"retry-after-ms": "100"}, None, id="other-header"),
    ],
)
def test_poll_after_reads_the_header(headers: dict[str, str], expected: float | None) -> None:
    """openai-poll-after-ms is read as milliseconds; anything unusable counts as no hint."""
    assert hints.poll_after(headers) == expected


# -- the pacer -------------------------------------------------------------------------------


def test_hint_wins_over_everything() -> None:
    """A hint is slept exactly, even when the caller gave an interval or back-off has grown."""
    pacer = pacing.Pacer(interval=7.0)
    assert pacer.next_delay(0.3) == 0.3
    backoff = pacing.Pacer()
    for _ in range(5):
        backoff.next_delay(None)
    assert backoff.next_delay(2.5) == 2.5


def test_each_delay_follows_the_latest_hint() -> None:
    """The pace follows each answer's hint, not the first one (the official SDK reads it once)."""
    pacer = pacing.Pacer()
    assert [pacer.next_delay(h) for h in (5.0, 1.0, 0.2, 3.0)] == [5.0, 1.0, 0.2, 3.0]


def test_zero_hint_is_floored() -> None:
    """A hint of 0 cannot make a busy loop: the wait is at least MIN_DELAY."""
    assert pacing.Pacer().next_delay(0.0) == pacing.MIN_DELAY


def test_interval_used_without_hint() -> None:
    """Without a hint the caller's interval is used every time, without growth."""
    pacer = pacing.Pacer(interval=2.0)
    assert [pacer.next_delay(None) for _ in range(4)] == [2.0, 2.0, 2.0, 2.0]


def test_default_backoff_grows_to_ceiling() -> None:
    """Without hint or interval: 1 s, growing by half each time, capped at 10 s."""
    pacer = pacing.Pacer()
    delays = [pacer.next_delay(None) for _ in range(10)]
    assert delays[:4] == [1.0, 1.5, 2.25, 3.375]
    assert delays[-1] == pacing.MAX_INTERVAL
    assert delays == sorted(delays)


def test_hints_do_not_advance_backoff() -> None:
    """Hinted polls leave the back-off where it was: the next hint-less wait is still the first."""
    pacer = pacing.Pacer()
    pacer.next_delay(0.5)
    pacer.next_delay(0.5)
    assert pacer.next_delay(None) == pacing.DEFAULT_INTERVAL


def test_never_faster_than_hint() -> None:
    """Whatever came before, a delay is never shorter than the hint it was given."""
    pacer = pacing.Pacer(interval=0.05)
    for hint in (0.1, 3.0, 0.02, None, 9.0, None, 0.5):
        delay = pacer.next_delay(hint)
        if hint is not None:
            assert delay >= hint


def test_group_hint_is_the_smallest_known() -> None:
    """Many jobs are paced by the soonest hint among them; None when none is known."""
    assert pacing.group_hint([None, 2.0, 0.5, None]) == 0.5
    assert pacing.group_hint([None, None]) is None
    assert pacing.group_hint([]) is None


# -- deadlines -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("delay", "now", "deadline", "expected"),
    [
        pytest.param(1.0, 10.0, None, (1.0, True), id="no-deadline"),
        pytest.param(1.0, 10.0, 20.0, (1.0, True), id="well-before"),
        pytest.param(5.0, 10.0, 12.0, (2.0, False), id="sleep-out-the-rest"),
        pytest.param(2.0, 10.0, 12.0, (2.0, False), id="exactly-at-deadline"),
        pytest.param(1.0, 13.0, 12.0, (0.0, False), id="already-past"),
    ],
)
def test_plan_sleep(
    delay: float, now: float, deadline: float | None, expected: tuple[float, bool]
) -> None:
    """A sleep never runs past the deadline, and no poll is planned at or after it."""
    assert pacing.plan_sleep(delay, now, deadline) == expected


# -- argument checks -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "error"),
    [
        pytest.param(0, ValueError, id="zero"),
        pytest.param(-1.0, ValueError, id="negative"),
        pytest.param(math.inf, ValueError, id="infinite"),
        pytest.param(math.nan, ValueError, id="nan"),
        pytest.param("1", TypeError, id="str"),
        pytest.param(True, TypeError, id="bool"),
    ],
)
def test_check_interval_rejects(value: Any, error: type[Exception]) -> None:
    """poll_interval must be a finite number of seconds > 0."""
    with pytest.raises(error, match="poll_interval"):
        pacing.check_interval(value)


def test_check_interval_accepts() -> None:
    """None and positive numbers pass (ints become floats)."""
    assert pacing.check_interval(None) is None
    assert pacing.check_interval(2) == 2.0
    assert pacing.check_interval(0.01) == 0.01


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param(None, None, id="none"),
        pytest.param(0, 0.0, id="zero"),
        pytest.param(2.5, 2.5, id="seconds"),
        pytest.param(math.inf, None, id="inf-means-none"),
    ],
)
def test_check_timeout_accepts(value: Any, expected: float | None) -> None:
    """timeout is None (no deadline) or seconds >= 0; infinity means no deadline."""
    assert pacing.check_timeout(value) == expected


@pytest.mark.parametrize(
    ("value", "error"),
    [
        pytest.param(-0.1, ValueError, id="negative"),
        pytest.param(math.nan, ValueError, id="nan"),
        pytest.param("10", TypeError, id="str"),
    ],
)
def test_check_timeout_rejects(value: Any, error: type[Exception]) -> None:
    """A negative, NaN or non-numeric timeout is the caller's mistake."""
    with pytest.raises(error, match="timeout"):
        pacing.check_timeout(value)


def test_pending_set() -> None:
    """The default pending statuses are OpenAI's and Azure's; a caller's set replaces them."""
    assert pacing.pending_set(None) == PENDING_STATUSES
    assert {"queued", "in_progress", "preprocessing", "running", "processing"} <= PENDING_STATUSES
    assert pacing.pending_set(["queued", "warming"]) == frozenset({"queued", "warming"})


@pytest.mark.parametrize(
    "value",
    [pytest.param("queued", id="bare-str"), pytest.param(["queued", 3], id="non-str-member")],
)
def test_pending_set_rejects(value: Any) -> None:
    """A bare string (a slip for a set) or non-string members are a TypeError."""
    with pytest.raises(TypeError, match="pending_statuses"):
        pacing.pending_set(value)


@pytest.mark.parametrize(
    ("before", "after", "changed"),
    [
        pytest.param(None, video("a"), True, id="first-sight"),
        pytest.param(video("a"), video("a"), False, id="same"),
        pytest.param(video("a", progress=1), video("a", progress=2), True, id="progress"),
        pytest.param(video("a"), video("a", status="in_progress"), True, id="status"),
        pytest.param(video("a", progress=5), video("a", progress=None), True, id="progress-gone"),
    ],
)
def test_progress_changed(before: Video | None, after: Video, changed: bool) -> None:
    """A callback hears of a Video only when its status or progress differs from the last seen."""
    assert pacing.progress_changed(before, after) is changed


# -- list sweeps -----------------------------------------------------------------------------


def test_sweep_stops_once_every_id_is_seen() -> None:
    """Paging stops as soon as every wanted job has appeared, even if more pages exist."""
    sweep = pacing.ListSweep(frozenset({"a", "b", "c"}))
    assert sweep.feed(page(video("z"), video("a"))) is True
    assert sweep.cursor == "a"
    assert sweep.feed(page(video("b"), video("c"), video("y"))) is False
    assert set(sweep.found) == {"a", "b", "c"} and sweep.unseen == frozenset()
    assert sweep.pages == 2


def test_sweep_stops_at_the_end_of_the_listing() -> None:
    """has_more false (or an empty page) ends the sweep; the missing ids stay unseen."""
    sweep = pacing.ListSweep(frozenset({"a", "b", "c"}))
    assert sweep.feed(page(video("a"), has_more=False)) is False
    assert sweep.unseen == frozenset({"b", "c"})
    empty = pacing.ListSweep(frozenset({"a", "b"}))
    assert empty.feed(page()) is False


def test_sweep_stops_past_the_oldest_unseen_job() -> None:
    """Newest first: a page ending before every unseen job's creation means they are not listed."""
    wanted = frozenset({"a", "b", "c", "d"})
    sweep = pacing.ListSweep(wanted, {"a": 100, "b": 100, "c": 100, "d": 100})
    assert sweep.feed(page(video("x", created=101), video("y", created=100))) is True
    assert sweep.feed(page(video("a", created=100), video("w", created=99))) is False
    assert sweep.unseen == frozenset({"b", "c", "d"})


def test_sweep_keeps_going_when_creation_times_are_unknown() -> None:
    """Without every unseen job's created_at, only the other rules stop the sweep."""
    sweep = pacing.ListSweep(frozenset({"a", "b", "c"}), {"a": 100, "b": None})
    assert sweep.feed(page(video("x", created=1), video("y", created=1))) is True


def test_sweep_page_budget_is_the_unseen_count() -> None:
    """It never fetches more pages than there are unseen jobs (retrieving them costs no more)."""
    sweep = pacing.ListSweep(frozenset({"a", "b"}))
    assert sweep.feed(page(video("x"))) is True
    assert sweep.feed(page(video("y"))) is False
    assert sweep.pages == 2 and sweep.unseen == frozenset({"a", "b"})
    last_one = pacing.ListSweep(frozenset({"a", "b"}))
    assert last_one.feed(page(video("a"), video("x"))) is False
    assert last_one.unseen == frozenset({"b"})


def test_sweep_uses_last_id_as_cursor() -> None:
    """The next page starts after the page's last_id (else its last item's id)."""
    sweep = pacing.ListSweep(frozenset({"a", "b", "c"}))
    p = VideoPage(data=(video("x"), video("y")), has_more=True, last_id=None)
    assert sweep.feed(p) is True
    assert sweep.cursor == "y"


def test_sweep_three_hundred_jobs_in_three_pages() -> None:
    """300 pending jobs, newest first, 100 a page: three pages find them all."""
    ids = [f"v{i:03d}" for i in range(300)]
    sweep = pacing.ListSweep(frozenset(ids))
    newest_first = ids[::-1]
    pages = [newest_first[i : i + 100] for i in range(0, 300, 100)]
    assert sweep.feed(page(*(video(i) for i in pages[0]))) is True
    assert sweep.feed(page(*(video(i) for i in pages[1]))) is True
    assert sweep.feed(page(*(video(i) for i in pages[2]))) is False
    assert sweep.pages == 3 and not sweep.unseen


def test_pacing_imports_no_io_library() -> None:
    """The module is pure: importing it loads no aiohttp, anyio or asyncio code of its own."""
    import ast
    import inspect

    tree = ast.parse(inspect.getsource(pacing))
    imported = {
        alias.name.split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, (ast.Import, ast.ImportFrom))
        for alias in (
            node.names if isinstance(node, ast.Import) else [ast.alias(node.module or "")]
        )
    }
    assert not imported & {"aiohttp", "anyio", "asyncio"}
    assert "videoclient._sansio.pacing" in sys.modules
