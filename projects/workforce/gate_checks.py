"""Evaluating a project's gold gate after a pull: every annotator still labeling is judged by the pass rule
(projects/workforce/gates.py) and paused when it says so, in the gate's own name."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Max
from django.utils import timezone

from projects.audit import Actor, records_actor
from projects.models import Annotator, AnnotatorPause, GoldGatePolicy, LabelingProject
from projects.quality.anomalies.snapshots import current_flags
from projects.workforce.gates import Decision, GateRule, GateVerdict, judge_gold
from projects.workforce.gold_record import gold_records
from projects.workforce.pauses import pause_annotator

GATE = "gold gate"
ANOMALIES = "anomaly flags"


def gate_rule(policy: GoldGatePolicy) -> GateRule:
    return GateRule(
        min_gold_answers=policy.min_gold_answers,
        accuracy_floor=float(policy.accuracy_floor),
        onboarding_tasks=policy.onboarding_tasks,
        onboarding_min_gold=policy.onboarding_min_gold,
    )


@dataclass(frozen=True)
class GateOutcome:
    verdicts: dict[int, GateVerdict]  # annotator → verdict, for annotators not paused before
    pauses: list[AnnotatorPause]


@records_actor
def evaluate_gold_gate(*, project: LabelingProject, actor: Actor) -> GateOutcome:
    """Judge every annotator of the project who is not paused, and pause those the rule pauses.

    Idempotent: a paused annotator is not judged again until reinstated; after a reinstatement only gold answered
    since counts. When the project opts in, anomaly flags pause too (an annotator a person has reinstated on the
    project is left to the gold rule: the flags cover their whole history). A project without an enabled gate is
    left alone.
    """
    policy = GoldGatePolicy.objects.filter(project=project, is_enabled=True).first()
    if policy is None:
        return GateOutcome({}, [])
    paused = set(
        AnnotatorPause.objects.filter(project=project, reinstated_at=None).values_list("annotator_id", flat=True)
    )
    reinstated = dict(
        AnnotatorPause.objects.filter(project=project, reinstated_at__isnull=False)
        .values("annotator_id")
        .annotate(last=Max("reinstated_at"))
        .values_list("annotator_id", "last")
    )
    rule = gate_rule(policy)
    gate = Actor.system(GATE, via=actor.via)
    verdicts, pauses = {}, []
    for annotator, record in sorted(gold_records(project=project, since=reinstated).items()):
        if annotator in paused:
            continue
        verdict = judge_gold(record.answers, rule, tasks_done=record.tasks_done)
        verdicts[annotator] = verdict
        if verdict.decision is not Decision.PAUSE:
            continue
        passing = verdict.passing_answers
        since = record.answered_at[passing - 1] if passing else reinstated.get(annotator)
        pauses.append(
            pause_annotator(
                annotator=Annotator.objects.select_related("user", "vendor").get(pk=annotator),
                project=project,
                reason=verdict.reason,
                rule=GATE,
                figures=verdict.figures(),
                labels_since=since,
                actor=gate,
            )
        )
    if policy.pause_on_anomalies:
        spared = paused | set(reinstated) | {pause.annotator_id for pause in pauses}
        pauses += _pause_on_anomalies(project, spared, gate)
    return GateOutcome(verdicts, pauses)


def _pause_on_anomalies(project: LabelingProject, spared: set[int], gate: Actor) -> list[AnnotatorPause]:
    _, flagged = current_flags(project=project, now=timezone.now())
    return [
        pause_annotator(
            annotator=annotator,
            project=project,
            reason="Paused on anomaly flags: " + " ".join(flag.reason for flag in flags),
            rule=ANOMALIES,
            figures={"flags": [{"kind": flag.kind, "reason": flag.reason, **flag.figures} for flag in flags]},
            actor=gate,
        )
        for annotator, flags in flagged
        if annotator.pk not in spared
    ]
