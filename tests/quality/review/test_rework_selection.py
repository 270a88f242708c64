"""Which rejected labels go back to the vendor as rework."""

from __future__ import annotations

import pytest

from projects.models import LabelStudioConnection, Review
from projects.quality.review.rework import rejected_annotations
from tests.factories import AnnotationFactory, BatchFactory, ErrorCategoryFactory, TaskFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_a_rejected_label_on_a_gold_task_is_not_sent_back_so_the_feedback_cannot_give_the_answer_away():
    batch = BatchFactory()
    connection = LabelStudioConnection.objects.create(name="vendor", url="http://127.0.0.1:8999", vendor=batch.vendor)
    category = ErrorCategoryFactory(project=batch.project)
    regular = AnnotationFactory(task=TaskFactory(project=batch.project, batch=batch), connection=connection)
    on_gold = AnnotationFactory(
        task=TaskFactory(project=batch.project, batch=batch, is_gold=True, gold_answer=[]), connection=connection
    )
    for annotation in (regular, on_gold):
        Review.objects.create(
            annotation=annotation, reviewer=UserFactory(), verdict=Review.Verdict.REJECT, error_category=category,
            severity=Review.Severity.MAJOR,
        )  # fmt: skip

    assert list(rejected_annotations(batch)) == [regular]
