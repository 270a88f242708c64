"""Gold mixed into batches from the project's gold set at its gold rate, least-seen first, never a retired item."""

from __future__ import annotations

from decimal import Decimal

import pytest

from projects.labeling.gold_mixing import gold_wanted, mix_gold
from projects.models import GoldRetirement, Task
from projects.quality.gold.scores import gold_exposure, retire_overexposed_gold
from tests.actors import SYSTEM
from tests.factories import AnnotationFactory, AnnotatorFactory, BatchFactory, LabelingProjectFactory, TaskFactory

pytestmark = pytest.mark.django_db

REFUND = [{"from_name": "scenario", "to_name": "message", "type": "choices", "value": {"choices": ["refund"]}}]


@pytest.mark.parametrize(
    ("regular", "rate", "wanted"),
    [(90, 0.1, 10), (9, 0.1, 1), (30, 0.25, 10), (8, 0.2, 2), (100, 0.0, 0), (0, 0.1, 0), (10, 1.0, 0)],
)
def test_gold_wanted_makes_gold_the_rate_of_the_whole_batch(regular, rate, wanted):
    assert gold_wanted(regular=regular, rate=rate) == wanted


def project_with_gold_set(items: int, rate: str = "0.2"):
    project = LabelingProjectFactory(gold_rate=Decimal(rate), gold_max_exposures_per_vendor=2)
    pool = [
        TaskFactory(project=project, external_id=f"gold-{number}", is_gold=True, gold_answer=REFUND)
        for number in range(items)
    ]
    return project, pool


def batch_of(project, vendor=None, regular: int = 8):
    batch = BatchFactory(project=project, **({"vendor": vendor} if vendor else {}))
    for _ in range(regular):
        TaskFactory(project=project, batch=batch)
    return batch


def test_a_batch_gets_copies_of_gold_items_up_to_the_rate_and_a_rerun_adds_nothing():
    project, pool = project_with_gold_set(5)
    batch = batch_of(project)

    mix = mix_gold(batch=batch)

    copies = list(Task.objects.filter(batch=batch, is_gold=True))
    assert (mix.wanted, mix.added, mix.short) == (2, 2, 0)
    assert len(copies) == 2
    for copy in copies:
        assert copy.gold_source in pool
        assert copy.external_id == f"{copy.gold_source.external_id}~b{batch.pk}"
        assert copy.gold_answer == REFUND and copy.data == copy.gold_source.data
    again = mix_gold(batch=batch)
    assert again.added == 0
    assert Task.objects.filter(batch=batch, is_gold=True).count() == 2


def test_gold_imported_into_the_batch_counts_toward_the_rate():
    project, _ = project_with_gold_set(5)
    batch = batch_of(project)
    TaskFactory(project=project, batch=batch, is_gold=True, gold_answer=REFUND)

    assert mix_gold(batch=batch).added == 1  # 8 regular want 2 gold; 1 is there


def test_least_seen_items_come_first_and_retired_items_never():
    project, pool = project_with_gold_set(4, rate="0.5")
    first = batch_of(project, regular=2)  # wants 2 of the 4
    mix_gold(batch=first)
    vendor = first.vendor
    seen = [copy.gold_source_id for copy in Task.objects.filter(batch=first, is_gold=True)]
    for copy in Task.objects.filter(batch=first, is_gold=True):
        for _ in range(2):
            AnnotationFactory(task=copy, annotator=AnnotatorFactory(vendor=vendor), result=REFUND)

    exposures = {(exposure.task, exposure.vendor): exposure for exposure in gold_exposure(project=project)}
    assert {task for task, _ in exposures} == set(seen)  # counted on the item, not the copy
    assert all(exposure.annotators == 2 and exposure.over_exposed for exposure in exposures.values())
    assert {exposure.task for exposure in retire_overexposed_gold(project=project, actor=SYSTEM)} == set(seen)
    assert set(GoldRetirement.objects.values_list("task_id", flat=True)) == set(seen)

    second = batch_of(project, vendor=vendor, regular=2)
    mix = mix_gold(batch=second)
    fresh = {copy.gold_source_id for copy in Task.objects.filter(batch=second, is_gold=True)}
    assert fresh == {item.pk for item in pool} - set(seen)

    assert mix.short == 0
    third = batch_of(project, vendor=vendor, regular=2)
    mix = mix_gold(batch=third)
    assert mix.short == 0
    assert {copy.gold_source_id for copy in Task.objects.filter(batch=third, is_gold=True)} == fresh


def test_a_vendor_short_of_gold_items_is_told_how_many_are_missing():
    project, _ = project_with_gold_set(1)
    batch = batch_of(project)

    mix = mix_gold(batch=batch)

    assert (mix.wanted, mix.added, mix.short) == (2, 1, 1)


def test_the_choice_is_the_same_on_a_rerun_of_the_same_batch():
    project, _ = project_with_gold_set(10)
    batch = batch_of(project)
    mix_gold(batch=batch)
    chosen = sorted(Task.objects.filter(batch=batch, is_gold=True).values_list("gold_source_id", flat=True))
    Task.objects.filter(batch=batch, is_gold=True).delete()

    mix_gold(batch=batch)

    assert sorted(Task.objects.filter(batch=batch, is_gold=True).values_list("gold_source_id", flat=True)) == chosen
