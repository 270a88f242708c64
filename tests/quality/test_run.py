"""The quality run as a QA team meets it: gold, agreement, consensus and a QA sample for every batch."""

from __future__ import annotations

import pytest
from django.db import transaction
from django.db.models import Value
from django.db.models.functions import Concat

from projects.models import ItemConsensus, QASample, QASampleItem, Task
from tests.actors import SYSTEM
from tests.quality.simulated_workforce import simulate_batch

pytestmark = pytest.mark.django_db


def test_a_full_quality_run_scores_gold_aggregates_and_samples_every_batch(simulated):
    from projects.models import ItemConsensus, QASample
    from projects.quality.run import run_quality

    result = run_quality(project=simulated.project, seed=3, actor=SYSTEM)

    assert ItemConsensus.objects.filter(task__batch=simulated.batch).count() == 150 * 3  # tasks x controls
    assert QASample.objects.filter(batch=simulated.batch, seed=3).count() == 1
    assert set(result.seconds) >= {"gold", "agreement", "aggregation", "sample"}


@pytest.mark.django_db(transaction=True)
def test_a_quality_run_loading_and_writing_beside_the_computation_stores_what_a_run_in_one_thread_stores():
    from projects.quality.run import run_quality

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

    beside = run_quality(
        project=project, seed=3, resamples=50, progress=progress, actor=SYSTEM
    )  # outside a transaction
    stored_beside = stored()
    QASample.objects.filter(batch__project=project).delete()
    ItemConsensus.objects.filter(task__project=project).delete()
    with transaction.atomic():
        at_once = run_quality(project=project, seed=3, resamples=50, actor=SYSTEM)

    assert stored() == stored_beside
    assert [batch for batch, _, _ in reported] == [simulated.batch.pk for simulated in batches]
    # Each batch's consensus and QA sample are stored when it is reported.
    assert all(consensus == 150 * 3 and items >= 45 for _, consensus, items in reported)
    assert [result.agreement for result in beside.batches] == [result.agreement for result in at_once.batches]
    assert beside.seconds["load"] > 0 and beside.seconds["consensus_write"] > 0
