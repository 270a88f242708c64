"""Rejected annotations go back to their vendor's Label Studio as rework, and the rework comes back by the pull."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from projects.labelstudio.client import LabelStudioClient, LabelStudioUnavailable
from projects.labelstudio.exports import exported_tasks
from projects.labelstudio.pull import pull_annotations
from projects.labelstudio.push import push_batch
from projects.labelstudio.rework import FEEDBACK_KEY, REJECTED_MODEL_VERSION, import_rework
from projects.labelstudio.sync import check_drift
from projects.models import Annotation, AnnotatorAccount, Batch, LabelStudioProject, Review, Rework
from projects.quality.review import rework as rework_service
from projects.quality.review.rework import ReworkRefused, send_rework
from projects.quality.review.verdicts import decide_batch, record_review
from tests.actors import SYSTEM, actor_for
from tests.factories import ErrorCategoryFactory, QASampleFactory, QASampleItemFactory, UserFactory
from tests.labelstudio.helpers import choice, label_tasks, make_batch

pytestmark = pytest.mark.labelstudio

COMMENT = "The buyer asks for their money back: this is a refund, not a missing parcel."


def rejected_batch(connection, *, tasks: int = 4) -> tuple[Batch, LabelStudioProject, Annotation]:
    """A batch pushed, labeled once per task, pulled, sampled whole; one annotation rejected, the batch rejected."""
    batch = make_batch(connection, tasks=tasks, overlap=1, predictions=False)
    push_batch(batch=batch, actor=SYSTEM)
    labeling_project = LabelStudioProject.objects.get(batch=batch, kind=LabelStudioProject.Kind.LABELING)
    label_tasks(labeling_project, per_task=1, skip_first=False)
    pull_annotations(label_studio_project=labeling_project, actor=SYSTEM)
    sample = QASampleFactory(batch=batch)
    annotations = list(Annotation.objects.filter(task__batch=batch).order_by("pk"))
    for annotation in annotations:
        QASampleItemFactory(sample=sample, annotation=annotation)
    reviewer = UserFactory()
    wrong_scenario = ErrorCategoryFactory(project=batch.project, name="Wrong scenario")
    rejected = annotations[1]
    for annotation in annotations:
        if annotation == rejected:
            record_review(
                annotation=annotation, actor=actor_for(reviewer), verdict=Review.Verdict.REJECT,
                error_category=wrong_scenario, severity=Review.Severity.MAJOR, comment=COMMENT,
            )  # fmt: skip
        else:
            record_review(annotation=annotation, actor=actor_for(reviewer), verdict=Review.Verdict.ACCEPT)
    decision = decide_batch(batch=batch, actor=actor_for(reviewer))
    assert not decision.accepted
    batch.refresh_from_db()
    return batch, labeling_project, rejected


def test_rejected_annotation_is_reworked_in_label_studio_and_comes_back_linked(vendor_connection):
    batch, labeling_project, rejected = rejected_batch(vendor_connection)
    manager = UserFactory()

    result = send_rework(batch=batch, actor=actor_for(manager))

    assert (result.sent, result.recovered) == (1, 0)
    rework = Rework.objects.get(annotation=rejected)
    assert rework.sent_by == manager
    rework_project = rework.label_studio_project
    assert rework_project.kind == LabelStudioProject.Kind.REWORK
    assert result.project_urls == [rework_project.browser_url]
    client = LabelStudioClient.for_connection(vendor_connection)
    live = client.get_project(rework_project.label_studio_id)
    assert "rework" in live["title"]
    assert live["maximum_annotations"] == 1
    assert f'<Text name="{FEEDBACK_KEY}" value="${FEEDBACK_KEY}"/>' in live["label_config"]
    [task] = exported_tasks(client, rework_project.label_studio_id)
    assert task["id"] == rework.label_studio_task_id
    assert task["data"][FEEDBACK_KEY] == f"Wrong scenario (major): {COMMENT}"
    assert task["data"]["message"] == rejected.task.data["message"]
    assert task["meta"]["annotate_annotation_id"] == rejected.pk
    [prediction] = client.request("GET", f"api/tasks/{task['id']}/", what="read the rework task")["predictions"]
    assert prediction["model_version"] == REJECTED_MODEL_VERSION
    # The project pre-fills its tasks with this model version's predictions: the annotator sees the rejected answer.
    assert client.get_project(rework_project.label_studio_id)["model_version"] == REJECTED_MODEL_VERSION
    assert prediction["result"][0]["value"] == rejected.result[0]["value"]
    assert check_drift(rework_project) == ""

    annotator_account = AnnotatorAccount.objects.get(connection=vendor_connection, annotator=rejected.annotator)
    made = client.create_annotation(
        rework.label_studio_task_id,
        result=[choice("scenario", "refund")],
        completed_by=annotator_account.label_studio_user_id,
        lead_time=12.5,
    )
    run = pull_annotations(label_studio_project=rework_project, actor=SYSTEM)

    assert run.created == 1
    replacement = Annotation.objects.get(connection=vendor_connection, label_studio_id=made["id"])
    assert replacement.task == rejected.task
    assert replacement.annotator == rejected.annotator
    assert replacement.result == [choice("scenario", "refund")]
    assert replacement.rework_of.annotation == rejected
    rejected.refresh_from_db()
    assert (rejected.is_deleted, rejected.version) == (False, 1)
    assert rejected.rework.replacement == replacement
    # Each project's pull speaks only for its own tasks: the other's annotations of the same task stay.
    pull_annotations(label_studio_project=labeling_project, full=True, actor=SYSTEM)
    assert Annotation.objects.filter(pk__in=[rejected.pk, replacement.pk], is_deleted=False).count() == 2

    call_command("send_rework", batch.pk, "--by", manager.username)

    assert Rework.objects.filter(annotation__task__batch=batch).count() == 1
    assert len(exported_tasks(client, rework_project.label_studio_id)) == 1
    assert LabelStudioProject.objects.filter(batch=batch).count() == 2
    again = pull_annotations(label_studio_project=rework_project, actor=SYSTEM)
    assert (again.created, again.updated, again.deleted) == (0, 0, 0)


def test_deleting_the_rework_in_label_studio_unlinks_the_replacement(vendor_connection):
    batch, _, rejected = rejected_batch(vendor_connection, tasks=2)
    send_rework(batch=batch, actor=actor_for(None))
    rework = Rework.objects.get(annotation=rejected)
    client = LabelStudioClient.for_connection(vendor_connection)
    account = AnnotatorAccount.objects.filter(connection=vendor_connection).first()
    made = client.create_annotation(
        rework.label_studio_task_id, result=[choice("scenario", "refund")],
        completed_by=account.label_studio_user_id, lead_time=3.0,
    )  # fmt: skip
    pull_annotations(label_studio_project=rework.label_studio_project, actor=SYSTEM)
    rework.refresh_from_db()
    assert rework.replacement.label_studio_id == made["id"]

    client.request("DELETE", f"api/annotations/{made['id']}/", what="delete")
    pull_annotations(label_studio_project=rework.label_studio_project, actor=SYSTEM)

    rework.refresh_from_db()
    assert rework.replacement is None


def test_rework_that_reached_label_studio_before_a_failure_is_recorded_not_sent_twice(vendor_connection, monkeypatch):
    batch, _, rejected = rejected_batch(vendor_connection, tasks=2)

    def import_then_lose_the_answer(rework_project, items):
        import_rework(rework_project, items)
        raise LabelStudioUnavailable("Label Studio timed out while trying to import rework")

    monkeypatch.setattr(rework_service, "import_rework", import_then_lose_the_answer)
    with pytest.raises(LabelStudioUnavailable):
        send_rework(batch=batch, actor=actor_for(None))
    assert not Rework.objects.exists()
    monkeypatch.undo()

    result = send_rework(batch=batch, actor=actor_for(None))

    assert (result.sent, result.recovered) == (0, 1)
    rework = Rework.objects.get(annotation=rejected)
    client = LabelStudioClient.for_connection(vendor_connection)
    assert [task["id"] for task in exported_tasks(client, rework.label_studio_project.label_studio_id)] == [
        rework.label_studio_task_id
    ]
    assert LabelStudioProject.objects.filter(batch=batch, kind=LabelStudioProject.Kind.REWORK).count() == 1


def test_rework_when_label_studio_is_unreachable_records_nothing(vendor_connection, fast_retries):
    batch, _, _ = rejected_batch(vendor_connection, tasks=2)
    reachable = vendor_connection.url
    vendor_connection.url = "http://127.0.0.1:9"
    vendor_connection.save(update_fields=["url"])

    with pytest.raises(LabelStudioUnavailable):
        send_rework(batch=batch, actor=actor_for(None))

    assert not Rework.objects.exists()
    assert not LabelStudioProject.objects.filter(kind=LabelStudioProject.Kind.REWORK).exists()
    vendor_connection.url = reachable
    vendor_connection.save(update_fields=["url"])
    assert send_rework(batch=batch, actor=actor_for(None)).sent == 1


def test_rework_is_refused_for_a_batch_that_is_not_rejected(vendor_connection):
    batch = make_batch(vendor_connection, tasks=1, overlap=1, predictions=False)

    with pytest.raises(ReworkRefused, match="not rejected"):
        send_rework(batch=batch, actor=actor_for(None))
