"""Batch tallies: what the dashboard and the lists read must equal what the labels themselves say, and stay so."""

from __future__ import annotations

import datetime as dt
import random
from collections import Counter, defaultdict
from decimal import Decimal
from unittest import mock

import pytest
from django.db import connection
from django.utils import timezone

from projects.models import (
    Annotation,
    BatchTally,
    LabelTally,
    Rework,
)
from projects.quality.stats.gold import gold_agrees
from projects.reporting import costs, tallies
from projects.reporting.dashboard import annotated_tasks_by_day, labels_by_day, labels_by_vendor, vendor_quality
from projects.reporting.tallies import refresh_batch_tally, refresh_stale_tallies, stale_batch_ids
from tests.factories import (
    AnnotationFactory,
    AnnotatorFactory,
    BatchFactory,
    LabelingProjectFactory,
    TaskFactory,
    VendorFactory,
    VendorRateFactory,
)
from tests.reporting.test_costs import send_to_rework

pytestmark = pytest.mark.django_db

SHANGHAI = "Asia/Shanghai"  # UTC+8: a label at 20:00 UTC falls on the next local day


def choice(value: str) -> list[dict]:
    return [{"from_name": "scenario", "to_name": "message", "type": "choices", "value": {"choices": [value]}}]


def build_project(seed: int):
    """Two vendors over four days, rates changing mid-day, gold, skips, deletions, rework and an unattributed label."""
    rng = random.Random(seed)
    project = LabelingProjectFactory()
    start = dt.datetime(2026, 11, 16, tzinfo=dt.UTC)
    vendors = [VendorFactory(name=name) for name in ("Lingua Works", "Huayu Data")]
    VendorRateFactory(vendor=vendors[0], unit="per_task", amount="0.40", valid_from=start + dt.timedelta(hours=7))
    VendorRateFactory(vendor=vendors[0], unit="per_task", amount="0.55", valid_from=start + dt.timedelta(hours=31.5))
    VendorRateFactory(vendor=vendors[1], unit="per_hour", amount="9.00", valid_from=start - dt.timedelta(days=1))
    VendorRateFactory(vendor=vendors[1], unit="per_hour", amount="11.25", valid_from=start + dt.timedelta(hours=50))
    annotators = {vendor: [AnnotatorFactory(vendor=vendor) for _ in range(3)] for vendor in vendors}
    for vendor in vendors:
        for number in range(2):
            batch = BatchFactory(project=project, vendor=vendor, name=f"{vendor.name} {number}")
            for _ in range(12):
                is_gold = rng.random() < 0.3
                task = TaskFactory(
                    project=project, batch=batch, is_gold=is_gold, gold_answer=choice("refund") if is_gold else None
                )
                for annotator in rng.sample(annotators[vendor], 2):
                    at = start + dt.timedelta(minutes=rng.randrange(0, 4 * 24 * 60))
                    AnnotationFactory(
                        task=task,
                        annotator=annotator,
                        result=choice(rng.choice(["refund", "damaged"])),
                        created_at=at,
                        updated_at=at,
                        lead_time=round(rng.uniform(5, 120), 1),
                        was_cancelled=rng.random() < 0.05,
                        is_deleted=rng.random() < 0.05,
                    )
            live = list(Annotation.objects.filter(task__batch=batch, is_deleted=False, was_cancelled=False))
            for rejected in rng.sample(live, 3):
                at = rejected.created_at + dt.timedelta(hours=5)
                replacement = AnnotationFactory(
                    task=rejected.task, annotator=rejected.annotator, created_at=at, updated_at=at, lead_time=42.5
                )
                send_to_rework(rejected, replacement=replacement)
    unattributed = TaskFactory(project=project, batch=batch)
    AnnotationFactory(task=unattributed, annotator=None, created_at=start, updated_at=start)
    return project


def costs_label_by_label(project, labels) -> dict[str, tuple]:
    """Each vendor's costs priced one label at a time at the rate in force when it was made: the tallies' oracle."""
    reworks = Rework.objects.filter(annotation__task__project=project)
    rejected = set(reworks.values_list("annotation_id", flat=True))
    made_in_rework = set(reworks.exclude(replacement=None).values_list("replacement_id", flat=True))
    sums = defaultdict(lambda: {"labels": 0, "rejected": 0, "rework": 0, "unpriced": 0, "hours": Decimal(0),
                                "total": Decimal(0), "rework_cost": Decimal(0)})  # fmt: skip
    for label in labels:
        if label.annotator is None:
            continue
        vendor = label.annotator.vendor
        in_force = [rate for rate in vendor.rates.order_by("valid_from") if rate.valid_from <= label.created_at]
        hours = Decimal(str(label.lead_time or 0)) / 3600
        row = sums[vendor.name]
        row["labels"] += 1
        row["rejected"] += label.pk in rejected
        row["rework"] += label.pk in made_in_rework
        row["hours"] += hours
        if not in_force:
            row["unpriced"] += 1
            continue
        rate = in_force[-1]
        cost = hours * rate.amount if rate.unit == "per_hour" else (0 if label.pk in rejected else rate.amount)
        row["total"] += cost
        row["rework_cost"] += cost if label.pk in made_in_rework else 0
    cents = Decimal("0.01")
    return {
        name: (row["labels"], row["labels"] - row["rejected"], row["rework"], row["unpriced"],
               row["hours"].quantize(cents), row["total"].quantize(cents), row["rework_cost"].quantize(cents))
        for name, row in sums.items()
    }  # fmt: skip


def labels_of(project):
    return list(Annotation.objects.filter(task__project=project, is_deleted=False, was_cancelled=False))


@pytest.fixture
def in_shanghai(settings):
    settings.TIME_ZONE = SHANGHAI
    with timezone.override(SHANGHAI):  # activate() would leak the zone into the tests that follow
        yield


@pytest.mark.parametrize("seed", [1, 2])
@pytest.mark.usefixtures("in_shanghai")
def test_tallied_figures_equal_the_figures_counted_label_by_label(seed):
    project = build_project(seed)
    labels = labels_of(project)
    local_day = {label.pk: timezone.localtime(label.created_at).date() for label in labels}

    by_day = Counter(local_day.values())
    first = {}
    for label in sorted(labels, key=lambda label: (label.created_at, label.pk)):
        first.setdefault(label.task_id, label)
    first_by_day = Counter(local_day[label.pk] for label in first.values())
    gold = defaultdict(lambda: [0, 0])
    for label in labels:
        if label.task.is_gold and label.annotator is not None:
            gold[label.annotator.vendor.name][0] += 1
            gold[label.annotator.vendor.name][1] += gold_agrees(label.task.gold_answer, label.result)
    exact_costs = costs_label_by_label(project, labels)

    assert labels_by_day(project=project) == dict(by_day)
    assert annotated_tasks_by_day(project=project) == dict(first_by_day)
    middle = sorted(by_day)[1:3]
    assert labels_by_day(project=project, start=middle[0], end=middle[-1]) == {day: by_day[day] for day in middle}
    assert dict(labels_by_vendor(project=project)) == dict(
        Counter(label.annotator.vendor.name if label.annotator else "no vendor" for label in labels)
    )
    assert {row.vendor_name: [row.gold_seen, row.gold_correct] for row in vendor_quality(project=project)} == gold
    tallied_costs = {
        cost.vendor_name: (cost.labels, cost.kept_labels, cost.rework_labels, cost.unpriced_labels, cost.hours,
                           cost.total_cost, cost.rework_cost)
        for cost in costs.vendor_costs(project=project)
    }  # fmt: skip
    assert tallied_costs == exact_costs
    assert sum(figures[2] for figures in exact_costs.values()) == 12  # labels made in rework
    assert {figures[3] > 0 for figures in exact_costs.values()} == {True, False}  # labels before the first rate


def test_a_new_rate_reprices_the_labels_already_counted():
    vendor = VendorFactory(name="Acme")
    batch = BatchFactory(vendor=vendor)
    at = dt.datetime(2026, 11, 18, 9, tzinfo=dt.UTC)
    for _ in range(4):
        AnnotationFactory(
            task=TaskFactory(project=batch.project, batch=batch),
            annotator=AnnotatorFactory(vendor=vendor),
            created_at=at,
            updated_at=at,
        )
    VendorRateFactory(vendor=vendor, unit="per_task", amount="0.50", valid_from=at - dt.timedelta(days=1))
    assert costs.vendor_costs(project=batch.project)[0].total_cost == 2

    VendorRateFactory(vendor=vendor, unit="per_task", amount="0.75", valid_from=at - dt.timedelta(hours=1))

    assert costs.vendor_costs(project=batch.project)[0].total_cost == 3


def test_a_change_landing_during_a_recount_leaves_the_batch_stale_for_the_next_one():
    batch = BatchFactory()
    task = TaskFactory(project=batch.project, batch=batch, is_gold=True, gold_answer=choice("refund"))
    AnnotationFactory(task=task)
    real_gold_agrees = tallies.gold_agrees

    def a_label_lands_meanwhile(gold_answer, result):
        # The race cannot be timed against a real second writer; this seam lets one land mid-count, for real.
        AnnotationFactory(task=TaskFactory(project=batch.project, batch=batch))
        return real_gold_agrees(gold_answer, result)

    with mock.patch.object(tallies, "gold_agrees", a_label_lands_meanwhile):
        refresh_batch_tally(batch.pk)

    assert BatchTally.objects.get(batch=batch).stale
    assert stale_batch_ids() == [batch.pk]
    refresh_stale_tallies()
    tally = BatchTally.objects.get(batch=batch)
    assert not tally.stale
    assert (tally.tasks, tally.annotated_tasks, tally.gold_tasks) == (2, 2, 1)


def test_every_way_a_label_changes_marks_its_batch_stale():
    batch = BatchFactory()
    task = TaskFactory(project=batch.project, batch=batch)
    label = AnnotationFactory(task=task)
    refresh_stale_tallies()
    assert stale_batch_ids() == []

    label.is_deleted = True
    label.save()
    assert stale_batch_ids() == [batch.pk]
    refresh_stale_tallies()
    assert BatchTally.objects.get(batch=batch).annotated_tasks == 0

    label.delete()
    assert stale_batch_ids() == [batch.pk]
    refresh_stale_tallies()

    task.delete()
    assert stale_batch_ids() == [batch.pk]
    refresh_stale_tallies()
    assert BatchTally.objects.get(batch=batch).tasks == 0


def test_a_task_moved_to_another_batch_and_an_annotator_moved_to_another_vendor_are_counted_again():
    first = BatchFactory()
    second = BatchFactory(project=first.project)
    task = TaskFactory(project=first.project, batch=first)
    label = AnnotationFactory(task=task)
    refresh_stale_tallies()

    task.batch = second
    task.save()
    refresh_stale_tallies()
    assert BatchTally.objects.get(batch=first).tasks == 0
    assert BatchTally.objects.get(batch=second).annotated_tasks == 1

    annotator = label.annotator
    annotator.vendor = VendorFactory(name="New vendor")
    annotator.save()
    refresh_stale_tallies()
    assert dict(labels_by_vendor(project=first.project)) == {"New vendor": 1}


@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_recounts_of_one_batch_at_the_same_time_replace_each_other_instead_of_adding_up():
    import threading

    batch = BatchFactory()
    for _ in range(30):
        AnnotationFactory(task=TaskFactory(project=batch.project, batch=batch))
    start = threading.Barrier(4)
    errors = []

    def recount():
        try:
            start.wait()
            refresh_batch_tally(batch.pk)
        except Exception as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=recount) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert sum(LabelTally.objects.filter(batch=batch).values_list("labels", flat=True)) == 30
