"""Recounting batches' tallies (projects/models/tallies.py): what the dashboard and the lists read.

Anything that changes what a batch counts (a label pulled, deleted or skipped, a task added or made gold, a rework,
a vendor's rate) marks the batch stale with projects/labeling/staleness.py (ORM saves do it through the signals in
projects/labeling/signals.py; bulk writers call it themselves). `refresh_stale_tallies` recounts every stale or
never-counted batch: the readers call it before they read, so they are never wrong, and a Celery task calls it
after every pull and on the beat, so the readers rarely have anything to recount.

A recount reads one batch's tasks and live labels and replaces its rows in one transaction. A change that lands
while a batch is being recounted bumps its change counter, so the recount leaves the batch stale and the next one
counts it again: nothing is lost to the race.
"""

from __future__ import annotations

import datetime as dt
from bisect import bisect_right
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from projects.models import Annotation, Batch, BatchTally, LabelingProject, LabelTally, Rework, Task, VendorRate
from projects.quality.stats.gold import gold_agrees

LIVE = Q(is_deleted=False, was_cancelled=False)


def stale_batch_ids(*, project_id: int | None = None) -> list[int]:
    """Batches whose tallies are stale or were never counted; one query."""
    batches = Batch.objects.filter(Q(tally__isnull=True) | Q(tally__stale=True))
    if project_id is not None:
        batches = batches.filter(project_id=project_id)
    return list(batches.order_by("pk").values_list("pk", flat=True))


def refresh_stale_tallies(
    *, project_id: int | None = None, progress: Callable[[int, int], None] | None = None
) -> list[int]:
    """Recount every stale or never-counted batch (of one project, if given); the batches recounted."""
    batch_ids = stale_batch_ids(project_id=project_id)
    for done, batch_id in enumerate(batch_ids, start=1):
        refresh_batch_tally(batch_id)
        if progress is not None:
            progress(done, len(batch_ids))
    return batch_ids


@dataclass
class _Counts:
    labels: int = 0
    first_labels: int = 0
    gold_labels: int = 0
    gold_correct: int = 0
    rejected: int = 0
    rework_labels: int = 0
    rework_rejected: int = 0
    lead_seconds: Decimal = Decimal(0)
    rework_lead_seconds: Decimal = Decimal(0)


def refresh_batch_tally(batch_id: int) -> None:
    """Recount one batch: its task counts and its label tallies, replaced in one transaction."""
    tally, _ = BatchTally.objects.get_or_create(batch_id=batch_id)
    changes_before = tally.changes
    facts = _load_batch_facts(batch_id)
    first_of_task = _first_label_of_each_task(facts.labels)
    rows = _label_tallies(batch_id, facts, {annotation for _, annotation in first_of_task.values()})
    _replace_tallies(
        batch_id,
        rows,
        changes_before=changes_before,
        tasks=len(facts.tasks),
        gold_tasks=len(facts.gold_answers),
        annotated_tasks=len(first_of_task),
    )


@dataclass
class _BatchFacts:
    """What one batch's recount reads, each in one query."""

    tasks: list[tuple]
    gold_answers: dict[int, list]
    labels: list[tuple]
    gold_results: dict[int, list]
    rejected: set[int]
    made_in_rework: set[int]
    rates: dict[int, list[VendorRate]]


def _load_batch_facts(batch_id: int) -> _BatchFacts:
    tasks = list(Task.objects.filter(batch_id=batch_id).order_by().values_list("id", "is_gold", "gold_answer"))
    labels = list(
        Annotation.objects.filter(LIVE, task__batch_id=batch_id)
        .order_by()
        .values_list("id", "task_id", "annotator_id", "annotator__vendor_id", "created_at", "lead_time")
    )
    gold_results = dict(
        Annotation.objects.filter(LIVE, task__batch_id=batch_id, task__is_gold=True)
        .order_by()
        .values_list("id", "result")
    )
    reworks = list(
        Rework.objects.filter(annotation__task__batch_id=batch_id).values_list("annotation_id", "replacement_id")
    )
    vendors = {vendor for *_, vendor, _, _ in labels if vendor is not None}
    rates: dict[int, list[VendorRate]] = defaultdict(list)
    for rate in VendorRate.objects.filter(vendor__in=vendors).order_by("valid_from"):
        rates[rate.vendor_id].append(rate)
    return _BatchFacts(
        tasks=tasks,
        gold_answers={task: answer for task, is_gold, answer in tasks if is_gold},
        labels=labels,
        gold_results=gold_results,
        rejected={annotation for annotation, _ in reworks},
        made_in_rework={replacement for _, replacement in reworks if replacement is not None},
        rates=rates,
    )


def _first_label_of_each_task(labels: list[tuple]) -> dict[int, tuple[dt.datetime, int]]:
    first_of_task: dict[int, tuple[dt.datetime, int]] = {}
    for annotation, task, _, _, created_at, _ in labels:
        if task not in first_of_task or (created_at, annotation) < first_of_task[task]:
            first_of_task[task] = (created_at, annotation)
    return first_of_task


def _label_tallies(batch_id: int, facts: _BatchFacts, first_labels: set[int]) -> list[LabelTally]:
    """The batch's labels summed per vendor, annotator, local day and the vendor rate in force when each was made."""
    starts = {vendor: [rate.valid_from for rate in vendor_rates] for vendor, vendor_rates in facts.rates.items()}
    zone = timezone.get_current_timezone()
    counts: dict[tuple, _Counts] = defaultdict(_Counts)
    for annotation, task, annotator, vendor, created_at, lead_time in facts.labels:
        rate_id = None
        if vendor is not None and vendor in facts.rates:
            index = bisect_right(starts[vendor], created_at) - 1
            rate_id = facts.rates[vendor][index].pk if index >= 0 else None
        row = counts[(vendor, annotator, timezone.localtime(created_at, zone).date(), rate_id)]
        seconds = Decimal(str(lead_time or 0))
        is_rejected = annotation in facts.rejected
        row.labels += 1
        row.first_labels += annotation in first_labels
        row.rejected += is_rejected
        row.lead_seconds += seconds
        if task in facts.gold_answers:
            row.gold_labels += 1
            row.gold_correct += gold_agrees(facts.gold_answers[task], facts.gold_results.get(annotation) or [])
        if annotation in facts.made_in_rework:
            row.rework_labels += 1
            row.rework_rejected += is_rejected
            row.rework_lead_seconds += seconds
    return [
        LabelTally(batch_id=batch_id, vendor_id=vendor, annotator_id=annotator, day=day, rate_id=rate, **vars(row))
        for (vendor, annotator, day, rate), row in counts.items()
    ]


def _replace_tallies(batch_id: int, rows: list[LabelTally], *, changes_before: int, **task_counts: int) -> None:
    with transaction.atomic():
        # Two recounts of one batch at once (the beat and a page) take turns here: the later one's delete then sees
        # the earlier one's rows, so they are replaced, not added to.
        BatchTally.objects.select_for_update().filter(batch_id=batch_id).first()
        LabelTally.objects.filter(batch_id=batch_id).delete()
        LabelTally.objects.bulk_create(rows, batch_size=2000)
        current = BatchTally.objects.filter(batch_id=batch_id)
        current.update(**task_counts, refreshed_at=timezone.now())
        # Left stale when a change landed while counting: the next refresh counts it again.
        current.filter(changes=changes_before).update(stale=False)


def project_label_tallies(
    project: LabelingProject, start: dt.date | None = None, end: dt.date | None = None
) -> QuerySet[LabelTally]:
    """The project's label tallies for local days start..end (both included, either open), stale batches
    recounted first: what the dashboard's series and the costs read."""
    refresh_stale_tallies(project_id=project.pk)
    tallies = LabelTally.objects.filter(batch__project=project)
    if start is not None:
        tallies = tallies.filter(day__gte=start)
    if end is not None:
        tallies = tallies.filter(day__lte=end)
    return tallies
