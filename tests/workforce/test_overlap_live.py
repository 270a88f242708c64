"""Dynamic overlap against the real Label Studio server: a task below the target gets one more annotator there,
the change is recorded with its figure and actor, and a project overlap changed in Label Studio is undone."""

from __future__ import annotations

import pytest
from auditlog.models import LogEntry

from projects.jobs import sync_labelstudio_task
from projects.labelstudio.client import LabelStudioClient
from projects.labelstudio.pull import pull_annotations
from projects.labelstudio.push import push_batch
from projects.models import AnnotatorAccount, ItemConsensus, LabelStudioProject, OverlapChange, OverlapPolicy
from projects.quality.consensus.build import aggregate_batch
from projects.workforce.overlap import apply_overlap_policy
from tests.actors import SYSTEM
from tests.factories import AnnotatorFactory
from tests.labelstudio.helpers import choice, make_batch
from tests.labelstudio.test_task_overlap_live import PASSWORD, Annotator

pytestmark = pytest.mark.labelstudio


@pytest.fixture
def policy_batch(vendor_connection):
    """Two tasks pushed under a policy (start 2, target 0.8, max 3): on the first its two annotators disagree,
    on the second they agree; both labeled through Label Studio and pulled."""
    AnnotatorFactory(vendor=vendor_connection.vendor)  # a fourth, who labels nothing
    batch = make_batch(vendor_connection, tasks=2, overlap=1, predictions=False)
    project = batch.project
    project.gold_rate = 0
    project.save(update_fields=["gold_rate"])
    OverlapPolicy.objects.create(project=project, enabled=True, starting_overlap=2, target=0.8, maximum_overlap=3)
    push_batch(batch=batch, actor=SYSTEM)
    label_studio_project = LabelStudioProject.objects.get(batch=batch)
    client = LabelStudioClient.for_connection(vendor_connection)
    accounts = list(AnnotatorAccount.objects.filter(connection=vendor_connection).order_by("pk"))
    pushed = list(label_studio_project.tasks.order_by("task__external_id"))
    answers = [("refund", "damaged"), ("refund", "refund")]
    for task, pair in zip(pushed, answers, strict=True):
        for account, answer in zip(accounts, pair, strict=False):
            client.create_annotation(task.label_studio_task_id, result=[choice("scenario", answer)],
                                     completed_by=account.label_studio_user_id, lead_time=5.0)  # fmt: skip
    pull_annotations(label_studio_project=label_studio_project, actor=SYSTEM)
    return label_studio_project, client, pushed


def label_studio_task(client: LabelStudioClient, task_id: int) -> dict:
    return client.request("GET", f"api/tasks/{task_id}/", what="read the task")


def test_a_task_whose_annotators_disagree_gets_one_more_in_label_studio_and_the_change_is_recorded(policy_batch):
    label_studio_project, client, (disputed, agreed) = policy_batch
    assert client.get_project(label_studio_project.label_studio_id)["maximum_annotations"] == 2  # the policy's start

    run = apply_overlap_policy(project=label_studio_project.batch.project, actor=SYSTEM)

    assert (run.raised, run.stopped, run.waiting) == (1, 1, 0)
    raised = label_studio_task(client, disputed.label_studio_task_id)
    assert raised["overlap"] == 3 and raised["is_labeled"] is False  # the label stream offers it again
    assert label_studio_task(client, agreed.label_studio_task_id)["overlap"] == 2
    change = OverlapChange.objects.get()
    aggregate_batch(batch=label_studio_project.batch)
    consensus = ItemConsensus.objects.get(task=disputed.task, control_name="scenario")
    assert (change.task, change.from_overlap, change.to_overlap) == (disputed.task, 2, 3)
    assert change.figure == pytest.approx(consensus.confidence) and change.figure < 0.8
    assert change.statistic == "consensus" and change.annotators == 2 and change.actor == str(SYSTEM)
    entry = LogEntry.objects.get_for_object(change).get()
    assert entry.additional_data == {"actor": SYSTEM.name, "via": SYSTEM.via}

    again = apply_overlap_policy(project=label_studio_project.batch.project, actor=SYSTEM)
    assert (again.raised, again.waiting) == (0, 1)  # it waits for its third annotator
    assert OverlapChange.objects.count() == 1


def test_a_project_overlap_changed_in_label_studio_is_put_back_with_each_tasks_own(policy_batch):
    label_studio_project, client, (disputed, agreed) = policy_batch
    project = label_studio_project.batch.project
    apply_overlap_policy(project=project, actor=SYSTEM)
    client.update_project(label_studio_project.label_studio_id, maximum_annotations=4)  # a PM, in Label Studio
    assert label_studio_task(client, disputed.label_studio_task_id)["overlap"] == 4

    sync_labelstudio_task.run(project_slug=project.slug)

    assert client.get_project(label_studio_project.label_studio_id)["maximum_annotations"] == 2
    assert label_studio_task(client, disputed.label_studio_task_id)["overlap"] == 3
    assert label_studio_task(client, agreed.label_studio_task_id)["overlap"] == 2
    reapplied = OverlapChange.objects.get(reason=OverlapChange.Reason.DRIFT)
    assert (reapplied.task, reapplied.from_overlap, reapplied.to_overlap) == (disputed.task, 2, 3)
    assert reapplied.actor == "annotate (overlap policy) via job after pull"


def test_the_raised_task_is_served_to_one_more_annotator_and_then_to_no_one(policy_batch, label_studio_server):
    label_studio_project, _, (disputed, _) = policy_batch
    project_id = label_studio_project.label_studio_id
    apply_overlap_policy(project=label_studio_project.batch.project, actor=SYSTEM)
    third, fourth = AnnotatorAccount.objects.filter(connection=label_studio_project.connection).order_by("pk")[2:]
    for account in (third, fourth):
        label_studio_server.set_password(account.email, PASSWORD)
    third, fourth = (Annotator(label_studio_server.url, account.email) for account in (third, fourth))

    assert third.next_task(project_id) == disputed.label_studio_task_id
    third.submit(disputed.label_studio_task_id)  # "refund": two of three now
    assert fourth.next_task(project_id) is None

    pull_annotations(label_studio_project=label_studio_project, actor=SYSTEM)
    run = apply_overlap_policy(project=label_studio_project.batch.project, actor=SYSTEM)
    assert (run.raised, run.stopped) == (0, 2)  # still below the target, but at the maximum of 3
    assert OverlapChange.objects.count() == 1
