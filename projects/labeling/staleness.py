"""Marking batches' tallies stale: a change to what a batch counts asks for a recount (projects/reporting/tallies.py).

Kept apart from the recount so that every writer (import, pull, rework, gold mixing, the ORM signals) can mark
without depending on the reports that read the tallies.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import F, Q

from projects.models import BatchTally, LabelTally


def mark_batches_stale(batch_ids: Iterable[int | None]) -> None:
    """The batches' tallies need a recount; one query. Batches never counted need nothing: they have no row."""
    ids = {batch_id for batch_id in batch_ids if batch_id is not None}
    if ids:
        BatchTally.objects.filter(batch_id__in=ids).update(stale=True, changes=F("changes") + 1)


def mark_tasks_stale(task_ids: Iterable[int]) -> None:
    """The batches of these tasks need a recount; one query."""
    ids = set(task_ids)
    if ids:
        BatchTally.objects.filter(batch__tasks__in=ids).update(stale=True, changes=F("changes") + 1)


def mark_vendor_stale(vendor_id: int) -> None:
    """A vendor's rates changed: every batch its annotators labeled in, or assigned to it, needs a recount."""
    labeled = LabelTally.objects.filter(vendor_id=vendor_id).values("batch_id")
    BatchTally.objects.filter(Q(batch__vendor_id=vendor_id) | Q(batch_id__in=labeled)).update(
        stale=True, changes=F("changes") + 1
    )
