"""Acting on the real Label Studio server as annotators and PMs would, for the tests."""

from __future__ import annotations

from django.utils.dateparse import parse_datetime

from projects.labelstudio.client import LabelStudioClient
from projects.labelstudio.exports import exported_tasks
from projects.models import Annotation, AnnotatorAccount, LabelStudioProject, PushedTask
from tests.factories import BatchFactory, LabelingProjectFactory, TaskFactory

SCENARIOS = ["refund", "not_received", "damaged"]


def choice(control: str, value: str, to_name: str = "message") -> dict:
    return {"from_name": control, "to_name": to_name, "type": "choices", "value": {"choices": [value]}}


def make_batch(connection, *, tasks: int = 12, overlap: int = 2, predictions: bool = True, project=None):
    project = project or LabelingProjectFactory(overlap=overlap)
    batch = BatchFactory(project=project, vendor=connection.vendor, target_count=tasks)
    for number in range(tasks):
        TaskFactory(
            project=project,
            batch=batch,
            external_id=f"{batch.uid.hex[:8]}-{number:04d}",
            data={"message": f"Order SO-2026-{number:06d} never arrived", "reply": "亲，正在为您查询物流"},
            predictions=(
                [{"model_version": "triage-v3", "score": 0.7, "result": [choice("scenario", "not_received")]}]
                if predictions and number % 2 == 0
                else []
            ),
        )
    return batch


def label_tasks(label_studio_project: LabelStudioProject, *, per_task: int = 2, skip_first: bool = True) -> list[int]:
    """Each task labeled by `per_task` annotators through the API, as their own users; returns annotation ids."""
    client = LabelStudioClient.for_connection(label_studio_project.connection)
    accounts = list(AnnotatorAccount.objects.filter(connection=label_studio_project.connection).order_by("pk"))
    made = []
    for position, pushed in enumerate(PushedTask.objects.filter(label_studio_project=label_studio_project)):
        for offset in range(per_task):
            account = accounts[(position + offset) % len(accounts)]
            cancelled = skip_first and position == 0 and offset == 0
            annotation = client.create_annotation(
                pushed.label_studio_task_id,
                result=[] if cancelled else [choice("scenario", SCENARIOS[(position + offset) % 3])],
                completed_by=account.label_studio_user_id,
                lead_time=5.0 + position + offset / 10,
                was_cancelled=cancelled,
            )
            made.append(annotation["id"])
    return made


def assert_mirrors_label_studio_export(label_studio_project: LabelStudioProject) -> int:
    """Annotations in annotate equal Label Studio's own export of the project, field by field."""
    client = LabelStudioClient.for_connection(label_studio_project.connection)
    exported = exported_tasks(client, label_studio_project.label_studio_id)
    links = dict(
        PushedTask.objects.filter(label_studio_project=label_studio_project).values_list(
            "label_studio_task_id", "task_id"
        )
    )
    accounts = dict(
        AnnotatorAccount.objects.filter(connection=label_studio_project.connection).values_list(
            "label_studio_user_id", "annotator_id"
        )
    )
    stored = {
        annotation.label_studio_id: annotation
        for annotation in Annotation.objects.filter(
            connection=label_studio_project.connection, task__batch=label_studio_project.batch, is_deleted=False
        )
    }
    seen = 0
    for task in exported:
        for item in task["annotations"]:
            annotation = stored.pop(item["id"])
            assert annotation.task_id == links[task["id"]]
            assert annotation.result == item["result"]
            assert annotation.was_cancelled == item["was_cancelled"]
            assert annotation.lead_time == item["lead_time"]
            assert annotation.label_studio_user_id == item["completed_by"]
            assert annotation.annotator_id == accounts.get(item["completed_by"])
            assert annotation.created_at == parse_datetime(item["created_at"])
            assert annotation.updated_at == parse_datetime(item["updated_at"])
            seen += 1
    assert stored == {}, f"annotate has live annotations Label Studio does not: {sorted(stored)}"
    return seen
