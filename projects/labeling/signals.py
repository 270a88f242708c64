"""Signals that mark batches' tallies stale when a model that feeds them is saved or deleted through the ORM.

Bulk writers (the pull's COPY, the import's COPY, queryset updates) send no signals and call
projects/labeling/tallies.py themselves.
"""

from __future__ import annotations

from django.db.models.signals import post_delete, post_save

from projects.labeling.tallies import mark_batches_stale, mark_tasks_stale, mark_vendor_stale
from projects.models import Annotation, Rework, Task, VendorRate


def _task_changed(sender, instance: Task, **kwargs) -> None:
    mark_batches_stale([instance.batch_id])


def _annotation_changed(sender, instance: Annotation, **kwargs) -> None:
    mark_tasks_stale([instance.task_id])


def _rework_changed(sender, instance: Rework, **kwargs) -> None:
    mark_tasks_stale(Annotation.objects.filter(pk=instance.annotation_id).values_list("task_id", flat=True))


def _rate_changed(sender, instance: VendorRate, **kwargs) -> None:
    mark_vendor_stale(instance.vendor_id)


def connect() -> None:
    for signal in (post_save, post_delete):
        signal.connect(_task_changed, sender=Task, dispatch_uid=f"tally-task-{signal is post_save}")
        signal.connect(_annotation_changed, sender=Annotation, dispatch_uid=f"tally-annotation-{signal is post_save}")
        signal.connect(_rework_changed, sender=Rework, dispatch_uid=f"tally-rework-{signal is post_save}")
        signal.connect(_rate_changed, sender=VendorRate, dispatch_uid=f"tally-rate-{signal is post_save}")
