"""QA samples as a QA team meets them: weighted towards suspect annotators, idempotent per seed, reasons kept."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

import pytest
from auditlog.models import LogEntry
from django.utils import timezone

from projects.models import QASample
from projects.quality.consensus.build import annotator_consensus_agreement
from projects.quality.gold.scores import score_gold
from projects.quality.sampling.qa_sample import draw_qa_sample, plan_qa_sample
from projects.quality.stats.anomalies import FAST, STRAIGHT_LINING
from projects.quality.stats.sampling import FASTER_THAN_PEERS, FLAGGED, LOW_GOLD_ACCURACY
from tests.actors import actor_for
from tests.factories import BatchFactory, TaskFactory
from tests.quality.annotations import choice, label

pytestmark = pytest.mark.django_db


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


def test_drawing_a_qa_sample_is_idempotent_per_seed_and_records_why_each_item_was_drawn(simulated, reviewer):
    sample = draw_qa_sample(batch=simulated.batch, seed=5, actor=actor_for(reviewer))
    again = draw_qa_sample(batch=simulated.batch, seed=5, actor=actor_for(reviewer))
    other = draw_qa_sample(batch=simulated.batch, seed=6, actor=actor_for(reviewer))

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
    sample = draw_qa_sample(batch=simulated.batch, seed=5, actor=actor_for(reviewer))

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

    sample = draw_qa_sample(batch=later, seed=1, actor=actor_for(reviewer))

    assert [item.reasons[0] for item in sample.items.all()] == ["annotator_minimum"]
