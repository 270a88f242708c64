"""Quality services as a QA team meets them: gold, agreement, consensus, QA samples, reviews and batch decisions."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal

import pytest
from auditlog.models import LogEntry
from django.contrib.auth.models import Group
from django.db import IntegrityError, transaction
from django.db.models import Value
from django.db.models.functions import Concat
from django.utils import timezone

from projects.access.roles import QA_REVIEWER, VENDOR_MANAGER
from projects.access.scoping import visible
from projects.models import (
    Batch,
    BatchDecision,
    GoldRetirement,
    ItemConsensus,
    QASample,
    QASampleItem,
    Review,
    Task,
    VendorManager,
)
from projects.quality import queries
from projects.quality.anomalies import FAST, STRAIGHT_LINING
from projects.quality.batch_agreement import compute_agreement
from projects.quality.consensus import aggregate_batch, annotator_consensus_agreement, truth_accuracy
from projects.quality.gold_scores import gold_exposure, retire_overexposed_gold, retired_gold_task_ids, score_gold
from projects.quality.intervals import wilson_interval
from projects.quality.qa_samples import draw_qa_sample, plan_qa_sample
from projects.quality.sampling import FASTER_THAN_PEERS, FLAGGED, LOW_GOLD_ACCURACY
from projects.quality.verdicts import (
    AdjudicationRefused,
    DecisionRefused,
    ReviewRefused,
    adjudicate,
    decide_batch,
    record_review,
)
from tests.factories import (
    AnnotationFactory,
    AnnotatorFactory,
    BatchFactory,
    ErrorCategoryFactory,
    LabelingProjectFactory,
    TaskFactory,
    UserFactory,
    VendorFactory,
)
from tests.quality.simulated_workforce import simulate_batch

pytestmark = pytest.mark.django_db


def choice(name: str, value: str, to_name: str = "message") -> dict:
    return {"from_name": name, "to_name": to_name, "type": "choices", "value": {"choices": [value]}}


def rating(value: int) -> dict:
    return {"from_name": "helpfulness", "to_name": "reply", "type": "rating", "value": {"rating": value}}


def label(task, annotator, *regions, **fields):
    return AnnotationFactory(task=task, annotator=annotator, result=list(regions), **fields)


@pytest.fixture
def reviewer(db):
    user = UserFactory(username="quinn")
    user.groups.add(Group.objects.get(name=QA_REVIEWER))
    return user


@pytest.fixture
def simulated():
    return simulate_batch(seed=11)


# -- the simulated workforce -----------------------------------------------------------------------


def test_spammer_and_fast_sloppy_annotators_stand_out_from_the_careful_ones(simulated):
    gold = {score.annotator: score for score in score_gold(project=simulated.project) if score.control == "all"}
    agreement = annotator_consensus_agreement(batch=simulated.batch)
    weights = {row.annotator: row for row in plan_qa_sample(batch=simulated.batch, seed=1).annotators}

    careful = simulated.annotators_with("careful")
    for suspect in simulated.annotators_with("spammer") + simulated.annotators_with("fast_sloppy"):
        for expert in careful:
            assert gold[suspect.pk].accuracy < gold[expert.pk].accuracy
            assert agreement[suspect.pk] < agreement[expert.pk]
            assert weights[suspect.pk].mean_weight > weights[expert.pk].mean_weight
        assert LOW_GOLD_ACCURACY in weights[suspect.pk].reasons
        assert FASTER_THAN_PEERS in weights[suspect.pk].reasons
        assert weights[suspect.pk].sampled > max(weights[expert.pk].sampled for expert in careful)


def test_dawid_skene_is_at_least_as_accurate_as_majority_vote_on_the_simulated_workforce(simulated):
    aggregation = aggregate_batch(batch=simulated.batch)

    majority = dawid_skene = total = 0
    for name, control in aggregation.controls.items():
        truth = {task: answer[name] for task, answer in simulated.truth.items() if task not in simulated.gold_tasks}
        right, count = truth_accuracy(control.majority, truth)
        majority += right
        dawid_skene += truth_accuracy(control.dawid_skene.items, truth)[0]
        total += count

    assert total == 3 * (150 - len(simulated.gold_tasks))
    assert dawid_skene >= majority
    assert dawid_skene / total > 0.85


# -- gold ------------------------------------------------------------------------------------------


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
    retired = retire_overexposed_gold(project=triage_project)

    assert (exposure["Busy"].annotators, exposure["Busy"].over_exposed) == (2, True)
    assert (exposure["Quiet"].annotators, exposure["Quiet"].over_exposed) == (1, False)
    assert [(row.task, row.vendor_name) for row in retired] == [(task.pk, "Busy")]
    assert retire_overexposed_gold(project=triage_project) == []
    assert GoldRetirement.objects.get().exposures == 2
    assert retired_gold_task_ids(project=triage_project, vendor_id=busy.pk) == {task.pk}
    assert retired_gold_task_ids(project=triage_project, vendor_id=quiet.pk) == set()
    assert [row.retired for row in gold_exposure(project=triage_project)] == [True, False]


# -- agreement -------------------------------------------------------------------------------------


def test_agreement_per_control_vendor_and_pair_with_deterministic_bootstrap_intervals(simulated):
    first = compute_agreement(batch=simulated.batch, resamples=100, seed=3)
    again = compute_agreement(batch=simulated.batch, resamples=100, seed=3)

    assert first == again
    batch_level = {(figure.control, figure.statistic): figure for figure in first.by_scope("batch")}
    assert set(batch_level) >= {("scenario", "krippendorff_alpha"), ("scenario", "fleiss_kappa")}
    alpha = batch_level[("scenario", "krippendorff_alpha")]
    assert alpha.items == 150 and alpha.low <= alpha.value <= alpha.high
    assert {figure.subject for figure in first.by_scope("vendor")} == {"Vendor north-11", "Vendor south-11"}
    pairs = [figure for figure in first.by_scope("pair") if figure.control == "scenario"]
    assert len(pairs) == 15 and {figure.statistic for figure in pairs} == {"cohen_kappa"}
    kappas = {figure.subject: figure.value for figure in pairs}
    assert kappas["alice-11 / wang-11"] > kappas["li-11 / wang-11"]


def test_agreement_without_overlap_is_undefined_and_says_why(triage_project):
    batch = BatchFactory(project=triage_project)
    label(TaskFactory(project=triage_project, batch=batch), AnnotatorFactory(), choice("scenario", "refund"))

    figures = compute_agreement(batch=batch, resamples=10).figures

    alpha = next(figure for figure in figures if figure.statistic == "krippendorff_alpha")
    assert (alpha.value, alpha.items, alpha.dropped_items, alpha.low) == (None, 0, 1, None)
    assert alpha.reason


# -- aggregation -----------------------------------------------------------------------------------


def test_consensus_is_stored_per_task_and_control_with_gold_held_and_ties_sent_to_adjudication(triage_project):
    batch = BatchFactory(project=triage_project)
    ann, bo = AnnotatorFactory(), AnnotatorFactory()
    agreed = TaskFactory(project=triage_project, batch=batch)
    tied = TaskFactory(project=triage_project, batch=batch)
    gold = TaskFactory(project=triage_project, batch=batch, is_gold=True, gold_answer=[choice("scenario", "damaged")])
    label(agreed, ann, choice("scenario", "refund"))
    label(agreed, bo, choice("scenario", "refund"))
    label(tied, ann, choice("scenario", "refund"))
    label(tied, bo, choice("scenario", "damaged"))
    label(gold, ann, choice("scenario", "damaged"))
    label(gold, bo, choice("scenario", "damaged"))

    summary = aggregate_batch(batch=batch)
    aggregate_batch(batch=batch)

    rows = {row.task_id: row for row in ItemConsensus.objects.filter(control_name="scenario")}
    assert ItemConsensus.objects.count() == 3 == summary.consensus_rows
    assert (rows[agreed.pk].label, rows[agreed.pk].needs_adjudication) == ("refund", False)
    assert rows[tied.pk].needs_adjudication and rows[tied.pk].label is None
    assert (rows[gold.pk].method, rows[gold.pk].label, rows[gold.pk].confidence) == ("gold", "damaged", 1.0)
    assert summary.needs_adjudication == 1
    confusion = summary.controls["scenario"].confusions[ann.pk]
    assert confusion.matrix.shape == (len(confusion.labels), len(confusion.labels))


def test_consensus_labels_with_quotes_backslashes_and_tabs_are_stored_as_given():
    odd = 'refund "full"\\ or\tpartial'
    config = f"""<View><Text name="message" value="$message"/>
      <Choices name="scenario" toName="message"><Choice value="{odd.replace('"', "&quot;")}"/><Choice value="x"/>
      </Choices></View>"""
    project = LabelingProjectFactory(label_config=config)
    batch = BatchFactory(project=project)
    ann, bo = AnnotatorFactory(), AnnotatorFactory()
    task = TaskFactory(project=project, batch=batch)
    label(task, ann, choice("scenario", odd))
    label(task, bo, choice("scenario", odd))

    aggregate_batch(batch=batch)

    stored = ItemConsensus.objects.get(task=task)
    assert stored.label == odd
    assert list(stored.probabilities) == [odd]


def test_an_annotators_later_label_replaces_their_earlier_one_in_agreement_and_consensus(triage_project):
    batch = BatchFactory(project=triage_project)
    ann, bo = AnnotatorFactory(), AnnotatorFactory()
    task = TaskFactory(project=triage_project, batch=batch)
    label(task, ann, choice("scenario", "damaged"))  # nobody else gives it, and ann changes their mind
    label(task, bo, choice("scenario", "refund"))
    label(task, ann, choice("scenario", "refund"))

    summary = aggregate_batch(batch=batch)
    figures = compute_agreement(batch=batch, resamples=10).figures

    stored = ItemConsensus.objects.get(task=task)
    assert (stored.label, stored.ratings, stored.needs_adjudication) == ("refund", 2, False)
    assert summary.controls["scenario"].majority[0].probabilities == {"refund": 1.0}
    (batch_figure,) = [
        f for f in figures if (f.scope, f.control, f.statistic) == ("batch", "scenario", "percent_agreement")
    ]
    assert (batch_figure.value, batch_figure.items) == (1.0, 1)


def test_an_adjudication_settles_the_item_and_survives_reaggregation(triage_project, reviewer):
    batch = BatchFactory(project=triage_project)
    tied = TaskFactory(project=triage_project, batch=batch)
    label(tied, AnnotatorFactory(), choice("scenario", "refund"))
    label(tied, AnnotatorFactory(), choice("scenario", "damaged"))
    aggregate_batch(batch=batch)
    assert queries.adjudication_queue(batch=batch).count() == 1

    adjudicate(task=tied, control_name="scenario", label="damaged", adjudicator=reviewer, comment="photo")
    aggregate_batch(batch=batch)

    consensus = ItemConsensus.objects.get(task=tied, control_name="scenario")
    assert (consensus.method, consensus.label, consensus.needs_adjudication) == ("adjudication", "damaged", False)
    assert queries.adjudication_queue(batch=batch).count() == 0
    with pytest.raises(AdjudicationRefused, match="takes one of"):
        adjudicate(task=tied, control_name="scenario", label="teleported", adjudicator=reviewer)
    with pytest.raises(AdjudicationRefused, match="rating from 1 to 5"):
        adjudicate(task=tied, control_name="helpfulness", label=9, adjudicator=reviewer)


# -- QA sampling -----------------------------------------------------------------------------------


def test_drawing_a_qa_sample_is_idempotent_per_seed_and_records_why_each_item_was_drawn(simulated, reviewer):
    sample = draw_qa_sample(batch=simulated.batch, seed=5, user=reviewer)
    again = draw_qa_sample(batch=simulated.batch, seed=5, user=reviewer)
    other = draw_qa_sample(batch=simulated.batch, seed=6, user=reviewer)

    assert again.pk == sample.pk and other.pk != sample.pk
    assert QASample.objects.filter(batch=simulated.batch).count() == 2
    items = list(sample.items.all())
    assert len(items) >= 45  # 10% of 450 annotations
    assert all(item.reasons and item.reasons[0] in {"first_tasks", "annotator_minimum", "base_rate"} for item in items)
    first_tasks = [item for item in items if item.reasons[0] == "first_tasks"]
    assert len(first_tasks) == 6 * simulated.project.qa_first_tasks_in_full
    assert sample.settings["rate"] == pytest.approx(0.1) and sample.drawn_by == reviewer
    assert LogEntry.objects.get_for_object(sample).get().actor == reviewer


def test_a_flagged_annotators_sampled_work_names_the_flags_that_weighed_it(simulated, reviewer):
    sample = draw_qa_sample(batch=simulated.batch, seed=5, user=reviewer)

    reasons = defaultdict(list)
    for annotator, item_reasons in sample.items.values_list("annotation__annotator_id", "reasons"):
        reasons[annotator].append(item_reasons)
    (spammer,) = simulated.annotators_with("spammer")
    assert all({FLAGGED[FAST], FLAGGED[STRAIGHT_LINING]} <= set(given) for given in reasons[spammer.pk])
    for careful in simulated.annotators_with("careful"):
        assert not any(reason.startswith("flagged_") for given in reasons[careful.pk] for reason in given)


def test_first_tasks_count_across_the_project_not_the_batch(simulated, reviewer):
    later = BatchFactory(project=simulated.project, vendor=simulated.batch.vendor)
    alice = simulated.annotators["alice"]
    task = TaskFactory(project=simulated.project, batch=later)
    label(task, alice, choice("scenario", "refund", "dialogue"), created_at=timezone.now() + dt.timedelta(days=1))

    sample = draw_qa_sample(batch=later, seed=1, user=reviewer)

    assert [item.reasons[0] for item in sample.items.all()] == ["annotator_minimum"]


# -- reviews and decisions -------------------------------------------------------------------------


@pytest.fixture
def sampled_batch(triage_project, reviewer):
    triage_project.qa_sample_rate = Decimal("1")
    triage_project.qa_first_tasks_in_full = 0
    triage_project.save()
    batch = BatchFactory(project=triage_project)
    annotator = AnnotatorFactory()
    for _ in range(60):
        label(TaskFactory(project=triage_project, batch=batch), annotator, choice("scenario", "refund"))
    sample = draw_qa_sample(batch=batch, seed=1, user=reviewer)
    return batch, sample


def test_a_rejection_needs_a_category_of_the_project_and_a_severity(sampled_batch, reviewer, triage_project):
    _, sample = sampled_batch
    annotation = sample.items.first().annotation
    foreign = ErrorCategoryFactory(project=LabelingProjectFactory(), name="wrong")
    retired = ErrorCategoryFactory(project=triage_project, name="old", active=False)

    with pytest.raises(ReviewRefused, match="error category"):
        record_review(annotation=annotation, reviewer=reviewer, verdict="reject", severity="major")
    with pytest.raises(ReviewRefused, match="severity"):
        record_review(
            annotation=annotation,
            reviewer=reviewer,
            verdict="reject",
            error_category=ErrorCategoryFactory(project=triage_project),
        )
    for category in (foreign, retired):
        with pytest.raises(ReviewRefused, match="not an active error category"):
            record_review(
                annotation=annotation, reviewer=reviewer, verdict="reject", error_category=category, severity="minor"
            )
    with pytest.raises(ReviewRefused, match="corrected label"):
        record_review(annotation=annotation, reviewer=reviewer, verdict="correct")
    with pytest.raises(ReviewRefused, match="label config"):
        record_review(
            annotation=annotation, reviewer=reviewer, verdict="correct", corrected_result=[choice("nope", "refund")]
        )
    with pytest.raises(ReviewRefused, match="own annotations"):
        record_review(annotation=annotation, reviewer=annotation.annotator.user, verdict="accept")
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
        decide_batch(batch=batch, user=reviewer)

    while (item := queries.next_review_item(reviewer=reviewer, batch=batch)) is not None:
        record_review(annotation=item.annotation, reviewer=reviewer, verdict="accept")
    decision = decide_batch(batch=batch, user=reviewer)

    progress = queries.review_progress(sample=sample)
    assert (progress.total, progress.reviewed, progress.pending, progress.accepted) == (60, 60, 0, 60)
    # 0 errors in 60: Wilson upper bound 0.060, above an AQL of 0.05; the PM loosens the AQL to 0.07.
    assert not decision.accepted and decision.upper_bound == pytest.approx(wilson_interval(0, 60)[1])
    batch.project.acceptable_quality_level = Decimal("0.07")
    batch.project.save()
    decision = decide_batch(batch=batch, user=reviewer)
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
                reviewer=reviewer,
                verdict="reject",
                error_category=category,
                severity="major",
                comment="The buyer asks for a return.",
            )
        elif index < 5:
            record_review(
                annotation=item.annotation,
                reviewer=reviewer,
                verdict="correct",
                corrected_result=[choice("scenario", "damaged")],
            )
        else:
            record_review(annotation=item.annotation, reviewer=reviewer, verdict="accept")

    decision = decide_batch(batch=batch, user=reviewer)

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
        annotation=items[0].annotation, reviewer=reviewer, verdict="reject", error_category=category, severity="minor"
    )
    for item in items:
        record_review(annotation=item.annotation, reviewer=reviewer, verdict="accept", sample_item=item)

    assert decide_batch(batch=batch, user=reviewer).errors == 0


def test_a_vendor_manager_sees_reviews_of_their_own_vendors_annotations_only(sampled_batch, reviewer):
    _, sample = sampled_batch
    annotation = sample.items.first().annotation
    record_review(annotation=annotation, reviewer=reviewer, verdict="accept")
    own, rival = UserFactory(), UserFactory()
    for user, vendor in ((own, annotation.annotator.vendor), (rival, VendorFactory())):
        user.groups.add(Group.objects.get(name=VENDOR_MANAGER))
        VendorManager.objects.create(user=user, vendor=vendor)

    assert visible(own, Review.objects.all()).count() == 1
    assert visible(rival, Review.objects.all()).count() == 0


def test_a_full_quality_run_scores_gold_aggregates_and_samples_every_batch(simulated):
    from projects.models import ItemConsensus, QASample
    from projects.quality.quality_run import run_quality

    result = run_quality(project=simulated.project, seed=3)

    assert ItemConsensus.objects.filter(task__batch=simulated.batch).count() == 150 * 3  # tasks x controls
    assert QASample.objects.filter(batch=simulated.batch, seed=3).count() == 1
    assert set(result.seconds) >= {"gold", "agreement", "aggregation", "sample"}


@pytest.mark.django_db(transaction=True)
def test_a_quality_run_loading_and_writing_beside_the_computation_stores_what_a_run_in_one_thread_stores():
    from projects.quality.quality_run import run_quality

    batches = []
    for seed in (11, 12, 13):
        batches.append(simulate_batch(seed=seed, project=batches[0].project if batches else None))
        # The simulated conversations of every seed are numbered alike: one project holds them apart by batch.
        Task.objects.filter(batch=batches[-1].batch).update(external_id=Concat(Value(f"{seed}-"), "external_id"))
    project = batches[0].project

    def stored():
        consensus = ItemConsensus.objects.filter(task__project=project).values_list(
            "task_id", "control_name", "method", "label", "confidence", "probabilities", "needs_adjudication"
        )
        items = QASampleItem.objects.filter(sample__batch__project=project).values_list("annotation_id", "reasons")
        return sorted(consensus), sorted(items)

    reported = []

    def progress(result):
        consensus = ItemConsensus.objects.filter(task__batch_id=result.batch).count()
        reported.append((result.batch, consensus, result.sample.items.count()))

    beside = run_quality(project=project, seed=3, resamples=50, progress=progress)  # outside a transaction
    stored_beside = stored()
    QASample.objects.filter(batch__project=project).delete()
    ItemConsensus.objects.filter(task__project=project).delete()
    with transaction.atomic():
        at_once = run_quality(project=project, seed=3, resamples=50)

    assert stored() == stored_beside
    assert [batch for batch, _, _ in reported] == [simulated.batch.pk for simulated in batches]
    # Each batch's consensus and QA sample are stored when it is reported.
    assert all(consensus == 150 * 3 and items >= 45 for _, consensus, items in reported)
    assert [result.agreement for result in beside.batches] == [result.agreement for result in at_once.batches]
    assert beside.seconds["load"] > 0 and beside.seconds["consensus_write"] > 0
