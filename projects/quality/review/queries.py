"""Reads for the QA review pages and the API: the review queue, progress, adjudication queue, decisions."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db.models import Exists, OuterRef, Q, QuerySet

from projects.models import (
    Adjudication,
    Annotation,
    Batch,
    BatchDecision,
    ErrorCategory,
    ItemConsensus,
    LabelingProject,
    QASample,
    QASampleItem,
    Review,
    Task,
)

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


def latest_reviews(*, annotations: QuerySet[Annotation]) -> QuerySet[Review]:
    """Each of these annotations' latest review: a later review of an annotation supersedes the earlier ones.

    Unreviewed annotations have none. One query, walking the (annotation, created_at) index.
    """
    newer = Review.objects.filter(annotation=OuterRef("annotation")).filter(
        Q(created_at__gt=OuterRef("created_at")) | Q(created_at=OuterRef("created_at"), pk__gt=OuterRef("pk"))
    )
    return Review.objects.filter(annotation__in=annotations).exclude(Exists(newer))


def sample_verdicts(*, sample: QASample) -> list[str]:
    """The latest verdict on each reviewed item of the sample: what its progress and its batch decision count."""
    reviewed = Annotation.objects.filter(
        qa_sample_items__sample=sample, qa_sample_items__status=QASampleItem.Status.REVIEWED
    )
    return list(latest_reviews(annotations=reviewed).values_list("verdict", flat=True))


def review_progress(*, sample: QASample) -> ReviewProgress:
    """How far the review of a sample is, counting each item's latest verdict; two queries."""
    statuses = list(sample.items.values_list("status", flat=True))
    verdicts = sample_verdicts(sample=sample)
    return ReviewProgress(
        total=len(statuses),
        reviewed=statuses.count(QASampleItem.Status.REVIEWED),
        accepted=verdicts.count(Review.Verdict.ACCEPT),
        rejected=verdicts.count(Review.Verdict.REJECT),
        corrected=verdicts.count(Review.Verdict.CORRECT),
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


def batch_decisions(*, batch: Batch) -> QuerySet[BatchDecision]:
    """The batch's decisions, newest first, with who decided."""
    return (
        BatchDecision.objects.filter(batch=batch).select_related("decided_by", "sample").order_by("-decided_at", "-id")
    )


def current_adjudication(*, task: Task, control_name: str) -> Adjudication | None:
    """The item's final adjudicated label: its adjudication nobody revised yet; None when never adjudicated."""
    return Adjudication.objects.filter(task=task, control_name=control_name, revised_by__isnull=True).first()


def adjudication_history(*, task: Task, control_name: str) -> QuerySet[Adjudication]:
    """Every adjudication of the item, newest (the current one) first, with who made each."""
    return (
        Adjudication.objects.filter(task=task, control_name=control_name)
        .select_related("adjudicator", "revises")
        .order_by("-created_at", "-id")
    )
