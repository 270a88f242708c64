"""A batch moves to in progress at its first label and to delivered when every task has the project's overlap."""

from __future__ import annotations

import pytest

from projects.labeling.batch_status import advance_batch_status
from projects.models import Batch
from tests.factories import AnnotationFactory, BatchFactory, LabelingProjectFactory, TaskFactory

pytestmark = pytest.mark.django_db


def test_pushed_then_in_progress_then_delivered_and_never_back_from_qa():
    batch = BatchFactory(project=LabelingProjectFactory(overlap=2), status=Batch.Status.PUSHED)
    tasks = [TaskFactory(project=batch.project, batch=batch) for _ in range(2)]

    advance_batch_status([batch.pk])
    assert Batch.objects.get(pk=batch.pk).status == Batch.Status.PUSHED  # nothing labeled yet

    AnnotationFactory(task=tasks[0])
    AnnotationFactory(task=tasks[0])
    AnnotationFactory(task=tasks[1], is_deleted=True)  # deleted in Label Studio: not done
    advance_batch_status([batch.pk])
    assert Batch.objects.get(pk=batch.pk).status == Batch.Status.IN_PROGRESS

    AnnotationFactory(task=tasks[1])
    AnnotationFactory(task=tasks[1], was_cancelled=True)  # a skip is that annotator's answer
    advance_batch_status([batch.pk])
    assert Batch.objects.get(pk=batch.pk).status == Batch.Status.DELIVERED

    Batch.objects.filter(pk=batch.pk).update(status=Batch.Status.REJECTED)
    advance_batch_status([batch.pk])
    assert Batch.objects.get(pk=batch.pk).status == Batch.Status.REJECTED
