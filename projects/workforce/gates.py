"""The gold gate's pass rule (pure): after at least K gold answers, an annotator whose gold accuracy's Wilson
upper bound is below the project's floor is paused.

The upper bound, not the point estimate, decides: a pause says that even the best accuracy the evidence allows
(at 95% confidence) is below the floor, so a careful annotator unlucky on a few items is not paused. The verdict
carries the interval and says it in its reason, with the last point at which the annotator was passing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from projects.quality.stats.intervals import Z_95, wilson_interval


class Decision(StrEnum):
    TOO_EARLY = "too_early"  # fewer than K gold answers: no verdict
    PASS = "pass"
    PAUSE = "pause"


@dataclass(frozen=True)
class GateRule:
    min_gold_answers: int  # K
    accuracy_floor: float  # a share in [0, 1]
    onboarding_tasks: int = 0  # N: the first N tasks are onboarding
    onboarding_min_gold: int = 0  # M: gold wanted among them
    z: float = Z_95

    def __post_init__(self) -> None:
        if self.min_gold_answers < 1:
            raise ValueError("the gate needs at least one gold answer before a verdict (K >= 1)")
        if not 0 <= self.accuracy_floor <= 1:
            raise ValueError(f"the accuracy floor is a share between 0 and 1, got {self.accuracy_floor}")


@dataclass(frozen=True)
class GoldAnswer:
    """One gold task as the annotator answered it: its position among all their tasks (1 = first) and whether
    it matched the gold answer."""

    position: int
    correct: bool


@dataclass(frozen=True)
class GateVerdict:
    decision: Decision
    seen: int
    correct: int
    low: float | None
    high: float | None
    floor: float
    min_gold_answers: int
    in_onboarding: bool  # the verdict comes within the annotator's first N tasks
    onboarding_gold: int  # gold answers among the first N tasks
    onboarding_short: bool  # fewer than M gold among the first N tasks (once N tasks are done)
    passing_answers: int  # gold answers up to the last point the gate was passing (0: never passed)
    reason: str

    def figures(self) -> dict:
        return {
            "decision": self.decision.value,
            "gold_seen": self.seen,
            "gold_correct": self.correct,
            "accuracy": self.correct / self.seen if self.seen else None,
            "wilson_low": self.low,
            "wilson_high": self.high,
            "floor": self.floor,
            "min_gold_answers": self.min_gold_answers,
            "in_onboarding": self.in_onboarding,
            "onboarding_gold": self.onboarding_gold,
            "onboarding_short": self.onboarding_short,
            "passing_answers": self.passing_answers,
        }


def _upper(correct: int, seen: int, z: float) -> float:
    interval = wilson_interval(correct, seen, z)
    assert interval is not None
    return interval[1]


def judge_gold(answers: Sequence[GoldAnswer], rule: GateRule, *, tasks_done: int) -> GateVerdict:
    """The gate's verdict on an annotator's gold answers (in the order given), having done `tasks_done` tasks."""
    ordered = sorted(answers, key=lambda answer: answer.position)
    seen = len(ordered)
    correct = sum(answer.correct for answer in ordered)
    onboarding_gold = sum(answer.position <= rule.onboarding_tasks for answer in ordered)
    in_onboarding = tasks_done <= rule.onboarding_tasks
    onboarding_short = (
        rule.onboarding_min_gold > 0
        and tasks_done >= rule.onboarding_tasks
        and onboarding_gold < rule.onboarding_min_gold
    )
    passing, running = 0, 0
    for count, answer in enumerate(ordered, start=1):
        running += answer.correct
        if count >= rule.min_gold_answers and _upper(running, count, rule.z) >= rule.accuracy_floor:
            passing = count
    interval = wilson_interval(correct, seen, rule.z)
    low, high = interval if interval else (None, None)
    if seen < rule.min_gold_answers:
        decision = Decision.TOO_EARLY
    elif high is not None and high < rule.accuracy_floor:
        decision = Decision.PAUSE
    else:
        decision = Decision.PASS
    verdict = GateVerdict(
        decision=decision,
        seen=seen,
        correct=correct,
        low=low,
        high=high,
        floor=rule.accuracy_floor,
        min_gold_answers=rule.min_gold_answers,
        in_onboarding=in_onboarding,
        onboarding_gold=onboarding_gold,
        onboarding_short=onboarding_short,
        passing_answers=passing,
        reason="",
    )
    return _with_reason(verdict)


def _share(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.0%}"


def _with_reason(verdict: GateVerdict) -> GateVerdict:
    score = f"{verdict.correct} of {verdict.seen} gold answers right"
    interval = f"Wilson 95% interval {_share(verdict.low)} to {_share(verdict.high)}"
    if verdict.decision is Decision.TOO_EARLY:
        text = f"{score}: no verdict before {verdict.min_gold_answers} gold answers."
    elif verdict.decision is Decision.PASS:
        text = f"{score} ({interval}): the upper bound is at or above the floor of {_share(verdict.floor)}."
    else:
        stage = "during onboarding" if verdict.in_onboarding else "on continuous gold"
        text = (
            f"Paused {stage}: {score} ({interval}). Even the upper bound is below the project's floor of"
            f" {_share(verdict.floor)}: the chance that this annotator's true gold accuracy reaches"
            f" {_share(verdict.high)} is about 2.5%."
        )
    if verdict.onboarding_short:
        text += f" Their onboarding held {verdict.onboarding_gold} gold, fewer than the policy asks."
    return GateVerdict(**{**verdict.__dict__, "reason": text})
