"""Dynamic overlap's rule: for one task, raise its overlap by one, stop, or wait. Pure: plain numbers in and out."""

from __future__ import annotations

import enum
from dataclasses import dataclass


class Action(enum.Enum):
    RAISE = "raise"  # one more annotator
    STOP = "stop"  # no more annotators: the target is reached, or the maximum
    WAIT = "wait"  # the task has not yet had the annotators it was given


@dataclass(frozen=True)
class Rule:
    target: float
    maximum_overlap: int


@dataclass(frozen=True)
class TaskState:
    overlap: int  # annotators the task is set to get
    annotators: int  # distinct annotators who labeled it
    figure: float | None  # its statistic (least sure control); None when nothing can be said (no labels)
    settled: bool = False  # its answer is fixed whatever the annotators say (gold, adjudicated)


@dataclass(frozen=True)
class Decision:
    action: Action
    to_overlap: int
    why: str


def decide(state: TaskState, rule: Rule) -> Decision:
    """One more annotator for a task whose annotators are all in and whose statistic is below the target,
    unless it is at the maximum; a task still waiting for its annotators is left as it is."""
    if state.settled:
        return Decision(Action.STOP, state.overlap, "its answer is settled (gold or adjudicated)")
    if state.annotators < state.overlap:
        return Decision(Action.WAIT, state.overlap, f"{state.annotators} of {state.overlap} annotators so far")
    if state.figure is not None and state.figure >= rule.target:
        return Decision(Action.STOP, state.overlap, f"{state.figure:.2f} reached the target {rule.target:.2f}")
    reached = max(state.overlap, state.annotators)  # more may have labeled it than it was set to get
    if reached >= rule.maximum_overlap:
        return Decision(Action.STOP, state.overlap, f"at the maximum of {rule.maximum_overlap} annotators")
    figure = "no figure" if state.figure is None else f"{state.figure:.2f}"
    return Decision(Action.RAISE, reached + 1, f"{figure} is below the target {rule.target:.2f}")
