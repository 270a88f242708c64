"""Verdicts as a QA team meets them: adjudications, reviews of the QA sample and the batch decision."""

from __future__ import annotations

from decimal import Decimal

import pytest
from auditlog.models import LogEntry
from django.contrib.auth.models import Group
from django.db import IntegrityError, transaction

from projects.access.roles import VENDOR_MANAGER
from projects.access.scoping import visible
from projects.models import Batch, BatchDecision, ItemConsensus, QASampleItem, Review, VendorManager
from projects.quality.consensus.build import aggregate_batch
from projects.quality.review import queries
from projects.quality.review.verdicts import (
    AdjudicationRefused,
    DecisionRefused,
    ReviewRefused,
    adjudicate,
    decide_batch,
    record_review,
)
from projects.quality.sampling.qa_sample import draw_qa_sample
from projects.quality.stats.intervals import wilson_interval
from tests.actors import actor_for
from tests.factories import (
    AnnotatorFactory,
    BatchFactory,
    ErrorCategoryFactory,
    LabelingProjectFactory,
    TaskFactory,
    UserFactory,
    VendorFactory,
)
from tests.quality.annotations import choice, label

pytestmark = pytest.mark.django_db


def test_an_adjudication_settles_the_item_and_survives_reaggregation(triage_project, reviewer):
    batch = BatchFactory(project=triage_project)
    tied = TaskFactory(project=triage_project, batch=batch)
    label(tied, AnnotatorFactory(), choice("scenario", "refund"))
    label(tied, AnnotatorFactory(), choice("scenario", "damaged"))
    aggregate_batch(batch=batch)
    assert queries.adjudication_queue(batch=batch).count() == 1

    adjudicate(task=tied, control_name="scenario", label="damaged", actor=actor_for(reviewer), comment="photo")
    aggregate_batch(batch=batch)

    consensus = ItemConsensus.objects.get(task=tied, control_name="scenario")
    assert (consensus.method, consensus.label, consensus.needs_adjudication) == ("adjudication", "damaged", False)
    assert queries.adjudication_queue(batch=batch).count() == 0
    with pytest.raises(AdjudicationRefused, match="takes one of"):
        adjudicate(task=tied, control_name="scenario", label="teleported", actor=actor_for(reviewer))
    with pytest.raises(AdjudicationRefused, match="rating from 1 to 5"):
        adjudicate(task=tied, control_name="helpfulness", label=9, actor=actor_for(reviewer))


@pytest.fixture
def sampled_batch(triage_project, reviewer):
    triage_project.qa_sample_rate = Decimal("1")
    triage_project.qa_first_tasks_in_full = 0
    triage_project.save()
    batch = BatchFactory(project=triage_project)
    annotator = AnnotatorFactory()
    for _ in range(60):
        label(TaskFactory(project=triage_project, batch=batch), annotator, choice("scenario", "refund"))
    sample = draw_qa_sample(batch=batch, seed=1, actor=actor_for(reviewer))
    return batch, sample


def test_a_rejection_needs_a_category_of_the_project_and_a_severity(sampled_batch, reviewer, triage_project):
    _, sample = sampled_batch
    annotation = sample.items.first().annotation
    foreign = ErrorCategoryFactory(project=LabelingProjectFactory(), name="wrong")
    retired = ErrorCategoryFactory(project=triage_project, name="old", active=False)

    with pytest.raises(ReviewRefused, match="error category"):
        record_review(annotation=annotation, actor=actor_for(reviewer), verdict="reject", severity="major")
    with pytest.raises(ReviewRefused, match="severity"):
        record_review(
            annotation=annotation,
            actor=actor_for(reviewer),
            verdict="reject",
            error_category=ErrorCategoryFactory(project=triage_project),
        )
    for category in (foreign, retired):
        with pytest.raises(ReviewRefused, match="not an active error category"):
            record_review(
                annotation=annotation,
                actor=actor_for(reviewer),
                verdict="reject",
                error_category=category,
                severity="minor",
            )
    with pytest.raises(ReviewRefused, match="corrected label"):
        record_review(annotation=annotation, actor=actor_for(reviewer), verdict="correct")
    with pytest.raises(ReviewRefused, match="label config"):
        record_review(
            annotation=annotation,
            actor=actor_for(reviewer),
            verdict="correct",
            corrected_result=[choice("nope", "refund")],
        )
    with pytest.raises(ReviewRefused, match="own annotations"):
        record_review(annotation=annotation, actor=actor_for(annotation.annotator.user), verdict="accept")
    assert not Review.objects.exists()
    assert sample.items.filter(status="pending").count() == 60


def test_the_database_refuses_a_rejection_without_category_and_a_correction_without_label(sampled_batch, reviewer):
    _, sample = sampled_batch
    annotation = sample.items.first().annotation
    for fields in ({"verdict": "reject", "severity": "minor"}, {"verdict": "correct"}):
        with pytest.raises(IntegrityError), transaction.atomic():
            Review.objects.create(annotation=annotation, reviewer=reviewer, **fields)


def test_reviewing_works_the_queue_and_a_clean_sample_accepts_the_batch(sampled_batch, reviewer):
    batch, sample = sampled_batch
    with pytest.raises(DecisionRefused, match="60 of 60 sampled annotations"):
        decide_batch(batch=batch, actor=actor_for(reviewer))

    while (item := queries.next_review_item(reviewer=reviewer, batch=batch)) is not None:
        record_review(annotation=item.annotation, actor=actor_for(reviewer), verdict="accept")
    decision = decide_batch(batch=batch, actor=actor_for(reviewer))

    progress = queries.review_progress(sample=sample)
    assert (progress.total, progress.reviewed, progress.pending, progress.accepted) == (60, 60, 0, 60)
    # 0 errors in 60: Wilson upper bound 0.060, above an AQL of 0.05; the PM loosens the AQL to 0.07.
    assert not decision.accepted and decision.upper_bound == pytest.approx(wilson_interval(0, 60)[1])
    batch.project.acceptable_quality_level = Decimal("0.07")
    batch.project.save()
    decision = decide_batch(batch=batch, actor=actor_for(reviewer))
    assert decision.accepted and decision.decided_by == reviewer
    assert Batch.objects.get(pk=batch.pk).status == Batch.Status.ACCEPTED
    assert BatchDecision.objects.filter(batch=batch).count() == 2
    assert LogEntry.objects.get_for_object(decision).get().actor == reviewer


def test_rejections_and_corrections_count_as_errors_and_reject_the_batch(sampled_batch, reviewer, triage_project):
    batch, sample = sampled_batch
    category = ErrorCategoryFactory(project=triage_project, name="wrong scenario")
    for index, item in enumerate(sample.items.order_by("id")):
        if index < 3:
            record_review(
                annotation=item.annotation,
                actor=actor_for(reviewer),
                verdict="reject",
                error_category=category,
                severity="major",
                comment="The buyer asks for a return.",
            )
        elif index < 5:
            record_review(
                annotation=item.annotation,
                actor=actor_for(reviewer),
                verdict="correct",
                corrected_result=[choice("scenario", "damaged")],
            )
        else:
            record_review(annotation=item.annotation, actor=actor_for(reviewer), verdict="accept")

    decision = decide_batch(batch=batch, actor=actor_for(reviewer))

    assert (decision.sample_size, decision.errors, decision.error_rate) == (60, 5, pytest.approx(5 / 60))
    assert decision.aql == Decimal("0.05") and not decision.accepted
    assert Batch.objects.get(pk=batch.pk).status == Batch.Status.REJECTED
    progress = queries.review_progress(sample=sample)
    assert (progress.rejected, progress.corrected, progress.accepted) == (3, 2, 55)
    review = Review.objects.filter(verdict="reject").first()
    assert LogEntry.objects.get_for_object(review).get().actor == reviewer
    assert review.sample_item.status == QASampleItem.Status.REVIEWED


def test_a_later_review_supersedes_the_earlier_one_in_the_decision(sampled_batch, reviewer, triage_project):
    batch, sample = sampled_batch
    category = ErrorCategoryFactory(project=triage_project)
    items = list(sample.items.order_by("id"))
    record_review(
        annotation=items[0].annotation,
        actor=actor_for(reviewer),
        verdict="reject",
        error_category=category,
        severity="minor",
    )
    for item in items:
        record_review(annotation=item.annotation, actor=actor_for(reviewer), verdict="accept", sample_item=item)

    assert decide_batch(batch=batch, actor=actor_for(reviewer)).errors == 0


def test_a_vendor_manager_sees_reviews_of_their_own_vendors_annotations_only(sampled_batch, reviewer):
    _, sample = sampled_batch
    annotation = sample.items.first().annotation
    record_review(annotation=annotation, actor=actor_for(reviewer), verdict="accept")
    own, rival = UserFactory(), UserFactory()
    for user, vendor in ((own, annotation.annotator.vendor), (rival, VendorFactory())):
        user.groups.add(Group.objects.get(name=VENDOR_MANAGER))
        VendorManager.objects.create(user=user, vendor=vendor)

    assert visible(own, Review.objects.all()).count() == 1
    assert visible(rival, Review.objects.all()).count() == 0
