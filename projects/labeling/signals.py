"""Signals that mark batches' tallies stale when a model that feeds them is saved or deleted through the ORM.

Bulk writers (the pull's COPY, the import's COPY, queryset updates) send no signals and call
projects/reporting/tallies.py themselves.
"""

from __future__ import annotations

from django.db.models.signals import post_delete, post_save, pre_save

from projects.labeling.staleness import mark_batches_stale, mark_tasks_stale, mark_vendor_stale
from projects.models import Annotation, Annotator, BatchTally, Rework, Task, VendorRate


def _task_moving(sender, instance: Task, update_fields=None, **kwargs) -> None:
    """A task moved to another batch leaves its old batch's counts wrong too."""
    if instance.pk is not None and (update_fields is None or "batch" in update_fields):
        mark_batches_stale(Task.objects.filter(pk=instance.pk).values_list("batch_id", flat=True))


def _task_changed(sender, instance: Task, **kwargs) -> None:
    mark_batches_stale([instance.batch_id])


def _annotation_changed(sender, instance: Annotation, **kwargs) -> None:
    mark_tasks_stale([instance.task_id])


def _rework_changed(sender, instance: Rework, **kwargs) -> None:
    mark_tasks_stale(Annotation.objects.filter(pk=instance.annotation_id).values_list("task_id", flat=True))


def _annotator_changed(sender, instance: Annotator, **kwargs) -> None:
    """Tallies are kept per vendor: an annotator moved to another vendor is counted again where they labeled."""
    labeled_in = BatchTally.objects.filter(batch__label_tallies__annotator=instance).values_list("batch_id", flat=True)
    mark_batches_stale(list(labeled_in))


def _rate_changed(sender, instance: VendorRate, **kwargs) -> None:
    mark_vendor_stale(instance.vendor_id)


def connect() -> None:
    pre_save.connect(_task_moving, sender=Task, dispatch_uid="tally-task-moving")
    post_save.connect(_annotator_changed, sender=Annotator, dispatch_uid="tally-annotator")
    for signal in (post_save, post_delete):
        signal.connect(_task_changed, sender=Task, dispatch_uid=f"tally-task-{signal is post_save}")
        signal.connect(_annotation_changed, sender=Annotation, dispatch_uid=f"tally-annotation-{signal is post_save}")
        signal.connect(_rework_changed, sender=Rework, dispatch_uid=f"tally-rework-{signal is post_save}")
        signal.connect(_rate_changed, sender=VendorRate, dispatch_uid=f"tally-rate-{signal is post_save}")
