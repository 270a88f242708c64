"""The gold gate's pass rule, without a database: the Wilson upper bound against the floor, after K answers."""

from __future__ import annotations

import pytest

from projects.quality.stats.intervals import wilson_interval
from projects.workforce.gates import Decision, GateRule, GoldAnswer, judge_gold

RULE = GateRule(min_gold_answers=5, accuracy_floor=0.7, onboarding_tasks=10, onboarding_min_gold=5)


def answers(*correct: bool, every: int = 1) -> list[GoldAnswer]:
    return [GoldAnswer(position=(index + 1) * every, correct=value) for index, value in enumerate(correct)]


def test_no_verdict_before_k_gold_answers_however_wrong():
    verdict = judge_gold(answers(False, False, False, False), RULE, tasks_done=4)
    assert verdict.decision is Decision.TOO_EARLY
    assert "no verdict before 5 gold answers" in verdict.reason


def test_one_right_of_five_is_paused_with_its_interval_in_the_reason():
    verdict = judge_gold(answers(True, False, False, False, False), RULE, tasks_done=5)
    low, high = wilson_interval(1, 5)
    assert verdict.decision is Decision.PAUSE
    assert (verdict.low, verdict.high) == (low, high)
    assert high < 0.7
    assert "during onboarding" in verdict.reason
    assert f"Wilson 95% interval {low:.0%} to {high:.0%}" in verdict.reason
    assert "below the project's floor of 70%" in verdict.reason
    assert verdict.passing_answers == 0  # never passed: everything they labeled goes to QA


def test_an_unlucky_careful_annotator_is_not_paused_while_the_upper_bound_reaches_the_floor():
    # 2 of 5 is a 40% point estimate, but its upper bound (77%) still allows an annotator above the floor.
    verdict = judge_gold(answers(True, False, True, False, False), RULE, tasks_done=5)
    assert verdict.decision is Decision.PASS
    assert verdict.high >= 0.7


def test_continuous_gold_pauses_after_onboarding_and_names_the_last_passing_point():
    history = answers(*([True] * 6 + [False] * 14), every=3)  # gold at the project's rate: one task in three
    verdict = judge_gold(history, RULE, tasks_done=60)
    assert verdict.decision is Decision.PAUSE
    assert not verdict.in_onboarding
    assert "on continuous gold" in verdict.reason
    # the rule still passed with 6 right of the first 13 answers and no later
    assert verdict.passing_answers == 13
    assert wilson_interval(6, 13)[1] >= 0.7 > wilson_interval(6, 14)[1]


def test_an_onboarding_with_too_little_gold_is_said_in_the_reason():
    verdict = judge_gold(answers(True, True, every=5), RULE, tasks_done=12)
    assert verdict.onboarding_gold == 2
    assert verdict.onboarding_short
    assert "onboarding held 2 gold, fewer than the policy asks" in verdict.reason


@pytest.mark.parametrize("floor", [-0.1, 1.5])
def test_a_floor_outside_zero_to_one_is_refused(floor):
    with pytest.raises(ValueError, match="share between 0 and 1"):
        GateRule(min_gold_answers=5, accuracy_floor=floor)
