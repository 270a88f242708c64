"""The review queue as a reviewer sees it: batches to review, and one sampled annotation with everything
a reviewer weighs."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db.models import Q, QuerySet
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy

from projects.access.scoping import can_see_gold, visible
from projects.models import Annotation, Batch, BatchDecision, QASample, QASampleItem, Review
from projects.quality.review.pages.choices import ControlChoice, control_choices
from projects.quality.review.pages.display import (
    OtherAnnotation,
    Prediction,
    ShownLabel,
    ShownObject,
    other_annotations,
    shown_labels,
    shown_predictions,
    shown_task,
)
from projects.quality.review.queries import (
    ReviewProgress,
    adjudication_queue,
    batch_decisions,
    latest_reviews,
    review_progress,
)
from projects.quality.sampling.queries import current_sample
from projects.quality.stats import anomalies, sampling

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser

REASONS: dict[str, Promise] = {
    sampling.FIRST_TASKS: gettext_lazy("among the annotator's first tasks in the project"),
    sampling.ANNOTATOR_MINIMUM: gettext_lazy("per-annotator minimum"),
    sampling.BASE_RATE: gettext_lazy("random draw at the base rate"),
    sampling.LOW_GOLD_ACCURACY: gettext_lazy("the annotator's gold accuracy is low"),
    sampling.LOW_AGREEMENT: gettext_lazy("the annotator often disagrees with the consensus"),
    sampling.FASTER_THAN_OWN_NORM: gettext_lazy("much faster than the annotator's own pace"),
    sampling.FASTER_THAN_PEERS: gettext_lazy("much faster than other annotators"),
    sampling.FLAGGED[anomalies.FAST]: gettext_lazy("the annotator is flagged: too fast"),
    sampling.FLAGGED[anomalies.STRAIGHT_LINING]: gettext_lazy("the annotator is flagged: straight-lining"),
    sampling.FLAGGED[anomalies.GOLD_FAILURE_STREAK]: gettext_lazy("the annotator is flagged: gold failures in a row"),
    sampling.FLAGGED[anomalies.AGREEMENT_DRIFT]: gettext_lazy("the annotator is flagged: agreement drifting down"),
}


@dataclass(frozen=True)
class BatchForReview:
    batch: Batch
    sample: QASample | None
    progress: ReviewProgress | None
    awaiting_adjudication: int
    decision: BatchDecision | None


def batches_for_review(user: AbstractBaseUser) -> list[BatchForReview]:
    """Batches with a QA sample or items awaiting adjudication, newest first, with review progress."""
    batches = visible(
        user,
        Batch.objects.filter(Q(qa_samples__isnull=False) | Q(tasks__consensus__needs_adjudication=True))
        .distinct()
        .select_related("project", "vendor")
        .order_by("-created_at", "-id"),
    )
    rows = []
    for batch in batches:
        sample = current_sample(batch=batch)
        rows.append(
            BatchForReview(
                batch=batch,
                sample=sample,
                progress=review_progress(sample=sample) if sample else None,
                awaiting_adjudication=adjudication_queue(batch=batch).count(),
                decision=batch_decisions(batch=batch).first(),
            )
        )
    return rows


def sample_order(sample: QASample) -> list[int]:
    """The sample's item ids in queue order (riskiest first), for moving to the next or previous item."""
    return list(sample.items.order_by("-weight", "id").values_list("id", flat=True))


def sample_items(batch: Batch) -> QuerySet[QASampleItem]:
    return QASampleItem.objects.filter(sample__batch=batch).select_related(
        "sample__batch__project",
        "annotation__task__project",
        "annotation__annotator__user",
        "annotation__annotator__vendor",
    )


@dataclass(frozen=True)
class ReviewItem:
    item: QASampleItem
    conversation: list[ShownObject]
    labels: list[ShownLabel]
    predictions: list[Prediction]
    gold: list[ShownLabel] | None  # None: not a gold task (or the viewer may not see gold)
    others: list[OtherAnnotation]
    reasons: list[str]
    controls: list[ControlChoice]  # the correction form, pre-filled with the annotator's answers
    latest_review: Review | None


def review_item(*, item: QASampleItem, user: AbstractBaseUser) -> ReviewItem:
    """One sampled annotation with everything a reviewer weighs: task, labels, model, gold, the other labels."""
    annotation = item.annotation
    task = annotation.task
    project = task.project
    return ReviewItem(
        item=item,
        conversation=shown_task(task),
        labels=shown_labels(project, annotation.result),
        predictions=shown_predictions(task),
        gold=shown_labels(project, task.gold_answer) if task.is_gold and can_see_gold(user) else None,
        others=other_annotations(user, task, exclude=annotation.pk),
        reasons=[str(REASONS[reason]) if reason in REASONS else reason.replace("_", " ") for reason in item.reasons],
        controls=control_choices(project, annotation.result),
        latest_review=latest_reviews(annotations=Annotation.objects.filter(pk=annotation.pk))
        .select_related("reviewer", "error_category")
        .first(),
    )
