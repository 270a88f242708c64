"""Consensus as a QA team meets it: Dawid-Skene against majority vote, stored per task and control."""

from __future__ import annotations

import pytest

from projects.models import ItemConsensus
from projects.quality.batch_agreement import compute_agreement
from projects.quality.consensus.build import aggregate_batch, truth_accuracy
from tests.factories import AnnotatorFactory, BatchFactory, LabelingProjectFactory, TaskFactory
from tests.quality.annotations import choice, label

pytestmark = pytest.mark.django_db


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
