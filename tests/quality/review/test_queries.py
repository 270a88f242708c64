"""Which review and which sample count: each annotation's latest review, each batch's current sample."""

from __future__ import annotations

import pytest

from projects.models import Annotation
from projects.quality.review.queries import latest_reviews, review_progress
from projects.quality.review.verdicts import decide_batch, record_review
from projects.quality.sampling.qa_sample import draw_qa_sample
from projects.quality.sampling.queries import current_sample
from tests.actors import actor_for
from tests.factories import AnnotatorFactory, BatchFactory, ErrorCategoryFactory, TaskFactory
from tests.quality.annotations import choice, label

pytestmark = pytest.mark.django_db


@pytest.fixture
def batch_of_100(triage_project):
    """100 annotations by four annotators under the project's default QA settings (10%, AQL 5%)."""
    triage_project.qa_first_tasks_in_full = 0
    triage_project.save()
    batch = BatchFactory(project=triage_project)
    annotators = [AnnotatorFactory() for _ in range(4)]
    for index in range(100):
        label(TaskFactory(project=triage_project, batch=batch), annotators[index % 4], choice("scenario", "refund"))
    return batch


def test_the_qa_sample_holds_the_73_reviews_an_aql_of_five_percent_needs_not_just_ten_percent(batch_of_100, reviewer):
    sample = draw_qa_sample(batch=batch_of_100, seed=1, actor=actor_for(reviewer))
    assert sample.items.count() == 73
    assert sample.settings["minimum_size"] == 73 and sample.settings["rate"] == 0.1
    assert current_sample(batch=batch_of_100) == sample

    for item in sample.items.select_related("annotation"):
        record_review(annotation=item.annotation, actor=actor_for(reviewer), verdict="accept", sample_item=item)
    decision = decide_batch(batch=batch_of_100, actor=actor_for(reviewer))
    assert decision.accepted and decision.sample_size == 73 and decision.upper_bound < 0.05


def test_a_later_review_of_an_annotation_supersedes_the_earlier_in_progress_and_decision(batch_of_100, reviewer):
    sample = draw_qa_sample(batch=batch_of_100, seed=1, actor=actor_for(reviewer))
    category = ErrorCategoryFactory(project=batch_of_100.project, name="Wrong label")
    items = list(sample.items.select_related("annotation").order_by("id"))
    for item in items:
        record_review(annotation=item.annotation, actor=actor_for(reviewer), verdict="accept", sample_item=item)
    second_thought = items[0].annotation
    # Reviewed again without naming the sample item (as the API does): it still counts for the sample.
    record_review(
        annotation=second_thought,
        actor=actor_for(reviewer),
        verdict="reject",
        error_category=category,
        severity="major",
    )

    latest = latest_reviews(annotations=Annotation.objects.filter(pk=second_thought.pk))
    assert [review.verdict for review in latest] == ["reject"]
    progress = review_progress(sample=sample)
    assert (progress.accepted, progress.rejected, progress.reviewed) == (72, 1, 73)
    decision = decide_batch(batch=batch_of_100, actor=actor_for(reviewer))
    assert decision.errors == 1 and not decision.accepted


def test_the_current_sample_is_the_one_drawn_last(batch_of_100, reviewer):
    draw_qa_sample(batch=batch_of_100, seed=1, actor=actor_for(reviewer))
    second = draw_qa_sample(batch=batch_of_100, seed=2, actor=actor_for(reviewer))
    assert current_sample(batch=batch_of_100) == second
