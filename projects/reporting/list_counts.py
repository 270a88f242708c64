"""Reads for the admin, pages and API: projects and batches with their progress counts.

Counts come from the batches' tallies (projects/reporting/tallies.py), recounted first where stale, so a list costs
the same whatever the number of tasks; tasks outside any batch (imported, not yet batched) are counted directly.
"""

from __future__ import annotations

from django.db.models import Count, Exists, IntegerField, OuterRef, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce

from projects.models import Annotation, Batch, BatchTally, LabelingProject, Task
from projects.reporting.tallies import refresh_stale_tallies


def _subquery_total(rows: QuerySet, group_by: str, total) -> Coalesce:
    summed = rows.order_by().values(group_by).annotate(total=total).values("total")
    return Coalesce(Subquery(summed, output_field=IntegerField()), Value(0))


def projects_with_counts() -> QuerySet[LabelingProject]:
    """Projects with task_count, annotated_count, gold_count and batch_count, in one query."""
    refresh_stale_tallies()
    tallies = BatchTally.objects.filter(batch__project=OuterRef("pk"))
    unbatched = Task.objects.filter(project=OuterRef("pk"), batch__isnull=True)
    labeled = Annotation.objects.filter(task=OuterRef("pk"), is_deleted=False, was_cancelled=False)
    batches = Batch.objects.filter(project=OuterRef("pk"))
    return LabelingProject.objects.annotate(
        task_count=_subquery_total(tallies, "batch__project", Sum("tasks"))
        + _subquery_total(unbatched, "project", Count("pk")),
        annotated_count=_subquery_total(tallies, "batch__project", Sum("annotated_tasks"))
        + _subquery_total(unbatched.filter(Exists(labeled)), "project", Count("pk")),
        gold_count=_subquery_total(tallies, "batch__project", Sum("gold_tasks"))
        + _subquery_total(unbatched.filter(is_gold=True), "project", Count("pk")),
        batch_count=_subquery_total(batches, "project", Count("pk")),
    )


def batches_with_counts() -> QuerySet[Batch]:
    """Batches with task_count and annotated_count, in one query."""
    refresh_stale_tallies()
    return Batch.objects.select_related("project", "vendor").annotate(
        task_count=Coalesce("tally__tasks", Value(0)),
        annotated_count=Coalesce("tally__annotated_tasks", Value(0)),
    )
