"""Dynamic overlap: after a pull, each task still below the project's target gets one more annotator in Label
Studio (its own `overlap`), up to the maximum; annotate owns the Label Studio project's "annotations per task"
and re-applies its per-task values when someone changed it there. Every change is recorded with its figure.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import numpy as np
from django.db import transaction
from django.db.models import Count

from projects.audit import Actor, records_actor
from projects.labelstudio.client import LabelStudioClient, LabelStudioError
from projects.labelstudio.task_overlap import project_overlap, set_project_overlap, set_task_overlap, task_overlaps
from projects.models import Annotation, Batch, ItemConsensus, LabelingProject, LabelStudioProject, PushedTask
from projects.models.overlap import OverlapChange, OverlapPolicy
from projects.quality.consensus.build import batch_consensus
from projects.workforce.overlap_rule import Action, Rule, TaskState, decide

logger = logging.getLogger(__name__)
SETTLED_METHODS = {ItemConsensus.Method.GOLD.value, ItemConsensus.Method.ADJUDICATION.value}


@dataclass
class OverlapRun:
    """What one application of the policy did, over every Label Studio project of the project."""

    raised: int = 0
    stopped: int = 0
    waiting: int = 0
    reapplied: int = 0
    drifted: list[str] = field(default_factory=list)  # Label Studio projects whose overlap had been changed there
    errors: list[str] = field(default_factory=list)


@records_actor
def apply_overlap_policy(*, project: LabelingProject, actor: Actor) -> OverlapRun:
    """Raise by one the overlap of every task below the target whose annotators are all in, up to the maximum.

    Nothing happens when the project has no policy or it is off. Safe to rerun: a raised task waits for its
    new annotator before it is judged again. A Label Studio project that fails is reported in `errors` and
    the others go on.
    """
    run = OverlapRun()
    policy = OverlapPolicy.objects.filter(project=project, enabled=True).first()
    if policy is None:
        return run
    label_studio_projects = LabelStudioProject.objects.filter(
        batch__project=project, kind=LabelStudioProject.Kind.LABELING, connection__is_active=True
    ).select_related("batch__project", "connection")
    for label_studio_project in label_studio_projects.order_by("pk"):
        try:
            client = LabelStudioClient.for_connection(label_studio_project.connection)
            _restore_after_drift(client, label_studio_project, policy, run, actor)
            _raise_below_target(client, label_studio_project, policy, run, actor)
        except LabelStudioError as failure:
            logger.warning("Overlap policy for %s: %s", label_studio_project, failure)
            run.errors.append(str(failure))
    return run


def current_overlaps(label_studio_project: LabelStudioProject, start: int) -> dict[int, int]:
    """Task → the overlap annotate set it to in this Label Studio project (its last change, else the start)."""
    overlaps = dict.fromkeys(label_studio_project.tasks.values_list("task_id", flat=True), start)
    for task, to_overlap in (
        OverlapChange.objects.filter(label_studio_project=label_studio_project)
        .order_by("id")
        .values_list("task_id", "to_overlap")
    ):
        overlaps[task] = to_overlap
    return overlaps


def _annotators(label_studio_project: LabelStudioProject) -> dict[int, int]:
    """Task → distinct annotators whose label (not a skip) on it in this Label Studio project is live."""
    task_ids = PushedTask.objects.filter(label_studio_project=label_studio_project).values("label_studio_task_id")
    counts = (
        Annotation.objects.filter(
            connection=label_studio_project.connection,
            label_studio_task_id__in=task_ids,
            is_deleted=False,
            was_cancelled=False,
        )
        .values("task_id")
        .annotate(annotators=Count("label_studio_user_id", distinct=True))
    )
    return {row["task_id"]: row["annotators"] for row in counts}


def task_figures(batch: Batch, statistic: str) -> tuple[dict[int, float], set[int]]:
    """Per task of the batch, its least sure control's figure, and the tasks whose every control is settled.

    The consensus confidence is what `aggregate_batch` stores as ItemConsensus.confidence (the Dawid-Skene
    posterior of the top label, or its vote share); agreement is the top label's vote share.
    """
    if not Annotation.objects.filter(task__batch=batch, is_deleted=False, was_cancelled=False).exists():
        return {}, set()
    summary, consensus_rows = batch_consensus(batch)
    figures: dict[int, float] = {}
    unsettled: set[int] = set()
    seen: set[int] = set()
    for rows in consensus_rows:
        for task, method, confidence in zip(rows.task, rows.method, rows.confidence, strict=True):
            seen.add(task)
            if method not in SETTLED_METHODS:
                unsettled.add(task)
            if statistic == OverlapPolicy.Statistic.CONSENSUS:
                figures[task] = min(figures.get(task, 1.0), confidence)
    if statistic == OverlapPolicy.Statistic.AGREEMENT:
        for control in summary.controls.values():
            table = control.majority_table
            _, top = table.winners()
            for task, share in zip(np.asarray(table.item_ids).tolist(), top.tolist(), strict=True):
                figures[task] = min(figures.get(task, 1.0), float(share))
    return figures, seen - unsettled


def _raise_below_target(
    client: LabelStudioClient,
    label_studio_project: LabelStudioProject,
    policy: OverlapPolicy,
    run: OverlapRun,
    actor: Actor,
) -> None:
    rule = Rule(target=policy.target, maximum_overlap=policy.maximum_overlap)
    overlaps = current_overlaps(label_studio_project, policy.starting_overlap)
    annotators = _annotators(label_studio_project)
    figures, settled = task_figures(label_studio_project.batch, policy.statistic)
    label_studio_ids = dict(label_studio_project.tasks.values_list("task_id", "label_studio_task_id"))
    for task, overlap in sorted(overlaps.items()):
        state = TaskState(overlap, annotators.get(task, 0), figures.get(task), settled=task in settled)
        decision = decide(state, rule)
        if decision.action is Action.WAIT:
            run.waiting += 1
            continue
        if decision.action is Action.STOP:
            run.stopped += 1
            continue
        # Recorded and sent together: a failed PATCH leaves no record, a second worker finds the step taken.
        with transaction.atomic():
            _, created = OverlapChange.objects.get_or_create(
                label_studio_project=label_studio_project, task_id=task, to_overlap=decision.to_overlap,
                reason=OverlapChange.Reason.BELOW_TARGET,
                defaults=dict(from_overlap=overlap, statistic=policy.statistic, figure=state.figure,
                              target=policy.target, annotators=state.annotators, actor=str(actor)),
            )  # fmt: skip
            if created:
                set_task_overlap(
                    client, label_studio_ids[task], overlap=decision.to_overlap, annotators=state.annotators
                )
                run.raised += 1


def _restore_after_drift(
    client: LabelStudioClient,
    label_studio_project: LabelStudioProject,
    policy: OverlapPolicy,
    run: OverlapRun,
    actor: Actor,
) -> None:
    """When the project's overlap was changed in Label Studio (which rewrote its tasks'), put back annotate's."""
    project_id = label_studio_project.label_studio_id
    live = project_overlap(client, project_id)
    if live == policy.starting_overlap:
        return
    run.drifted.append(f"{label_studio_project}: annotations per task {live}, annotate's {policy.starting_overlap}")
    set_project_overlap(client, project_id, policy.starting_overlap)
    wanted = current_overlaps(label_studio_project, policy.starting_overlap)
    annotators = _annotators(label_studio_project)
    tasks = dict(label_studio_project.tasks.values_list("label_studio_task_id", "task_id"))
    held = dict(task_overlaps(client, project_id))
    for label_studio_task_id, task in sorted(tasks.items()):
        if held.get(label_studio_task_id) in (None, wanted[task]):
            continue
        count = annotators.get(task, 0)
        set_task_overlap(client, label_studio_task_id, overlap=wanted[task], annotators=count)
        OverlapChange.objects.create(
            task_id=task, label_studio_project=label_studio_project, from_overlap=held[label_studio_task_id],
            to_overlap=wanted[task], reason=OverlapChange.Reason.DRIFT, statistic=policy.statistic, figure=None,
            target=policy.target, annotators=count, actor=str(actor),
        )  # fmt: skip
        run.reapplied += 1


@records_actor
def apply_overlap_policies(*, actor: Actor, project_slug: str | None = None) -> dict[str, OverlapRun]:
    """`apply_overlap_policy` for every project whose policy is on (or the one project named), after a pull."""
    projects = LabelingProject.objects.filter(overlap_policy__enabled=True).order_by("pk")
    if project_slug:
        projects = projects.filter(slug=project_slug)
    return {project.slug: apply_overlap_policy(project=project, actor=actor) for project in projects}
