"""Anomaly flags per annotator: each kind on hand-made rows, then the demo's simulated workforce."""

from __future__ import annotations

import datetime as dt
import statistics

import numpy as np
import pytest

from projects.quality.anomalies.queries import annotator_flags
from projects.quality.stats.anomalies import (
    AGREEMENT_DRIFT,
    FAST,
    GOLD_FAILURE_STREAK,
    STRAIGHT_LINING,
    AnnotationRow,
    AnomalyThresholds,
    Flag,
    _median_without,
    agreement_with_consensus,
    flag_annotators,
    risk_weight_for,
)
from tests.quality.simulated_workforce import simulate_batch

START = dt.datetime(2026, 11, 16, 9, 0, tzinfo=dt.UTC)
SCENARIOS = ("refund", "return", "damaged", "not_received", "late_delivery")


def row(annotator: str, minute: int, *, lead_time: float = 60.0, scenario: str | None = None, **facts) -> AnnotationRow:
    labels = {"scenario": scenario or SCENARIOS[minute % len(SCENARIOS)]}
    return AnnotationRow(annotator, START + dt.timedelta(minutes=minute), lead_time, labels, **facts)


def peers(count: int = 60) -> list[AnnotationRow]:
    return [row(name, minute, lead_time=50.0 + minute % 20) for name in ("ann", "bo") for minute in range(count)]


def kinds(flags: list[Flag]) -> list[str]:
    return [flag.kind for flag in flags]


def test_someone_who_sped_up_far_below_their_own_norm_and_their_peers_is_flagged_fast():
    rows = peers() + [row("cy", minute, lead_time=60.0 if minute < 40 else 12.0) for minute in range(80)]

    flags = flag_annotators(rows)

    assert kinds(flags["cy"]) == [FAST]
    assert "0.2" in flags["cy"][0].reason and "own earlier median 60 s" in flags["cy"][0].reason
    assert flags["cy"][0].figures["ratio_to_own"] == 0.2
    assert "ann" not in flags and "bo" not in flags


def test_someone_quicker_than_peers_but_within_their_own_habit_and_the_peers_factor_is_not_flagged():
    rows = peers() + [row("cy", minute, lead_time=35.0) for minute in range(80)]

    assert flag_annotators(rows) == {}


def test_a_newcomer_far_faster_than_peers_is_flagged_against_peers_alone():
    rows = peers() + [row("cy", minute, lead_time=10.0) for minute in range(15)]

    (flag,) = flag_annotators(rows)["cy"]

    assert flag.kind == FAST and "no earlier norm of their own yet" in flag.reason


def test_one_label_far_beyond_its_base_rate_is_straight_lining():
    rows = peers() + [row("sam", minute, scenario="refund") for minute in range(25)]

    (flag,) = flag_annotators(rows)["sam"]

    assert flag.kind == STRAIGHT_LINING
    assert flag.figures == {"control": "scenario", "label": "refund", "count": 25, "share": 1.0, "base_rate": 0.2}
    assert "'refund' 25 of 25 times (100%)" in flag.reason and "base rate is 20%" in flag.reason


def test_a_label_common_for_everyone_is_not_straight_lining():
    rows = [row(name, minute, scenario="refund") for name in ("ann", "bo", "cy") for minute in range(30)]

    assert flag_annotators(rows) == {}


def test_too_few_answers_are_not_straight_lining():
    rows = peers() + [row("sam", minute, scenario="refund") for minute in range(10)]

    assert flag_annotators(rows) == {}


def test_consecutive_gold_failures_make_a_streak_with_its_length_and_when():
    outcomes = [True, False, True, False, False, False, False, True, False]
    rows = peers() + [row("gus", minute, gold_correct=outcome) for minute, outcome in enumerate(outcomes)]

    (flag,) = flag_annotators(rows)["gus"]

    assert flag.kind == GOLD_FAILURE_STREAK
    assert flag.figures["streak"] == 4
    assert flag.figures["started"] == START + dt.timedelta(minutes=3)
    assert flag.reason == "failed 4 gold tasks in a row, 2026-11-16 09:03 to 2026-11-16 09:06"


def test_scattered_gold_failures_are_no_streak():
    outcomes = [False, False, False, True] * 5
    rows = [row("gus", minute, gold_correct=outcome) for minute, outcome in enumerate(outcomes)]

    assert flag_annotators(rows) == {}


def test_agreement_falling_well_below_the_annotators_baseline_is_drift():
    rows = peers() + [row("dee", minute, agrees=minute < 60 or minute % 3 == 0) for minute in range(90)]

    (flag,) = flag_annotators(rows)["dee"]

    assert flag.kind == AGREEMENT_DRIFT
    assert flag.figures == {
        "recent_agreement": 0.333,
        "baseline_agreement": 1.0,
        "recent_items": 30,
        "baseline_items": 60,
    }
    assert "fell to 33% on the last 30 annotations from 100% on the 60 before" in flag.reason


def test_a_small_dip_or_too_little_history_is_no_drift():
    dip = [row("dee", minute, agrees=minute < 60 or minute % 10 != 0) for minute in range(90)]
    short = [row("eve", minute, agrees=minute < 10) for minute in range(40)]

    assert flag_annotators(dip + short) == {}


def test_thresholds_are_checked_and_can_be_loosened():
    with pytest.raises(ValueError, match="straight_share"):
        AnomalyThresholds(straight_share=1.5)
    rows = peers() + [row("gus", minute, gold_correct=False) for minute in range(2)]

    assert flag_annotators(rows) == {}
    assert kinds(flag_annotators(rows, thresholds=AnomalyThresholds(gold_streak=2))["gus"]) == [GOLD_FAILURE_STREAK]


def test_the_sampling_weight_multiplies_once_per_kind():
    fast, streak = Flag(FAST, "fast"), Flag(GOLD_FAILURE_STREAK, "streak")

    assert risk_weight_for([]) == 1.0
    assert risk_weight_for([fast, streak]) == 6.0
    assert risk_weight_for([streak, Flag(GOLD_FAILURE_STREAK, "another control")]) == 3.0


def test_agreement_is_with_the_other_annotators_consensus():
    labels = [
        (1, "t1", {"scenario": "refund"}),
        (2, "t1", {"scenario": "refund"}),
        (3, "t1", {"scenario": "damaged"}),
        (4, "t2", {"scenario": "refund"}),
        (5, "t2", {"scenario": "return"}),
        (6, "t3", {"scenario": "refund"}),
    ]

    # t2 has one other annotator each, who disagree; t3 has nobody else.
    assert agreement_with_consensus(labels) == {1: None, 2: None, 3: False, 4: False, 5: False, 6: None}


@pytest.mark.django_db
@pytest.mark.parametrize("seed", [11, 12, 13])
def test_on_the_simulated_workforce_the_spammer_and_the_fast_sloppy_are_flagged_and_the_careful_are_not(seed):
    simulated = simulate_batch(seed=seed)

    flags = annotator_flags(simulated.project)

    (spammer,) = simulated.annotators_with("spammer")
    assert {FAST, STRAIGHT_LINING} <= set(kinds(flags[spammer]))
    assert any("'refund'" in flag.reason for flag in flags[spammer])
    (fast_sloppy,) = simulated.annotators_with("fast_sloppy")
    assert FAST in kinds(flags[fast_sloppy])
    assert all(flag.reason for flag in flags[spammer] + flags[fast_sloppy])
    for careful in simulated.annotators_with("careful"):
        assert careful not in flags


@pytest.mark.django_db
def test_flags_load_in_two_queries_however_many_annotations(django_assert_num_queries):
    simulated = simulate_batch(seed=21, tasks=40)

    with django_assert_num_queries(2):
        flags = annotator_flags(simulated.project)

    assert all(annotator.vendor.name and annotator.user.username for annotator in flags)


@pytest.mark.parametrize(
    ("everyone", "own"),
    [([1, 2, 3, 4, 5], [3]), ([1, 2, 2, 2, 9, 9], [2, 9]), ([5, 5, 5, 5], [5, 5]), ([1, 7, 8, 30], [1, 30])],
)
def test_the_peers_median_leaves_out_exactly_ones_own_times(everyone, own):
    rest = list(everyone)
    for time in own:
        rest.remove(time)

    assert _median_without(np.array(sorted(everyone), dtype=float), np.array(sorted(own), dtype=float)) == (
        statistics.median(rest)
    )


@pytest.mark.django_db
def test_only_each_annotators_latest_labels_are_read():
    simulated = simulate_batch(seed=11)

    flags = annotator_flags(simulated.project, per_annotator=15)

    # Fifteen labels each are too few for straight-lining (20) or an earlier norm; speed still shows.
    (spammer,) = simulated.annotators_with("spammer")
    assert STRAIGHT_LINING not in kinds(flags[spammer])
    assert "no earlier norm of their own yet" in flags[spammer][0].reason
