"""One consolidated label per task: loading a chunk of tasks' label sources and choosing among them.

The label of each control of a task comes from the first of these that gives one:
1. a QA correction (the latest review with verdict "correct" on one of the task's annotations);
2. an adjudication (the latest for the task and control);
3. the item's consensus (ItemConsensus: gold answer, adjudication, Dawid-Skene or majority vote),
   only when its confidence reaches the project's `dataset_confidence_threshold`.
A task whose consensus on some control is below the threshold or still awaits adjudication is left
out as a whole (a half label would read as "no answer" for the rest) and listed with why; so is a
task with no label at all. `load_sources` reads a chunk's sources in four queries, `resolve_label`
decides one task's label.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.db import connection
from django.db.models import Q
from django.db.models.expressions import RawSQL

from projects.models import Adjudication, Annotation, DatasetExclusion, ItemConsensus, Review
from projects.quality.controls import Control
from projects.quality.stats.comparison import control_answer

CONFIDENCE_DIGITS = 4  # stored and hashed rounded: float noise in a re-aggregation is not a new version
CORRECTION = "correction"
ADJUDICATION = "adjudication"
# Weakest last: an item's method is its weakest control's.
METHOD_STRENGTH = (CORRECTION, ADJUDICATION, ItemConsensus.Method.GOLD, "dawid_skene", "majority")


@dataclass
class TaskSources:
    """Every label source of one task, and who made them."""

    consensus: dict[str, tuple[str, Any, float]] = field(default_factory=dict)  # control → (method, label, conf)
    adjudications: dict[str, Any] = field(default_factory=dict)  # control → label (latest)
    correction: list | None = None  # latest corrected result list
    annotators: set[int] = field(default_factory=set)
    reviewers: set[int] = field(default_factory=set)
    adjudicators: set[int] = field(default_factory=set)


def _among(field: str, task_ids: list[int]) -> Q:
    """`field__in=task_ids`; on PostgreSQL as one array parameter.

    A chunk's 5,000 placeholders would cost more to build and quote (Django, then psycopg) than the
    query costs to run.
    """
    if connection.vendor != "postgresql":
        return Q(**{f"{field}__in": task_ids})
    array = "{" + ",".join(str(int(task_id)) for task_id in task_ids) + "}"
    return Q(**{f"{field}__in": RawSQL("SELECT unnest(%s::bigint[])", [array])})


def load_sources(task_ids: list[int]) -> dict[int, TaskSources]:
    """Every label source of these tasks, in four queries whatever their number."""
    sources: dict[int, TaskSources] = defaultdict(TaskSources)
    for task_id, control_name, method, label, confidence in ItemConsensus.objects.filter(
        _among("task_id", task_ids)
    ).values_list("task_id", "control_name", "method", "label", "confidence"):
        sources[task_id].consensus[control_name] = (method, label, confidence)
    for task_id, control_name, label, adjudicator_id in (
        Adjudication.objects.filter(_among("task_id", task_ids))
        .order_by("created_at", "id")
        .values_list("task_id", "control_name", "label", "adjudicator_id")
    ):
        sources[task_id].adjudications[control_name] = label
        sources[task_id].adjudicators.add(adjudicator_id)
    for task_id, verdict, corrected_result, reviewer_id in (
        Review.objects.filter(_among("annotation__task_id", task_ids), annotation__is_deleted=False)
        .order_by("created_at", "id")
        .values_list("annotation__task_id", "verdict", "corrected_result", "reviewer_id")
    ):
        sources[task_id].reviewers.add(reviewer_id)
        if verdict == Review.Verdict.CORRECT and corrected_result:
            sources[task_id].correction = corrected_result
    for task_id, annotator_id in Annotation.objects.filter(
        _among("task_id", task_ids), is_deleted=False, was_cancelled=False, annotator__isnull=False
    ).values_list("task_id", "annotator_id"):
        sources[task_id].annotators.add(annotator_id)
    return sources


@dataclass(frozen=True)
class Resolution:
    """One task's consolidated label, or why it is left out."""

    label: dict[str, Any]
    controls: dict[str, dict[str, Any]]  # control → {"method", "confidence"}
    exclusion: tuple[str, str] | None  # (reason, detail) when the task is left out


def _json_answer(answer: Any) -> Any:
    if isinstance(answer, frozenset):
        return sorted(answer)
    if isinstance(answer, tuple):
        return list(answer)
    return answer


def resolve_label(sources: TaskSources, controls: dict[str, Control], threshold: float) -> Resolution:
    """The task's label per control by precedence (correction > adjudication > consensus above threshold)."""
    label: dict[str, Any] = {}
    chosen: dict[str, dict[str, Any]] = {}
    problems: list[tuple[str, str]] = []
    for name, control in controls.items():
        corrected = control_answer(sources.correction, name, control.kind) if sources.correction else None
        if corrected is not None:
            label[name], chosen[name] = _json_answer(corrected), {"method": CORRECTION, "confidence": 1}
        elif name in sources.adjudications:
            label[name], chosen[name] = sources.adjudications[name], {"method": ADJUDICATION, "confidence": 1}
        elif name in sources.consensus:
            method, consensus_label, confidence = sources.consensus[name]
            confidence = round(float(confidence), CONFIDENCE_DIGITS)
            if consensus_label is None:
                problems.append(
                    (DatasetExclusion.Reason.AWAITING_ADJUDICATION, f"{name}: no majority, not adjudicated")
                )
            elif confidence < threshold:
                problems.append(
                    (DatasetExclusion.Reason.BELOW_THRESHOLD, f"{name}: confidence {confidence:g} < {threshold:g}")
                )
            else:
                label[name], chosen[name] = consensus_label, {"method": method, "confidence": confidence}
    if problems:
        reasons = [reason for reason, _ in problems]
        reason = (
            DatasetExclusion.Reason.AWAITING_ADJUDICATION
            if DatasetExclusion.Reason.AWAITING_ADJUDICATION in reasons
            else DatasetExclusion.Reason.BELOW_THRESHOLD
        )
        return Resolution({}, {}, (reason, "; ".join(detail for _, detail in problems)[:300]))
    if not label:
        return Resolution({}, {}, (DatasetExclusion.Reason.UNLABELED, "no consensus, adjudication or correction"))
    return Resolution(label, chosen, None)


def weakest_method(controls: dict[str, dict[str, Any]]) -> str:
    """The item's method: its weakest control's (a consensus label is weaker than a correction)."""
    methods = [entry["method"] for entry in controls.values()]
    known = [method for method in methods if method in METHOD_STRENGTH]
    return max(known, key=METHOD_STRENGTH.index) if known else methods[0]
