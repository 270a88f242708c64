"""Push a batch to a real Label Studio, label it there, pull it back: annotate mirrors Label Studio."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from projects.labelstudio.client import LabelStudioAuthError, LabelStudioClient, LabelStudioNotFound
from projects.labelstudio.connections import TenancyRefused
from projects.labelstudio.exports import exported_tasks
from projects.labelstudio.pull import pull_annotations
from projects.labelstudio.push import PushRefused, push_batch
from projects.models import Annotation, AnnotationVersion, AnnotatorAccount, Batch, LabelStudioProject, SyncRun, Task
from tests.actors import SYSTEM
from tests.factories import TaskFactory, VendorFactory
from tests.labelstudio.helpers import assert_mirrors_label_studio_export, choice, label_tasks, make_batch

pytestmark = pytest.mark.labelstudio


def test_push_label_pull_equals_label_studio_export(vendor_connection):
    batch = make_batch(vendor_connection, tasks=12)

    result = push_batch(batch=batch, actor=SYSTEM)

    label_studio_project = LabelStudioProject.objects.get(batch=batch)
    client = LabelStudioClient.for_connection(vendor_connection)
    live = client.get_project(label_studio_project.label_studio_id)
    assert live["maximum_annotations"] == 2
    assert live["label_config"] == batch.project.label_config
    assert result.pushed == 12
    remote = exported_tasks(client, label_studio_project.label_studio_id)
    assert sorted(task["meta"]["external_id"] for task in remote) == sorted(
        batch.tasks.values_list("external_id", flat=True)
    )
    assert sum(len(task["predictions"]) for task in remote) == 6
    assert AnnotatorAccount.objects.filter(connection=vendor_connection).count() == 3

    label_tasks(label_studio_project, per_task=2)
    run = pull_annotations(label_studio_project=label_studio_project, actor=SYSTEM)

    assert run.kind == SyncRun.Kind.FULL
    assert run.created == 24
    assert assert_mirrors_label_studio_export(label_studio_project) == 24
    assert Annotation.objects.filter(was_cancelled=True).count() == 1
    assert Annotation.objects.filter(annotator__isnull=True).count() == 0
    assert set(Task.objects.filter(batch=batch).values_list("status", flat=True)) == {Task.Status.ANNOTATED}
    batch.refresh_from_db()
    assert batch.status == Batch.Status.DELIVERED  # every task has its overlap of 2 (a skip counts, as in LS)


def test_edits_keep_the_earlier_version_and_deletions_are_mirrored(vendor_connection):
    batch = make_batch(vendor_connection, tasks=6, predictions=False)
    push_batch(batch=batch, actor=SYSTEM)
    label_studio_project = LabelStudioProject.objects.get(batch=batch)
    annotation_ids = label_tasks(label_studio_project, per_task=1, skip_first=False)
    pull_annotations(label_studio_project=label_studio_project, actor=SYSTEM)
    client = LabelStudioClient.for_connection(vendor_connection)

    edited, deleted = annotation_ids[1], annotation_ids[2]
    client.request("PATCH", f"api/annotations/{edited}/", what="edit", body={"result": [choice("scenario", "damaged")]})
    client.request("DELETE", f"api/annotations/{deleted}/", what="delete")
    run = pull_annotations(label_studio_project=label_studio_project, actor=SYSTEM)

    assert run.kind == SyncRun.Kind.INCREMENTAL
    assert (run.created, run.updated, run.deleted) == (0, 1, 1)
    changed = Annotation.objects.get(label_studio_id=edited, connection=vendor_connection)
    assert changed.version == 2
    assert changed.result == [choice("scenario", "damaged")]
    earlier = AnnotationVersion.objects.get(annotation=changed)
    assert earlier.version == 1
    assert earlier.result[0]["value"]["choices"] != ["damaged"]
    gone = Annotation.objects.get(label_studio_id=deleted, connection=vendor_connection)
    assert gone.is_deleted
    assert gone.task.status == Task.Status.PUSHED
    assert_mirrors_label_studio_export(label_studio_project)

    again = pull_annotations(label_studio_project=label_studio_project, actor=SYSTEM)
    assert (again.created, again.updated, again.deleted) == (0, 0, 0)


def test_incremental_pull_reads_only_changed_tasks(vendor_connection, settings):
    settings.LABEL_STUDIO_PULL_OVERLAP_SECONDS = 0
    batch = make_batch(vendor_connection, tasks=20, predictions=False)
    push_batch(batch=batch, actor=SYSTEM)
    label_studio_project = LabelStudioProject.objects.get(batch=batch)
    annotation_ids = label_tasks(label_studio_project, per_task=1, skip_first=False)
    pull_annotations(label_studio_project=label_studio_project, actor=SYSTEM)

    client = LabelStudioClient.for_connection(vendor_connection)
    client.request(
        "PATCH", f"api/annotations/{annotation_ids[7]}/", what="edit", body={"result": [choice("scenario", "refund")]}
    )
    run = pull_annotations(label_studio_project=label_studio_project, actor=SYSTEM)

    assert run.kind == SyncRun.Kind.INCREMENTAL
    assert run.tasks_seen <= 2  # the edited task (and at most one at the cursor's edge), not 20


def test_rerunning_a_push_sends_nothing_twice(vendor_connection):
    batch = make_batch(vendor_connection, tasks=8)
    push_batch(batch=batch, actor=SYSTEM)

    again = push_batch(batch=batch, actor=SYSTEM)

    assert again.pushed == 0
    assert again.already_there == 8
    label_studio_project = LabelStudioProject.objects.get(batch=batch)
    client = LabelStudioClient.for_connection(vendor_connection)
    assert len(exported_tasks(client, label_studio_project.label_studio_id)) == 8
    assert LabelStudioProject.objects.filter(batch=batch).count() == 1


def test_gold_from_the_projects_gold_set_goes_out_with_the_batch_like_any_other_task(vendor_connection):
    batch = make_batch(vendor_connection, tasks=9, predictions=False)
    project = batch.project
    project.gold_rate = "0.25"
    project.save(update_fields=["gold_rate"])
    gold_set = [
        TaskFactory(
            project=project,
            external_id=f"conv-9{number:04d}",  # a gold item's own id says nothing either
            data={"message": "包裹显示已签收但我没收到", "reply": "亲，我们马上为您核实"},
            is_gold=True,
            gold_answer=[choice("scenario", "not_received")],
        )
        for number in range(6)
    ]

    result = push_batch(batch=batch, actor=SYSTEM)

    assert (result.gold.wanted, result.gold.added) == (3, 3)
    assert result.pushed == 12
    label_studio_project = LabelStudioProject.objects.get(batch=batch)
    exported = exported_tasks(LabelStudioClient.for_connection(vendor_connection), label_studio_project.label_studio_id)
    assert len(exported) == 12
    assert len([task for task in exported if task["data"]["message"].startswith("包裹")]) == 3
    assert not any("gold" in str(task["data"]) + str(task.get("meta")) for task in exported)  # nothing gives it away
    assert {copy.gold_source for copy in Task.objects.filter(batch=batch, is_gold=True)} <= set(gold_set)
    assert push_batch(batch=batch, actor=SYSTEM).gold.added == 0  # a rerun mixes nothing more


def test_community_server_refuses_another_vendors_batch(vendor_connection):
    other_vendor = VendorFactory(name="Rival Labeling Co")
    batch = make_batch(vendor_connection, tasks=2)
    batch.vendor = other_vendor
    batch.save()

    with pytest.raises(TenancyRefused, match=r"Community server serving .* belongs to Rival Labeling Co"):
        push_batch(batch=batch, connection=vendor_connection, actor=SYSTEM)
    assert not LabelStudioProject.objects.exists()


def test_invalid_prediction_is_refused_before_anything_is_sent(vendor_connection):
    batch = make_batch(vendor_connection, tasks=2, predictions=False)
    task = batch.tasks.first()
    task.predictions = [{"model_version": "v1", "result": [choice("scenario", "teleported")]}]
    task.save()

    with pytest.raises(PushRefused, match=f"task {task.external_id}: predictions\\[0\\]"):
        push_batch(batch=batch, actor=SYSTEM)
    assert not LabelStudioProject.objects.exists()


def test_wrong_token_is_named_plainly(vendor_connection, monkeypatch, label_studio_server):
    monkeypatch.setenv(vendor_connection.token_env_var, "not-the-token")
    batch = make_batch(vendor_connection, tasks=1)

    with pytest.raises(LabelStudioAuthError, match=f"Label Studio at {label_studio_server.url} rejected the token"):
        push_batch(batch=batch, actor=SYSTEM)


def test_project_deleted_in_label_studio_is_named_plainly(vendor_connection):
    batch = make_batch(vendor_connection, tasks=2)
    push_batch(batch=batch, actor=SYSTEM)
    label_studio_project = LabelStudioProject.objects.get(batch=batch)
    client = LabelStudioClient.for_connection(vendor_connection)
    client.request("DELETE", f"api/projects/{label_studio_project.label_studio_id}/", what="delete")

    with pytest.raises(LabelStudioNotFound, match=f"Project {label_studio_project.label_studio_id} no longer exists"):
        push_batch(batch=batch, actor=SYSTEM)
    with pytest.raises(CommandError, match="no longer exists"):
        call_command("push_batch", str(batch.pk), "--no-progress")


def test_drift_is_flagged_and_fixed_by_pushing_the_current_version(vendor_connection):
    from projects.labelstudio.sync import check_drift, push_current_config

    batch = make_batch(vendor_connection, tasks=1)
    push_batch(batch=batch, actor=SYSTEM)
    label_studio_project = LabelStudioProject.objects.get(batch=batch)
    assert check_drift(label_studio_project) == ""

    client = LabelStudioClient.for_connection(vendor_connection)
    client.update_project(label_studio_project.label_studio_id, expert_instruction="Label fast, skip nothing.")
    assert check_drift(label_studio_project) == "Guidelines differ from annotate's v1 (edited in Label Studio)."

    push_current_config(label_studio_project, actor=SYSTEM)
    assert check_drift(label_studio_project) == ""
    assert client.get_project(label_studio_project.label_studio_id)["expert_instruction"] == batch.project.guidelines
