"""Mixing the project's gold items into a batch at the project's gold rate, when the batch is pushed.

The gold pool is the project's gold tasks outside any batch (a gold set imported into the project without a
batch). A batch gets copies of pool items (tasks of the batch with `gold_source` set and external_id
"<item>~b<batch id>", so a dataset's split key groups them with their item) until gold is the project's gold
rate of the batch, counting gold imported into the batch itself. An item retired for the batch's vendor
(GoldRetirement, once too many of its annotators have seen it) is never chosen; of the rest, the items the vendor's
annotators have seen least come first, ties drawn at random with the batch's uid as the seed, so a rerun chooses
the same. Idempotent: a batch at its rate gets nothing more, and a copy is never made twice.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass

from django.db.models import Count
from django.db.models.functions import Coalesce

from projects.labeling.staleness import mark_batches_stale
from projects.models import Annotation, Batch, GoldRetirement, Task

COPY_SEPARATOR = "~b"  # neutral: nothing in what annotators can see says "gold"


def gold_wanted(*, regular: int, rate: float) -> int:
    """Gold tasks that make `rate` of a batch with `regular` other tasks (pure): gold = rate × (regular + gold)."""
    if rate <= 0 or regular <= 0:
        return 0
    if rate >= 1:
        return 0  # a batch of nothing but gold checks nobody's real work: not mixed
    return math.ceil(rate * regular / (1 - rate) - 1e-9)


@dataclass(frozen=True)
class GoldMix:
    wanted: int  # gold the batch should hold at the project's rate
    present: int  # gold it held before
    added: int  # copies made now
    available: int  # pool items the vendor may still see that the batch does not hold yet

    @property
    def short(self) -> int:
        """Gold still missing because the pool ran out (import more gold items, or raise the exposure limit)."""
        return max(0, self.wanted - self.present - self.added)


def item_exposure(*, batch: Batch) -> dict[int, int]:
    """Per gold item of the project: how many of the batch vendor's annotators have labeled it or a copy of it."""
    rows = (
        Annotation.objects.filter(
            task__project_id=batch.project_id, task__is_gold=True, annotator__vendor_id=batch.vendor_id
        )
        .values(item=Coalesce("task__gold_source_id", "task_id"))
        .annotate(annotators=Count("annotator_id", distinct=True))
        .order_by()
    )
    return {row["item"]: row["annotators"] for row in rows}


def mix_gold(*, batch: Batch) -> GoldMix:
    """Copy gold items from the project's pool into the batch until gold is the project's gold rate of it."""
    project = batch.project
    regular = Task.objects.filter(batch=batch, is_gold=False).count()
    present = Task.objects.filter(batch=batch, is_gold=True).count()
    wanted = gold_wanted(regular=regular, rate=float(project.gold_rate))
    held = set(Task.objects.filter(batch=batch, gold_source__isnull=False).values_list("gold_source_id", flat=True))
    retired = set()
    if batch.vendor_id is not None:
        retired = set(GoldRetirement.objects.filter(vendor_id=batch.vendor_id).values_list("task_id", flat=True))
    pool = [
        item
        for item in Task.objects.filter(project=project, batch__isnull=True, is_gold=True, gold_source__isnull=True)
        .order_by("pk")
        .only("pk", "external_id", "data", "original_data", "language", "gold_answer", "predictions")
        if item.pk not in held and item.pk not in retired
    ]
    needed = max(0, wanted - present)
    if not needed or not pool:
        return GoldMix(wanted=wanted, present=present, added=0, available=len(pool))
    exposure = item_exposure(batch=batch)
    draw = random.Random(str(batch.uid))
    tie_breaks = {item.pk: draw.random() for item in pool}
    chosen = sorted(pool, key=lambda item: (exposure.get(item.pk, 0), tie_breaks[item.pk]))[:needed]
    Task.objects.bulk_create(
        [
            Task(
                project=project,
                batch=batch,
                external_id=f"{item.external_id}{COPY_SEPARATOR}{batch.pk}",
                data=item.data,
                original_data=item.original_data,
                language=item.language,
                is_gold=True,
                gold_answer=item.gold_answer,
                predictions=item.predictions,
                gold_source=item,
            )
            for item in chosen
        ],
        ignore_conflicts=True,  # a concurrent push of the same batch made them already
    )
    mark_batches_stale([batch.pk])
    added = Task.objects.filter(batch=batch, is_gold=True).count() - present
    return GoldMix(wanted=wanted, present=present, added=added, available=len(pool) - added)
