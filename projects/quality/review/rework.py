"""Rework: a rejected batch's rejected annotations go back to their vendor with the reviewer's feedback."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db import transaction
from django.db.models import OuterRef, QuerySet, Subquery

from projects.audit import Actor, records_actor
from projects.errors import Refusal
from projects.labeling.staleness import mark_tasks_stale
from projects.labelstudio.rework import (
    ReworkItem,
    ensure_rework_project,
    find_sent_rework,
    import_rework,
)
from projects.models import Annotation, Batch, LabelStudioProject, Review, Rework
from projects.quality.review.queries import latest_reviews

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser


class ReworkRefused(Refusal):
    """The batch's rejected work cannot be sent back as it is; nothing was sent."""


@dataclass(frozen=True)
class ReworkResult:
    sent: int
    recovered: int
    project_urls: list[str]


def rejected_annotations(batch: Batch) -> QuerySet[Annotation]:
    """Live annotations of the batch whose latest review rejected them and that were not sent back yet.

    Gold tasks never go back: their answer is known, and the reviewer's feedback on them would give it away.
    """
    rejections = latest_reviews(annotations=Annotation.objects.filter(task__batch=batch)).filter(
        verdict=Review.Verdict.REJECT, annotation=OuterRef("pk")
    )
    return (
        Annotation.objects.filter(
            task__batch=batch, task__is_gold=False, is_deleted=False, rework__isnull=True, connection__isnull=False
        )
        .annotate(latest_review_id=Subquery(rejections.values("pk")[:1]))
        .filter(latest_review_id__isnull=False)
        .select_related("task", "connection")
        .order_by("pk")
    )


def feedback_text(review: Review) -> str:
    """What the annotator reads on the rework task: the error, its severity, the reviewer's comment."""
    error = review.error_category.name if review.error_category else "Rejected"
    severity = f" ({review.get_severity_display().lower()})" if review.severity else ""
    comment = review.comment.strip()
    return f"{error}{severity}: {comment}" if comment else f"{error}{severity}."


@records_actor
def send_rework(*, batch: Batch, actor: Actor) -> ReworkResult:
    """Send each rejected annotation of a rejected batch back to its vendor's Label Studio as a rework task.

    Idempotent and resumable: an annotation is sent once; a send that died midway (Label Studio
    down, a worker killed) is finished by the next run, which first records the rework tasks that
    reached Label Studio by the annotation id they carry. Runs for one batch take turns.
    """
    if batch.status != Batch.Status.REJECTED:
        raise ReworkRefused(f"{batch} is {batch.get_status_display().lower()}, not rejected: nothing goes back.")
    sent = recovered = 0
    urls = []
    with transaction.atomic():
        Batch.objects.select_for_update().filter(pk=batch.pk).first()
        annotations = list(rejected_annotations(batch))
        reviews = Review.objects.select_related("error_category").in_bulk(
            [annotation.latest_review_id for annotation in annotations]
        )
        by_connection: dict[int, list[Annotation]] = defaultdict(list)
        for annotation in annotations:
            by_connection[annotation.connection_id].append(annotation)
        for connection_id, pending in by_connection.items():
            labeling_project = (
                LabelStudioProject.objects.filter(
                    batch=batch, connection_id=connection_id, kind=LabelStudioProject.Kind.LABELING
                )
                .select_related("batch__project", "connection", "config_version")
                .first()
            )
            if labeling_project is None:
                raise ReworkRefused(f"{batch} was never pushed to {pending[0].connection}: nowhere to send rework.")
            rework_project = ensure_rework_project(labeling_project)
            urls.append(rework_project.browser_url)
            found = _record(rework_project, find_sent_rework(rework_project), pending, reviews, actor.user)
            if found:
                recovered += len(found)
                # Their annotations may predate the record: the next pull reads the whole project.
                LabelStudioProject.objects.filter(pk=rework_project.pk).update(pulled_through=None)
            remaining = [annotation for annotation in pending if annotation.pk not in found]
            if remaining:
                items = [_item(annotation, reviews[annotation.latest_review_id]) for annotation in remaining]
                sent += len(
                    _record(rework_project, import_rework(rework_project, items), remaining, reviews, actor.user)
                )
    return ReworkResult(sent=sent, recovered=recovered, project_urls=urls)


def _item(annotation: Annotation, review: Review) -> ReworkItem:
    return ReworkItem(
        annotation_id=annotation.pk,
        review_id=review.pk,
        task_id=annotation.task_id,
        external_id=annotation.task.external_id,
        data=annotation.task.data,
        rejected_result=annotation.result,
        feedback=feedback_text(review),
    )


def _record(
    rework_project: LabelStudioProject,
    task_ids: dict[int, int],
    pending: list[Annotation],
    reviews: dict[int, Review],
    user: AbstractBaseUser | None,
) -> set[int]:
    """Record the rework tasks of these annotations; returns the annotation ids recorded."""
    records = [
        Rework(
            annotation=annotation,
            review=reviews[annotation.latest_review_id],
            label_studio_project=rework_project,
            label_studio_task_id=task_ids[annotation.pk],
            sent_by=user,
        )
        for annotation in pending
        if annotation.pk in task_ids
    ]
    Rework.objects.bulk_create(records)
    mark_tasks_stale(record.annotation.task_id for record in records)
    return {record.annotation_id for record in records}
