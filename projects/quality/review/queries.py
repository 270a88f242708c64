"""Reads for the QA review pages and the API: the review queue, progress, adjudication queue, decisions."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db.models import QuerySet

from projects.models import Batch, BatchDecision, ErrorCategory, ItemConsensus, LabelingProject, QASample, QASampleItem

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser


def review_queue(*, batch: Batch | None = None, project: LabelingProject | None = None) -> QuerySet[QASampleItem]:
    """Pending sampled annotations, riskiest first, with what a review page shows loaded in the same query."""
    items = QASampleItem.objects.filter(status=QASampleItem.Status.PENDING)
    if batch is not None:
        items = items.filter(sample__batch=batch)
    if project is not None:
        items = items.filter(sample__batch__project=project)
    return items.select_related(
        "sample__batch__project", "annotation__task", "annotation__annotator__user", "annotation__annotator__vendor"
    ).order_by("-weight", "sample_id", "id")


def next_review_item(
    *, reviewer: AbstractBaseUser, batch: Batch | None = None, project: LabelingProject | None = None
) -> QASampleItem | None:
    """The next pending item this reviewer may review (never their own annotation), or None when the queue is done."""
    return review_queue(batch=batch, project=project).exclude(annotation__annotator__user=reviewer).first()


@dataclass(frozen=True)
class ReviewProgress:
    total: int
    reviewed: int
    accepted: int
    rejected: int
    corrected: int

    @property
    def pending(self) -> int:
        return self.total - self.reviewed


def review_progress(*, sample: QASample) -> ReviewProgress:
    """How far the review of a sample is, counting each item's latest verdict; two queries."""
    statuses = list(sample.items.values_list("status", flat=True))
    latest: dict[int, str] = {}
    for item, verdict in (
        sample.items.filter(reviews__isnull=False)
        .order_by("reviews__created_at", "reviews__id")
        .values_list("id", "reviews__verdict")
    ):
        latest[item] = verdict
    verdicts = list(latest.values())
    return ReviewProgress(
        total=len(statuses),
        reviewed=statuses.count(QASampleItem.Status.REVIEWED),
        accepted=verdicts.count("accept"),
        rejected=verdicts.count("reject"),
        corrected=verdicts.count("correct"),
    )


def adjudication_queue(*, batch: Batch | None = None, project: LabelingProject | None = None) -> QuerySet:
    """Items whose annotators reached no consensus, least confident first."""
    items = ItemConsensus.objects.filter(needs_adjudication=True)
    if batch is not None:
        items = items.filter(task__batch=batch)
    if project is not None:
        items = items.filter(task__project=project)
    return items.select_related("task__batch", "task__project").order_by("confidence", "task_id", "control_name")


def active_error_categories(*, project: LabelingProject) -> QuerySet[ErrorCategory]:
    """The categories a reviewer may reject with in this project."""
    return ErrorCategory.objects.filter(project=project, active=True).order_by("name")


def latest_sample(*, batch: Batch) -> QASample | None:
    return QASample.objects.filter(batch=batch).order_by("-drawn_at", "-id").first()


def batch_decisions(*, batch: Batch) -> QuerySet[BatchDecision]:
    """The batch's decisions, newest first, with who decided."""
    return (
        BatchDecision.objects.filter(batch=batch).select_related("decided_by", "sample").order_by("-decided_at", "-id")
    )
