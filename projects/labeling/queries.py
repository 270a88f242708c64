"""Reads for the admin, pages and API: projects and batches with their progress counts."""

from __future__ import annotations

from django.db.models import Count, Exists, IntegerField, OuterRef, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce

from projects.models import Annotation, Batch, LabelingProject, Task


def _count_of(tasks: QuerySet, group_by: str) -> Coalesce:
    counted = tasks.order_by().values(group_by).annotate(total=Count("pk")).values("total")
    return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))


def _annotated(tasks: QuerySet) -> QuerySet:
    labeled = Annotation.objects.filter(task=OuterRef("pk"), is_deleted=False, was_cancelled=False)
    return tasks.filter(Exists(labeled))


def projects_with_counts() -> QuerySet[LabelingProject]:
    """Projects with task_count, annotated_count, gold_count and batch_count, in one query."""
    tasks = Task.objects.filter(project=OuterRef("pk"))
    batches = Batch.objects.filter(project=OuterRef("pk"))
    return LabelingProject.objects.annotate(
        task_count=_count_of(tasks, "project"),
        annotated_count=_count_of(_annotated(tasks), "project"),
        gold_count=_count_of(tasks.filter(is_gold=True), "project"),
        batch_count=_count_of(batches, "project"),
    )


def batches_with_counts() -> QuerySet[Batch]:
    """Batches with task_count and annotated_count, in one query."""
    tasks = Task.objects.filter(batch=OuterRef("pk"))
    return Batch.objects.select_related("project", "vendor").annotate(
        task_count=_count_of(tasks, "batch"),
        annotated_count=_count_of(_annotated(tasks), "batch"),
    )
