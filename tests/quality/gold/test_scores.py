"""Gold scores as a QA team meets them: accuracy per annotator and control, and gold retired once over-exposed."""

from __future__ import annotations

import pytest

from projects.models import GoldRetirement
from projects.quality.gold.scores import gold_exposure, retire_overexposed_gold, retired_gold_task_ids, score_gold
from projects.quality.stats.intervals import wilson_interval
from tests.actors import SYSTEM
from tests.factories import AnnotatorFactory, TaskFactory, UserFactory, VendorFactory
from tests.quality.annotations import choice, label

pytestmark = pytest.mark.django_db


def rating(value: int) -> dict:
    return {"from_name": "helpfulness", "to_name": "reply", "type": "rating", "value": {"rating": value}}


def test_gold_accuracy_per_annotator_and_control_carries_a_wilson_interval(triage_project):
    annotator = AnnotatorFactory(user=UserFactory(username="ann"))
    for index, (given, helpfulness) in enumerate([("refund", 4), ("refund", 2), ("damaged", 3)]):
        task = TaskFactory(
            project=triage_project,
            is_gold=True,
            gold_answer=[choice("scenario", "refund"), rating(4)],
            external_id=f"gold-{index}",
        )
        label(task, annotator, choice("scenario", given), rating(helpfulness))
    ignored = TaskFactory(project=triage_project, is_gold=True, gold_answer=[choice("scenario", "refund")])
    label(ignored, annotator, choice("scenario", "damaged"), is_deleted=True)
    label(ignored, annotator, choice("scenario", "damaged"), was_cancelled=True)

    scores = {score.control: score for score in score_gold(project=triage_project)}

    assert list(scores) == ["all", "scenario", "helpfulness"]
    scenario = scores["scenario"]
    assert (scenario.seen, scenario.correct, scenario.label_type) == (3, 2, "single_choice")
    assert (scenario.low, scenario.high) == pytest.approx(wilson_interval(2, 3))
    # Ratings 4, 2, 3 against 4: one step off passes, two steps off does not.
    assert (scores["helpfulness"].correct, scores["helpfulness"].mean_score) == (2, pytest.approx((1 + 0.5 + 0.75) / 3))
    assert (scores["all"].seen, scores["all"].correct) == (6, 4)


def test_gold_is_retired_per_vendor_once_enough_of_its_annotators_have_seen_it(triage_project):
    triage_project.gold_max_exposures_per_vendor = 2
    triage_project.save()
    busy, quiet = VendorFactory(name="Busy"), VendorFactory(name="Quiet")
    task = TaskFactory(project=triage_project, is_gold=True, gold_answer=[choice("scenario", "refund")])
    for _ in range(2):
        label(task, AnnotatorFactory(vendor=busy), choice("scenario", "refund"))
    label(task, AnnotatorFactory(vendor=quiet), choice("scenario", "refund"), was_cancelled=True)

    exposure = {row.vendor_name: row for row in gold_exposure(project=triage_project)}
    retired = retire_overexposed_gold(project=triage_project, actor=SYSTEM)

    assert (exposure["Busy"].annotators, exposure["Busy"].over_exposed) == (2, True)
    assert (exposure["Quiet"].annotators, exposure["Quiet"].over_exposed) == (1, False)
    assert [(row.task, row.vendor_name) for row in retired] == [(task.pk, "Busy")]
    assert retire_overexposed_gold(project=triage_project, actor=SYSTEM) == []
    assert GoldRetirement.objects.get().exposures == 2
    assert retired_gold_task_ids(project=triage_project, vendor_id=busy.pk) == {task.pk}
    assert retired_gold_task_ids(project=triage_project, vendor_id=quiet.pk) == set()
    assert [row.retired for row in gold_exposure(project=triage_project)] == [True, False]
