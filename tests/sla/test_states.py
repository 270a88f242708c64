"""SLA state machine: a slowing vendor evaluated hourly on a frozen clock, quality floors with intervals, stickiness."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta

import pytest

from projects.quality.stats.intervals import wilson_interval
from projects.sla.forecast import forecast_completion
from projects.sla.states import (
    AT_RISK,
    BREACHED,
    DAILY_THROUGHPUT,
    DUE_DATE,
    ESCALATED,
    FORECAST,
    GOLD_ACCURACY,
    ON_TRACK,
    QA_ACCEPTANCE,
    RESOLVED,
    TURNAROUND_HOURS,
    Figure,
    SlaFigures,
    SlaPolicy,
    SlaStatus,
    evaluate,
)

START = datetime(2025, 3, 3, 0, 0)  # the batch is pushed on Monday 3 March at midnight
DUE = datetime(2025, 3, 12, 18, 0)  # day 9 of the batch
BATCH_SIZE = 1000
POLICY = SlaPolicy(grace_hours=24, min_gold_accuracy=0.9, min_qa_acceptance=0.95)
FINE = SlaFigures(remaining=100)


class SlowingVendor:
    """Accepts its day's labels evenly over 09:00-17:00: 120 a day for three days, then 40, then 320 from day 11."""

    def daily_target(self, day: int) -> int:
        if day < 3:
            return 120
        if day < 11:
            return 40
        return 320

    def accepted_on(self, day: int, hours_worked: int) -> int:
        return self.daily_target(day) * hours_worked // 8

    def accepted_by(self, now: datetime) -> int:
        today = (now - START).days
        hours_worked_today = min(8, max(0, now.hour - 9))
        total = sum(self.daily_target(day) for day in range(today)) + self.accepted_on(today, hours_worked_today)
        return min(BATCH_SIZE, total)

    def figures(self, now: datetime) -> SlaFigures:
        # As the monitor would: the forecast from complete days only, the breach check on labels counted so far.
        today = (now - START).days
        daily, left = [], BATCH_SIZE
        for day in range(today):
            accepted = min(left, self.daily_target(day))
            daily.append(accepted)
            left -= accepted
        forecast = forecast_completion(daily, remaining=left, as_of=(START + timedelta(days=today - 1)).date())
        return SlaFigures(remaining=BATCH_SIZE - self.accepted_by(now), due=DUE, forecast=forecast)


def run_hourly(vendor: SlowingVendor, policy: SlaPolicy, hours: int) -> list[SlaStatus]:
    statuses, previous = [], None
    for hour in range(hours):
        now = START + timedelta(hours=hour)
        previous = evaluate(vendor.figures(now), policy, previous, now)
        statuses.append(previous)
    return statuses


def test_a_slowing_vendor_goes_at_risk_breached_escalated_each_exactly_once_and_recovery_resolves_it():
    statuses = run_hourly(SlowingVendor(), POLICY, hours=16 * 24)
    changes = [status for status in statuses if status.changed]

    assert [change.state for change in changes] == [ON_TRACK, AT_RISK, BREACHED, ESCALATED, RESOLVED]
    on_track, at_risk, breached, escalated, resolved = changes
    assert on_track.since == START
    # Day 4 at midnight, days [120, 120, 120, 40], weights 0.5 ** (3/7), 0.5 ** (2/7), 0.5 ** (1/7), 1:
    # rate = (120 * 2.469 + 40) / 3.469 = 96.9 a day; 600 left -> ceil(6.19) = 7 days -> 13 March > 12 March.
    # The day before (as of 5 March): rate 120, 640 left -> ceil(5.33) = 6 days -> 11 March, on time.
    assert at_risk.since == datetime(2025, 3, 7, 0, 0)
    assert [reason.figure for reason in at_risk.reasons] == [FORECAST]
    assert at_risk.reasons[0].value == 7 and at_risk.reasons[0].threshold == 6
    # The first hourly run after 18:00 on the due day, with 3 * 120 + 7 * 40 = 640 accepted, 360 left.
    assert breached.since == breached.breach_started == datetime(2025, 3, 12, 19, 0)
    assert [(reason.figure, reason.value) for reason in breached.reasons] == [(DUE_DATE, 360)]
    # Grace of 24 hours from the start of the breach.
    assert escalated.since == datetime(2025, 3, 13, 19, 0)
    assert escalated.breach_started == breached.breach_started
    # Day 11 (14 March) starts with 1000 - 360 - 8 * 40 = 320 left; 40 an hour from 09:00 -> done by 17:00.
    assert resolved.since == datetime(2025, 3, 14, 17, 0)
    assert resolved.reasons == () and resolved.breach_started is None
    # Resolved stays resolved while the figures stay fine: no "on track" notification after it.
    assert statuses[-1].state == RESOLVED and statuses[-1].since == resolved.since


def test_a_vendor_that_keeps_pace_stays_on_track_with_a_single_event():
    class SteadyVendor(SlowingVendor):
        def daily_target(self, day: int) -> int:
            return 120

    statuses = run_hourly(SteadyVendor(), POLICY, hours=12 * 24)

    assert [status.state for status in statuses if status.changed] == [ON_TRACK]


def test_the_same_figures_evaluated_again_never_report_a_change():
    figures = SlaFigures(remaining=100, gold_accuracy=Figure(0.91, 0.86, 0.95))
    status = evaluate(figures, POLICY, None, START)
    assert (status.state, status.changed) == (AT_RISK, True)

    for hour in range(1, 200):
        again = evaluate(figures, POLICY, status, START + timedelta(hours=hour))
        assert not again.changed
        assert again.since == START
        status = again
    assert evaluate(figures, POLICY, status, status.evaluated_at).changed is False


def test_escalation_comes_when_the_grace_time_has_run_out():
    breached_figures = SlaFigures(remaining=10, turnaround_hours=30)
    policy = SlaPolicy(turnaround_hours=24, grace_hours=6)

    breached = evaluate(breached_figures, policy, None, START)
    almost = evaluate(breached_figures, policy, breached, START + timedelta(hours=5, minutes=59))
    escalated = evaluate(breached_figures, policy, almost, START + timedelta(hours=6))

    assert (breached.state, almost.state, escalated.state) == (BREACHED, BREACHED, ESCALATED)
    assert [breached.changed, almost.changed, escalated.changed] == [True, False, True]
    assert breached.reasons[0].figure == TURNAROUND_HOURS
    assert breached.reasons[0].value == 30 and breached.reasons[0].threshold == 24


def test_a_grace_time_of_zero_escalates_at_once():
    status = evaluate(
        SlaFigures(remaining=10, turnaround_hours=30), SlaPolicy(turnaround_hours=24, grace_hours=0), None, START
    )

    assert status.state == ESCALATED and status.breach_started == START


def test_a_breach_that_improves_only_to_at_risk_stays_breached_and_still_escalates():
    below = SlaFigures(remaining=100, gold_accuracy=Figure(0.80, 0.75, 0.85))
    wavering = SlaFigures(remaining=100, gold_accuracy=Figure(0.89, 0.84, 0.93))

    breached = evaluate(below, POLICY, None, START)
    still = evaluate(wavering, POLICY, breached, START + timedelta(hours=12))
    escalated = evaluate(wavering, POLICY, still, START + timedelta(hours=24))

    assert (breached.state, still.state, escalated.state) == (BREACHED, BREACHED, ESCALATED)
    assert still.breach_started == START and not still.changed
    assert still.reasons[0].verdict == AT_RISK  # the reasons say what the figures say now


def test_at_risk_that_recovers_is_resolved_and_a_new_risk_after_that_is_a_new_event():
    risky = SlaFigures(remaining=100, gold_accuracy=Figure(0.91, 0.86, 0.95))
    at_risk = evaluate(risky, POLICY, None, START)
    resolved = evaluate(FINE, POLICY, at_risk, START + timedelta(hours=1))
    still_resolved = evaluate(FINE, POLICY, resolved, START + timedelta(hours=2))
    again = evaluate(risky, POLICY, still_resolved, START + timedelta(hours=3))

    assert [s.state for s in (at_risk, resolved, still_resolved, again)] == [AT_RISK, RESOLVED, RESOLVED, AT_RISK]
    assert [s.changed for s in (at_risk, resolved, still_resolved, again)] == [True, True, False, True]
    assert again.since == START + timedelta(hours=3)


def test_a_breach_after_resolution_starts_a_new_grace_clock():
    below = SlaFigures(remaining=100, qa_acceptance=Figure(0.80, 0.70, 0.88))
    first = evaluate(below, POLICY, None, START)
    resolved = evaluate(FINE, POLICY, first, START + timedelta(hours=2))
    second = evaluate(below, POLICY, resolved, START + timedelta(hours=30))

    assert second.state == BREACHED and second.breach_started == START + timedelta(hours=30)


@pytest.mark.parametrize(
    ("figure", "expected"),
    [
        (Figure(0.95, 0.92, 0.97), ON_TRACK),  # whole interval above the floor 0.90
        (Figure(0.93, 0.90, 0.96), ON_TRACK),  # lower bound exactly at the floor meets it
        (Figure(0.92, 0.88, 0.95), AT_RISK),  # point above, lower bound below
        (Figure(0.88, 0.84, 0.93), AT_RISK),  # point below, upper bound above: not proven yet
        (Figure(0.88, 0.84, 0.90), AT_RISK),  # upper bound exactly at the floor
        (Figure(0.85, 0.80, 0.89), BREACHED),  # whole interval below
        (Figure(0.85), BREACHED),  # a bare value is its own interval
    ],
)
def test_a_quality_figure_against_its_floor(figure, expected):
    status = evaluate(SlaFigures(remaining=100, gold_accuracy=figure), POLICY, None, START)

    assert status.state == expected
    if expected != ON_TRACK:
        (reason,) = status.reasons
        assert reason.figure == GOLD_ACCURACY
        assert (reason.value, reason.low, reason.high, reason.threshold) == (figure.value, figure.low, figure.high, 0.9)
        assert "floor 0.9" in reason.message


def test_gold_accuracy_with_wilson_intervals_moves_from_at_risk_to_breached_as_evidence_grows():
    # 17 of 20 gold right: 0.85, Wilson 95% interval about 0.64 to 0.95 -> crosses the 0.90 floor: at risk.
    # 170 of 200 right: 0.85, interval about 0.79 to 0.89 -> wholly below: breached.
    small = wilson_interval(17, 20)
    large = wilson_interval(170, 200)
    assert small[0] < 0.9 <= small[1] and large[1] < 0.9

    few = evaluate(SlaFigures(remaining=100, gold_accuracy=Figure(0.85, *small)), POLICY, None, START)
    many = evaluate(
        SlaFigures(remaining=100, gold_accuracy=Figure(0.85, *large)), POLICY, few, START + timedelta(days=1)
    )

    assert (few.state, many.state) == (AT_RISK, BREACHED)
    assert many.changed and many.breach_started == START + timedelta(days=1)


def test_every_crossed_figure_is_a_reason_and_the_worst_sets_the_state():
    figures = SlaFigures(
        remaining=100,
        daily_throughput=Figure(80, 60, 105),
        gold_accuracy=Figure(0.92, 0.88, 0.95),
        qa_acceptance=Figure(0.90, 0.85, 0.93),
    )
    policy = replace(POLICY, min_daily_throughput=100)

    status = evaluate(figures, policy, None, START)

    assert status.state == BREACHED
    assert [(reason.figure, reason.verdict) for reason in status.reasons] == [
        (DAILY_THROUGHPUT, AT_RISK),
        (GOLD_ACCURACY, AT_RISK),
        (QA_ACCEPTANCE, BREACHED),
    ]


def test_figures_without_data_or_without_a_floor_are_skipped():
    figures = SlaFigures(remaining=100, agreement=Figure(0.1), turnaround_hours=1000)

    assert evaluate(figures, POLICY, None, START).state == ON_TRACK  # POLICY sets neither limit


def test_a_forecast_without_history_is_not_a_risk_but_a_stalled_vendor_is():
    no_history = forecast_completion([], remaining=500, as_of=date(2025, 3, 3))
    stalled = forecast_completion([0, 0, 0], remaining=500, as_of=date(2025, 3, 3))

    unknown = evaluate(SlaFigures(remaining=500, due=DUE, forecast=no_history), POLICY, None, START)
    stuck = evaluate(SlaFigures(remaining=500, due=DUE, forecast=stalled), POLICY, None, START)

    assert unknown.state == ON_TRACK
    assert stuck.state == AT_RISK
    assert "cannot finish" in stuck.reasons[0].message and stuck.reasons[0].value is None


def test_finished_work_is_never_late():
    late_but_done = SlaFigures(remaining=0, due=DUE, forecast=forecast_completion([], remaining=0, as_of=DUE.date()))

    assert evaluate(late_but_done, POLICY, None, DUE + timedelta(days=3)).state == ON_TRACK


def test_evaluations_cannot_go_back_in_time():
    status = evaluate(FINE, POLICY, None, START)
    with pytest.raises(ValueError, match="forward in time"):
        evaluate(FINE, POLICY, status, START - timedelta(minutes=1))


def test_a_figure_interval_must_contain_its_value():
    with pytest.raises(ValueError, match="low <= value <= high"):
        Figure(0.9, 0.92, 0.95)


def test_policy_floors_are_shares():
    with pytest.raises(ValueError, match="min_gold_accuracy"):
        SlaPolicy(min_gold_accuracy=90)
