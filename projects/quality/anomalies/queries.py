"""Reads for anomaly flags: a project's live annotations as plain rows, flagged per annotator (anomalies.py).

Two queries whatever the project's size: one `values_list` over the annotations (with their task's gold answer),
one for the flagged annotators with their user and vendor.

Each annotator's last `per_annotator` labels are enough for every flag (the recent ones and an earlier norm), so
that is all that is loaded: the cost follows the number of annotators, not the project's size. The rows come from
a LATERAL subquery per annotator walking the (annotator, created_at) index backwards on PostgreSQL (a row-number
window elsewhere, e.g. the embedded SQLite). The consensus an annotation is compared with is that of the other labels
loaded for its task.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import F, QuerySet, Window
from django.db.models.expressions import RawSQL
from django.db.models.functions import RowNumber

from projects.database.vendor import is_postgresql
from projects.models import Annotation, Annotator, LabelingProject
from projects.quality.stats.anomalies import (
    AnnotationRow,
    AnomalyThresholds,
    Flag,
    agreement_with_consensus,
    flag_annotators,
)
from projects.quality.stats.gold import gold_agrees


def choice_labels(result: list[dict] | None) -> dict[str, str]:
    """Control name → the choice given (several choices joined by "|"), for the choice controls of a result."""
    labels = {}
    for region in result or []:
        choices = (region.get("value") or {}).get("choices")
        if choices and region.get("from_name"):
            labels[region["from_name"]] = "|".join(sorted(choices))
    return labels


DEFAULT_PER_ANNOTATOR = 200


def _latest_per_annotator(project: LabelingProject, since: dt.datetime | None, per_annotator: int) -> RawSQL:
    """Ids of each annotator's last `per_annotator` live labels in the project (made since `since`, if given)."""
    annotation, task, annotator = Annotation._meta.db_table, "projects_task", Annotator._meta.db_table
    return RawSQL(
        f"""SELECT latest.id FROM {annotator} person CROSS JOIN LATERAL (
            SELECT label.id FROM {annotation} label JOIN {task} task ON task.id = label.task_id
            WHERE label.annotator_id = person.id AND task.project_id = %s
              AND NOT label.is_deleted AND NOT label.was_cancelled AND label.created_at >= %s
            ORDER BY label.created_at DESC LIMIT %s) latest""",
        (project.pk, since or dt.datetime.min.replace(tzinfo=dt.UTC), per_annotator),
    )


def _latest_annotations(project: LabelingProject, since: dt.datetime | None, per_annotator: int) -> QuerySet:
    if is_postgresql():
        return Annotation.objects.filter(pk__in=_latest_per_annotator(project, since, per_annotator))
    annotations = Annotation.objects.filter(
        task__project=project, is_deleted=False, was_cancelled=False, annotator__isnull=False
    )
    if since is not None:
        annotations = annotations.filter(created_at__gte=since)
    newest_first = Window(RowNumber(), partition_by=F("annotator_id"), order_by=F("created_at").desc())
    return annotations.annotate(newest_first=newest_first).filter(newest_first__lte=per_annotator)


def annotator_flags(
    project: LabelingProject,
    *,
    since: dt.datetime | None = None,
    per_annotator: int = DEFAULT_PER_ANNOTATOR,
    thresholds: AnomalyThresholds | None = None,
) -> dict[Annotator, list[Flag]]:
    """Flags per annotator over their last `per_annotator` live labels in the project made since `since`.

    Annotators without a flag are left out.
    """
    loaded = list(
        _latest_annotations(project, since, per_annotator)
        .values_list(
            "id", "task_id", "annotator_id", "created_at", "lead_time", "result", "task__is_gold", "task__gold_answer"
        )
        .iterator(chunk_size=5000)
    )
    labels = {row[0]: choice_labels(row[5]) for row in loaded}
    agrees = agreement_with_consensus((row[0], row[1], labels[row[0]]) for row in loaded)
    rows = [
        AnnotationRow(
            annotator=annotator,
            created_at=created_at,
            lead_time=lead_time,
            labels=labels[annotation],
            gold_correct=gold_agrees(gold_answer, result) if is_gold and gold_answer else None,
            agrees=agrees[annotation],
        )
        for annotation, _, annotator, created_at, lead_time, result, is_gold, gold_answer in loaded
    ]
    flags = flag_annotators(rows, thresholds=thresholds)
    if not flags:
        return {}
    annotators = Annotator.objects.filter(pk__in=flags).select_related("user", "vendor").order_by("vendor__name", "pk")
    return {annotator: flags[annotator.pk] for annotator in annotators}
