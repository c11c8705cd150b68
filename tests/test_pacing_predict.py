"""Predicted ends from progress, and how they shape waits (pure, no event loop)."""

from __future__ import annotations

import itertools

import pytest

from videoclient import Video
from videoclient._sansio import pacing as pacing


def at(progress: int | None, status: str = "in_progress") -> Video:
    return Video(id="video_1", status=status, progress=progress)


def track(*seen: tuple[float, int | None]) -> pacing.ProgressTrack:
    result = pacing.ProgressTrack()
    for when, progress in seen:
        result.observe(when, at(progress))
    return result


# -- ProgressTrack -----------------------------------------------------------------------------


def test_linear_progress_predicts_one_point_past_the_end() -> None:
    """10 % at t=10 and 60 % at t=20 (5 %/s): done at 28, aimed one point later (28.2)."""
    assert track((10, 10), (20, 60)).predicted_end() == pytest.approx(28.2)


def test_prediction_reaches_no_further_than_its_span() -> None:
    """10 % at t=10, 30 % at t=12: the end (19.1) is further than 2 s ahead, so 14 it is."""
    assert track((10, 10), (12, 30)).predicted_end() == pytest.approx(14.0)
    assert track((10, 10), (12, 30), (14, 50)).predicted_end() == pytest.approx(18.0)
    assert track((10, 10), (12, 30), (14, 50), (18, 90)).predicted_end() == pytest.approx(19.1)


@pytest.mark.parametrize(
    "seen",
    [
        pytest.param([], id="nothing-seen"),
        pytest.param([(10, 10)], id="one-sighting"),
        pytest.param([(10, 10), (12, 14)], id="span-below-minimum"),
        pytest.param([(10, 0), (12, 0)], id="queued"),
        pytest.param([(10, None), (12, None)], id="no-progress-reported"),
        pytest.param([(10, 10), (12, 30), (13, 5)], id="went-backwards"),
        pytest.param([(10, 10), (12, 30), (13, None)], id="progress-vanished"),
        pytest.param([(10, 10), (12, 30), (13, 100)], id="at-100"),
    ],
)
def test_no_prediction(seen: list[tuple[float, int | None]]) -> None:
    """No end is predicted without MIN_PROGRESS_SPAN points of real progress watched."""
    assert track(*seen).predicted_end() is None


def test_queue_time_does_not_skew_the_rate() -> None:
    """Sightings at 0 % (queued) are not part of the rate: it starts at the first progress."""
    assert track((0, 0), (5, 0), (10, 10), (20, 60)).predicted_end() == pytest.approx(28.2)


def test_stalled_progress_keeps_its_prediction() -> None:
    """Progress that stops moving keeps the end predicted when it last moved (now in the past)."""
    stalled = track((10, 10), (20, 60), (30, 60), (40, 60))
    assert stalled.predicted_end() == pytest.approx(28.2)


def test_restart_after_going_backwards() -> None:
    """After progress went backwards the rate is measured afresh from there."""
    restarted = track((10, 10), (12, 30), (13, 5), (23, 55))
    assert restarted.predicted_end() == pytest.approx(23 + 46 / 5)


# -- Pacer with predictions ----------------------------------------------------------------------


def test_prediction_stretches_a_hint_to_the_predicted_end() -> None:
    """A hint shorter than the predicted end is stretched to it: polls that cannot succeed are skipped."""
    assert pacing.Pacer().next_delay(0.2, until_done=0.9) == 0.9


def test_prediction_never_shortens_a_hint() -> None:
    """The hint is a minimum: an earlier (or past) predicted end leaves it as it is."""
    pacer = pacing.Pacer()
    assert pacer.next_delay(0.5, until_done=0.1) == 0.5
    assert pacer.next_delay(0.5, until_done=-3.0) == 0.5
    assert pacer.next_delay(12.0, until_done=50.0) == 12.0


def test_stretch_is_capped_at_the_ceiling() -> None:
    """A far predicted end stretches a hint at most to MAX_INTERVAL (a wrong prediction costs <= 10 s)."""
    assert pacing.Pacer().next_delay(0.2, until_done=60.0) == pacing.MAX_INTERVAL


def test_stretch_that_would_reach_the_deadline_is_not_made() -> None:
    """With a deadline closer than the predicted end, the hint is kept (its poll is the last chance)."""
    pacer = pacing.Pacer()
    assert pacer.next_delay(0.2, until_done=5.0, room=3.0) == 0.2
    assert pacer.next_delay(0.2, until_done=5.0, room=6.0) == 5.0


def test_interval_turns_predictions_off() -> None:
    """A caller's poll_interval is used as given, and a hint then waited exactly."""
    pacer = pacing.Pacer(2.0)
    assert pacer.next_delay(None, until_done=0.3) == 2.0
    assert pacer.next_delay(None, until_done=30.0) == 2.0
    assert pacer.next_delay(0.2, until_done=5.0) == 0.2


def test_prediction_cuts_the_backoff_short() -> None:
    """Without a hint, a predicted end sooner than the back-off step brings the poll forward."""
    pacer = pacing.Pacer()
    for _ in range(4):
        pacer.next_delay(None)  # back-off now at 5.06 s
    assert pacer.next_delay(None, until_done=2.0, floor=0.1) == 2.0


def test_prediction_never_lengthens_the_backoff() -> None:
    """A predicted end later than the back-off step leaves the step as it is."""
    assert pacing.Pacer().next_delay(None, until_done=7.0) == pacing.DEFAULT_INTERVAL


def test_cut_backoff_has_a_floor() -> None:
    """A prediction due now (or just missed) waits the floor, not zero."""
    pacer = pacing.Pacer()
    assert pacer.next_delay(None, until_done=0.0, floor=0.25) == 0.25
    assert pacer.next_delay(None, until_done=-0.1, floor=0.25) == 0.25


def test_late_job_backs_off_with_its_lateness() -> None:
    """A job 4 s past its predicted end is polled 2 s later (half its lateness), not at the floor."""
    pacer = pacing.Pacer()
    for _ in range(6):
        pacer.next_delay(None)  # back-off now at 10 s
    assert pacer.next_delay(None, until_done=-4.0, floor=0.1) == 2.0
    assert pacer.next_delay(None, until_done=-40.0, floor=0.1) == pacing.MAX_INTERVAL


def test_never_faster_than_a_hint_with_predictions() -> None:
    """Whatever the prediction, deadline or floor, a delay is never shorter than its hint."""
    pacer = pacing.Pacer()
    hints = (0.0, 0.1, 3.0, 12.0)
    ends = (None, -5.0, 0.0, 0.05, 2.0, 9.0, 100.0)
    rooms = (None, 0.5, 4.0)
    for hint, end, room in itertools.product(hints, ends, rooms):
        assert pacer.next_delay(hint, end, 0.1, room) >= max(hint, pacing.MIN_DELAY)


def test_round_floor_grows_with_the_wait() -> None:
    """The shortest predicted wait is MIN_ROUND, or LAG_SHARE of the time waited if longer."""
    assert pacing.round_floor(0.0) == pacing.MIN_ROUND
    assert pacing.round_floor(180.0) == pytest.approx(180.0 * pacing.LAG_SHARE)


def test_group_until_with_a_hint_is_the_soonest_end_of_all() -> None:
    """With a hint: the soonest predicted end, only when every job has a prediction."""
    assert pacing.group_until([12.0, 9.5], 9.0, hinted=True) == 0.5
    assert pacing.group_until([12.0, None], 9.0, hinted=True) is None
    assert pacing.group_until([], 9.0, hinted=True) is None


def test_group_until_without_a_hint_is_the_job_most_worth_a_look() -> None:
    """Without a hint: jobs without a prediction are ignored, and a late job counts as due in
    half its lateness, so a stalled job does not hide another one about to finish."""
    assert pacing.group_until([None, 12.0, 9.5], 9.0, hinted=False) == 0.5
    assert pacing.group_until([None], 9.0, hinted=False) is None
    assert pacing.group_until([0.0, 10.0], 9.0, hinted=False) == 1.0  # 9 s late: due in 4.5
    assert pacing.group_until([8.0, 10.0], 9.0, hinted=False) == -1.0  # 1 s late: due in 0.5


def test_no_stretch_for_a_progress_watcher() -> None:
    """With stretch off (on_progress given) a hint is waited exactly; a back-off is still cut."""
    pacer = pacing.Pacer(stretch=False)
    assert pacer.next_delay(0.2, until_done=5.0) == 0.2
    assert pacer.next_delay(None, until_done=0.4, floor=0.1) == 0.4
