"""A batch's status follows its labels: in progress at the first label, delivered once every task has its overlap.

Forward only, and only from pushed or in progress: a delivered batch whose label is deleted in Label Studio stays
delivered (the SLA monitor and QA see the deletion), and accepted or rejected batches are QA's to move.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import Count, Q

from projects.models import Annotation, Batch, Task


def advance_batch_status(batch_ids: Iterable[int | None]) -> None:
    """Move these batches on as their labels say; two queries a batch that can move."""
    ids = {batch_id for batch_id in batch_ids if batch_id is not None}
    movable = Batch.objects.filter(pk__in=ids, status__in=[Batch.Status.PUSHED, Batch.Status.IN_PROGRESS])
    for batch in movable.select_related("project"):
        done = Q(annotations__is_deleted=False)  # a skip is the annotator's answer too, as in Label Studio
        short = (
            Task.objects.filter(batch=batch)
            .annotate(done=Count("annotations", filter=done))
            .filter(done__lt=batch.project.overlap)
        )
        if not short.exists():
            status = Batch.Status.DELIVERED
        elif Annotation.objects.filter(task__batch=batch, is_deleted=False).exists():
            status = Batch.Status.IN_PROGRESS
        else:
            continue
        if status != batch.status:
            Batch.objects.filter(pk=batch.pk, status=batch.status).update(status=status)


def batches_of_tasks(task_ids: Iterable[int]) -> set[int]:
    return set(Task.objects.filter(pk__in=set(task_ids)).values_list("batch_id", flat=True).distinct())
