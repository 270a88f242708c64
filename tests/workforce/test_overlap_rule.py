"""Dynamic overlap's rule, task by task: raise by one, stop, or wait (no database)."""

from __future__ import annotations

import pytest

from projects.workforce.overlap_rule import Action, Rule, TaskState, decide

RULE = Rule(target=0.8, maximum_overlap=5)


def test_a_task_below_the_target_with_all_its_annotators_in_gets_one_more():
    decision = decide(TaskState(overlap=2, annotators=2, figure=0.5), RULE)
    assert (decision.action, decision.to_overlap) == (Action.RAISE, 3)
    assert "0.50 is below the target 0.80" in decision.why


@pytest.mark.parametrize("figure", [0.8, 0.97, 1.0])
def test_a_task_at_or_above_the_target_stops(figure):
    decision = decide(TaskState(overlap=2, annotators=2, figure=figure), RULE)
    assert (decision.action, decision.to_overlap) == (Action.STOP, 2)


def test_a_task_still_waiting_for_its_annotators_is_left_alone_whatever_its_figure():
    assert decide(TaskState(overlap=3, annotators=2, figure=0.4), RULE).action is Action.WAIT
    assert decide(TaskState(overlap=2, annotators=0, figure=None), RULE).action is Action.WAIT


def test_a_task_at_the_maximum_stops_below_the_target():
    decision = decide(TaskState(overlap=5, annotators=5, figure=0.4), RULE)
    assert (decision.action, decision.to_overlap) == (Action.STOP, 5)
    assert "maximum of 5" in decision.why


def test_a_task_never_goes_past_the_maximum_even_when_more_labeled_it_than_it_was_set_to_get():
    assert decide(TaskState(overlap=2, annotators=5, figure=0.4), RULE).action is Action.STOP
    decision = decide(TaskState(overlap=2, annotators=3, figure=0.4), RULE)
    assert (decision.action, decision.to_overlap) == (Action.RAISE, 4)  # one more than those who labeled it


def test_a_gold_or_adjudicated_task_stops():
    assert decide(TaskState(overlap=2, annotators=2, figure=None, settled=True), RULE).action is Action.STOP


def test_a_labeled_task_without_a_figure_gets_one_more():
    assert decide(TaskState(overlap=2, annotators=2, figure=None), RULE).action is Action.RAISE


def test_raising_one_step_at_a_time_reaches_the_maximum_and_no_further():
    overlap, steps = 2, []
    for _ in range(10):
        decision = decide(TaskState(overlap=overlap, annotators=overlap, figure=0.5), RULE)
        if decision.action is not Action.RAISE:
            break
        overlap = decision.to_overlap
        steps.append(overlap)
    assert steps == [3, 4, 5]
