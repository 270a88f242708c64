"""Completion forecast and capacity: hand-computed cases, no history and zero throughput, headcount in a simulation."""

from __future__ import annotations

import math
from datetime import date, timedelta

import numpy as np
import pytest

from projects.sla.forecast import (
    CANNOT_FINISH,
    DONE,
    FORECAST,
    NO_HISTORY,
    days_to_finish,
    forecast_completion,
    headcount_needed,
    misses_due,
    smoothed_rate,
    what_if,
)

MARCH_1 = date(2025, 3, 1)


# -- smoothed rate -----------------------------------------------------------------------------------


def test_smoothed_rate_weighs_yesterday_twice_a_day_one_half_life_older():
    # Half-life 1 day: weights 0.5 (older day) and 1 (newest day).
    # (10 * 0.5 + 20 * 1) / (0.5 + 1) = 25 / 1.5 = 16.667
    assert smoothed_rate([10, 20], half_life_days=1) == pytest.approx(50 / 3)


def test_smoothed_rate_with_the_default_half_life_of_a_week():
    # Ages 7 and 0 days: weights 0.5 ** (7 / 7) = 0.5 and 1.
    # Days 1-6 between them get 0 labels but weights 0.5 ** (6/7) ... 0.5 ** (1/7).
    # Only the two end days carry labels: (100 * 0.5 + 100 * 1) / sum(0.5 ** (k / 7) for k in 0..7).
    series = [100, 0, 0, 0, 0, 0, 0, 100]
    denominator = sum(0.5 ** (k / 7) for k in range(8))
    assert smoothed_rate(series) == pytest.approx(150 / denominator)


def test_smoothed_rate_reads_only_the_window():
    # Window 3: the old 1000s drop out; an infinite half-life is a plain mean: (10 + 20 + 30) / 3 = 20.
    assert smoothed_rate([1000, 1000, 10, 20, 30], window_days=3, half_life_days=math.inf) == pytest.approx(20)


def test_smoothed_rate_without_history_is_none():
    assert smoothed_rate([]) is None


def test_negative_daily_counts_are_refused():
    with pytest.raises(ValueError, match="not negative"):
        smoothed_rate([10, -1])


# -- completion forecast -----------------------------------------------------------------------------


def test_steady_vendor_forecast_and_degenerate_range():
    # 50 a day every day: rate 50; 120 remaining needs ceil(120 / 50) = ceil(2.4) = 3 days
    # counted from the day after March 1: March 2, 3, 4 -> completion March 4.
    # Every replayed day is 50 too, so the range collapses onto the point.
    forecast = forecast_completion([50] * 7, remaining=120, as_of=MARCH_1)

    assert forecast.status == FORECAST
    assert forecast.daily_rate == pytest.approx(50)
    assert forecast.days_needed == 3
    assert forecast.completion_date == date(2025, 3, 4)
    assert forecast.optimistic_date == forecast.pessimistic_date == date(2025, 3, 4)


def test_exact_division_does_not_add_a_day():
    # 150 / 50 = 3 days exactly, not 4.
    assert forecast_completion([50, 50], remaining=150, as_of=MARCH_1).completion_date == date(2025, 3, 4)
    # Float rate: 0.3 / 0.1 is 2.9999999999999996 in binary; still 3 days.
    assert days_to_finish(0.3, 0.1) == 3


def test_misses_due_compares_the_point_forecast_with_the_due_date():
    forecast = forecast_completion([50] * 7, remaining=120, as_of=MARCH_1)  # completion March 4

    assert misses_due(forecast, date(2025, 3, 4)) is False  # done by the end of the due day
    assert misses_due(forecast, date(2025, 3, 3)) is True


def test_range_from_replayed_days_matches_the_hand_computed_distribution():
    # Days of 10 and 30, equal weights (infinite half-life): rate 20; 30 remaining -> ceil(30 / 20) = 2 days.
    # Replaying days: first day 30 -> done in 1 day (p = 1/2);
    # 10 then 30 -> 2 days (p = 1/4); 10, 10, then anything (>= 30) -> 3 days (p = 1/4).
    # CDF: P(<=1) = 0.5, P(<=2) = 0.75, P(<=3) = 1.
    # 10th percentile: 1 day (March 2); 90th percentile: 3 days (March 4). Far from the CDF's steps, so
    # 4000 draws land there for any seed.
    for seed in range(3):
        forecast = forecast_completion(
            [10, 30], remaining=30, as_of=MARCH_1, half_life_days=math.inf, draws=4000, seed=seed
        )
        assert forecast.days_needed == 2
        assert (forecast.optimistic_days, forecast.pessimistic_days) == (1, 3)
        assert forecast.optimistic_date == date(2025, 3, 2)
        assert forecast.pessimistic_date == date(2025, 3, 4)


def test_range_is_seeded_and_contains_the_point_forecast():
    history = [80, 0, 120, 95, 0, 60, 140, 100, 30, 110]
    first = forecast_completion(history, remaining=2000, as_of=MARCH_1, seed=7)
    again = forecast_completion(history, remaining=2000, as_of=MARCH_1, seed=7)

    assert first == again
    assert first.optimistic_days <= first.days_needed <= first.pessimistic_days
    # No replay beats the best day (140) repeated: ceil(2000 / 140) = 15 days.
    assert first.optimistic_days >= math.ceil(2000 / 140)
    assert first.optimistic_days < first.pessimistic_days


def test_finished_work_is_done_on_the_as_of_day():
    forecast = forecast_completion([], remaining=0, as_of=MARCH_1)

    assert forecast.status == DONE
    assert forecast.completion_date == MARCH_1
    assert misses_due(forecast, MARCH_1) is False


def test_no_history_gives_no_forecast_rather_than_a_guess():
    forecast = forecast_completion([], remaining=500, as_of=MARCH_1)

    assert forecast.status == NO_HISTORY
    assert forecast.daily_rate is None
    assert forecast.completion_date is None
    assert forecast.optimistic_date is None and forecast.pessimistic_date is None
    assert misses_due(forecast, date(2025, 3, 31)) is None


def test_zero_throughput_cannot_finish_at_the_current_rate():
    forecast = forecast_completion([0, 0, 0], remaining=500, as_of=MARCH_1)

    assert forecast.status == CANNOT_FINISH
    assert forecast.daily_rate == 0
    assert forecast.completion_date is None
    assert misses_due(forecast, date(2030, 1, 1)) is True
    assert days_to_finish(500, 0) is None


def test_a_rate_needing_more_than_the_horizon_cannot_finish():
    # 1 label a day for 5000 labels: 5000 days > the 3650-day horizon.
    forecast = forecast_completion([1, 1], remaining=5000, as_of=MARCH_1)

    assert forecast.status == CANNOT_FINISH


def test_old_zero_days_do_not_stall_a_vendor_that_started_late():
    # Weights with half-life 1: 0.25, 0.5, 1 -> (0 + 0 + 30) / 1.75 = 17.14 a day; 100 remaining -> 6 days.
    forecast = forecast_completion([0, 0, 30], remaining=100, as_of=MARCH_1, half_life_days=1)

    assert forecast.daily_rate == pytest.approx(30 / 1.75)
    assert forecast.days_needed == math.ceil(100 / (30 / 1.75)) == 6


# -- headcount ---------------------------------------------------------------------------------------


def test_headcount_needed_hand_computed():
    # 7.5 labels an hour * 6 hours = 45 labels per annotator a day.
    # March 1 -> March 11: 10 days to work (March 2 .. March 11). 4500 / (10 * 45) = 10 annotators exactly;
    # 4501 labels need 11. With 6 on the job, 4 (then 5) more.
    plan = headcount_needed(
        remaining=4500,
        as_of=MARCH_1,
        due=date(2025, 3, 11),
        per_annotator_hourly_rate=7.5,
        hours_per_day=6,
        current_headcount=6,
    )
    assert plan.days_available == 10
    assert plan.per_annotator_daily_capacity == 45
    assert plan.required_daily_rate == 450
    assert (plan.needed, plan.additional) == (10, 4)

    one_more_label = headcount_needed(
        remaining=4501,
        as_of=MARCH_1,
        due=date(2025, 3, 11),
        per_annotator_hourly_rate=7.5,
        hours_per_day=6,
        current_headcount=6,
    )
    assert (one_more_label.needed, one_more_label.additional) == (11, 5)


def test_headcount_when_the_current_team_is_enough_adds_nobody():
    # 300 labels, 10 days, 45 a day each: ceil(300 / 450) = 1 annotator; 3 on the job.
    plan = headcount_needed(
        remaining=300,
        as_of=MARCH_1,
        due=date(2025, 3, 11),
        per_annotator_hourly_rate=7.5,
        hours_per_day=6,
        current_headcount=3,
    )
    assert (plan.needed, plan.additional) == (1, 0)


def test_headcount_for_finished_work_is_zero():
    plan = headcount_needed(
        remaining=0, as_of=MARCH_1, due=MARCH_1, per_annotator_hourly_rate=5, hours_per_day=8, current_headcount=2
    )
    assert (plan.needed, plan.additional) == (0, 0)


def test_headcount_with_no_day_left_or_no_productivity_is_impossible_not_a_division_by_zero():
    no_day_left = headcount_needed(
        remaining=100, as_of=MARCH_1, due=MARCH_1, per_annotator_hourly_rate=5, hours_per_day=8, current_headcount=2
    )
    assert no_day_left.needed is None
    assert "no day" in no_day_left.reason

    no_productivity = headcount_needed(
        remaining=100,
        as_of=MARCH_1,
        due=date(2025, 3, 5),
        per_annotator_hourly_rate=0,
        hours_per_day=8,
        current_headcount=2,
    )
    assert no_productivity.needed is None
    assert no_productivity.required_daily_rate == 25  # 100 labels over 4 days
    assert "productivity" in no_productivity.reason


def simulate_days_to_finish(
    *, remaining: float, headcount: int, per_annotator_daily: float, max_days: int
) -> int | None:
    """Day by day: each annotator accepts their daily capacity; the day the total reaches the work, or None."""
    accepted = 0.0
    for day in range(1, max_days + 1):
        accepted += headcount * per_annotator_daily
        if accepted >= remaining:
            return day
    return None


@pytest.mark.parametrize("seed", range(40))
def test_the_headcount_figure_meets_the_due_date_in_a_day_by_day_simulation(seed):
    rng = np.random.default_rng(seed)
    remaining = int(rng.integers(1, 20_000))
    days = int(rng.integers(1, 30))
    hourly = float(rng.choice([2.5, 4.0, 6.25, 7.5, 12.0, 17.3]))
    hours = float(rng.choice([4, 6, 7.5, 8]))
    due = MARCH_1 + timedelta(days=days)

    plan = headcount_needed(
        remaining=remaining,
        as_of=MARCH_1,
        due=due,
        per_annotator_hourly_rate=hourly,
        hours_per_day=hours,
        current_headcount=0,
    )

    finished_on = simulate_days_to_finish(
        remaining=remaining, headcount=plan.needed, per_annotator_daily=hourly * hours, max_days=days
    )
    assert finished_on is not None and MARCH_1 + timedelta(days=finished_on) <= due
    if plan.needed > 1:
        one_fewer = simulate_days_to_finish(
            remaining=remaining, headcount=plan.needed - 1, per_annotator_daily=hourly * hours, max_days=days
        )
        assert one_fewer is None


def test_the_exact_boundary_headcount_finishes_on_the_due_day_and_one_fewer_misses_it():
    # 10 annotators * 45 a day * 10 days = 4500 exactly: finished on day 10, March 11, the due day.
    plan = headcount_needed(
        remaining=4500,
        as_of=MARCH_1,
        due=date(2025, 3, 11),
        per_annotator_hourly_rate=7.5,
        hours_per_day=6,
        current_headcount=0,
    )
    assert simulate_days_to_finish(remaining=4500, headcount=plan.needed, per_annotator_daily=45, max_days=10) == 10
    assert (
        simulate_days_to_finish(remaining=4500, headcount=plan.needed - 1, per_annotator_daily=45, max_days=10) is None
    )


# -- what-if -----------------------------------------------------------------------------------------


def test_what_if_adding_annotators_adds_their_measured_capacity_to_the_smoothed_rate():
    # Rate 50 a day, 1000 remaining -> 20 days: March 21, misses a March 15 due date.
    # Add 2 annotators at 5 an hour * 5 hours = 25 a day each: 50 + 50 = 100 a day -> 10 days: March 11.
    forecast = forecast_completion([50] * 7, remaining=1000, as_of=MARCH_1)
    assert forecast.completion_date == date(2025, 3, 21)

    more_people = what_if(
        forecast, add_annotators=2, per_annotator_hourly_rate=5, hours_per_day=5, due=date(2025, 3, 15)
    )

    assert more_people.daily_rate == pytest.approx(100)
    assert more_people.days_needed == 10
    assert more_people.completion_date == date(2025, 3, 11)
    assert more_people.misses_due is False


def test_what_if_moving_the_due_date():
    forecast = forecast_completion([50] * 7, remaining=1000, as_of=MARCH_1)  # completion March 21

    assert what_if(forecast, due=date(2025, 3, 20)).misses_due is True
    assert what_if(forecast, due=date(2025, 3, 21)).misses_due is False


def test_what_if_for_a_stalled_vendor():
    stalled = forecast_completion([0, 0], remaining=100, as_of=MARCH_1)
    assert what_if(stalled, due=date(2025, 3, 31)).misses_due is True
    # One annotator at 4 an hour * 5 hours = 20 a day: 100 / 20 = 5 days -> March 6.
    rescued = what_if(stalled, add_annotators=1, per_annotator_hourly_rate=4, hours_per_day=5, due=date(2025, 3, 31))
    assert rescued.completion_date == date(2025, 3, 6)
    assert rescued.misses_due is False


def test_what_if_without_history_counts_only_the_added_annotators():
    # No history: base rate taken as 0; 3 annotators * 10 a day = 30 a day; 90 remaining -> 3 days.
    unknown = forecast_completion([], remaining=90, as_of=MARCH_1)
    added = what_if(unknown, add_annotators=3, per_annotator_hourly_rate=2, hours_per_day=5)

    assert added.completion_date == date(2025, 3, 4)
    assert added.misses_due is None


def test_what_if_adding_annotators_needs_their_productivity():
    forecast = forecast_completion([50], remaining=100, as_of=MARCH_1)
    with pytest.raises(ValueError, match="per-annotator rate"):
        what_if(forecast, add_annotators=1)


@pytest.mark.parametrize("pace", [[0, 0, 0], [50] * 7, [12, 30, 41, 25, 33], [400] * 7])
def test_the_headcount_plan_at_the_current_pace_is_what_the_what_if_needs_to_meet_the_due_date(pace):
    # The dashboard shows both: the plan must never say "nobody more" while the what-if says "misses".
    forecast = forecast_completion(pace, remaining=1000, as_of=MARCH_1)
    due = date(2025, 3, 11)
    plan = headcount_needed(
        remaining=1000,
        as_of=MARCH_1,
        due=due,
        per_annotator_hourly_rate=4.0,
        hours_per_day=6,
        current_headcount=3,
        current_daily_rate=forecast.daily_rate or 0.0,
    )

    with_plan = what_if(
        forecast, add_annotators=plan.additional, per_annotator_hourly_rate=4.0, hours_per_day=6, due=due
    )

    assert with_plan.misses_due is False
    if plan.additional:
        one_fewer = what_if(
            forecast, add_annotators=plan.additional - 1, per_annotator_hourly_rate=4.0, hours_per_day=6, due=due
        )
        assert one_fewer.misses_due is True
    assert plan.needed == 3 + plan.additional
