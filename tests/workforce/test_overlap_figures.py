"""The figure dynamic overlap judges a task by, from the consensus code, and what the policy does without a server."""

from __future__ import annotations

import pytest

from projects.labeling.services import current_config_version
from projects.models import ItemConsensus, LabelStudioConnection, LabelStudioProject, OverlapChange, OverlapPolicy
from projects.quality.consensus.build import aggregate_batch
from projects.workforce.overlap import apply_overlap_policy, task_figures
from tests.actors import SYSTEM
from tests.factories import AnnotationFactory, AnnotatorFactory, BatchFactory, TaskFactory

pytestmark = pytest.mark.django_db


def scenario(value: str) -> list[dict]:
    return [{"from_name": "scenario", "to_name": "message", "type": "choices", "value": {"choices": [value]}}]


@pytest.fixture
def batch():
    """Three tasks: two annotators disagree on the first, agree on the second; the third is gold they got wrong."""
    batch = BatchFactory()
    annotators = [AnnotatorFactory(vendor=batch.vendor) for _ in range(2)]
    answers = [("refund", "damaged"), ("refund", "refund"), ("damaged", "damaged")]
    for number, pair in enumerate(answers):
        gold = number == 2
        task = TaskFactory(project=batch.project, batch=batch, is_gold=gold,
                           gold_answer=scenario("refund") if gold else None)  # fmt: skip
        for annotator, answer in zip(annotators, pair, strict=True):
            AnnotationFactory(task=task, annotator=annotator, result=scenario(answer))
    return batch


def test_agreement_is_the_top_labels_vote_share(batch):
    disputed, agreed, gold = batch.tasks.order_by("pk")

    figures, settled = task_figures(batch, OverlapPolicy.Statistic.AGREEMENT)

    assert figures[disputed.pk] == pytest.approx(0.5) and figures[agreed.pk] == pytest.approx(1.0)
    assert settled == {gold.pk}  # its answer is the gold answer, whatever the annotators said


def test_the_consensus_figure_is_what_the_stored_consensus_says(batch):
    figures, settled = task_figures(batch, OverlapPolicy.Statistic.CONSENSUS)

    aggregate_batch(batch=batch)
    stored = dict(ItemConsensus.objects.filter(control_name="scenario").values_list("task_id", "confidence"))
    assert figures == pytest.approx(stored)
    assert len(settled) == 1


def test_with_the_policy_off_nothing_is_asked_of_label_studio(batch):
    OverlapPolicy.objects.create(project=batch.project, enabled=False)

    run = apply_overlap_policy(project=batch.project, actor=SYSTEM)

    assert (run.raised, run.stopped, run.waiting, run.errors) == (0, 0, 0, [])


def test_a_label_studio_that_cannot_be_reached_changes_nothing_and_says_why(batch, fast_retries):
    OverlapPolicy.objects.create(project=batch.project, enabled=True)
    connection = LabelStudioConnection.objects.create(
        name="gone", url="http://127.0.0.1:9", vendor=batch.vendor, token_env_var="ANNOTATE_TEST_NO_SUCH_TOKEN"
    )
    connection.set_token("a-token-for-a-server-that-is-down")
    connection.save()
    LabelStudioProject.objects.create(
        batch=batch, connection=connection, label_studio_id=3, config_version=current_config_version(batch.project)
    )

    run = apply_overlap_policy(project=batch.project, actor=SYSTEM)

    assert run.raised == 0 and len(run.errors) == 1 and "127.0.0.1:9" in run.errors[0]
    assert not OverlapChange.objects.exists()
