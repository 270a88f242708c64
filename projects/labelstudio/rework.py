"""Rework in Label Studio: rejected annotations go back to their vendor in a rework project of the batch.

Label Studio Community has no comments (an Enterprise feature: no comment API in 1.23.2)
and no task assignment, so feedback cannot be attached to the original task, and a task
added to the labeling project would be served to `overlap` annotators and mixed into the
label stream. So each batch gets one more project on its vendor's server, titled as a
rework: the label config of the batch plus a read-only panel with the reviewer's feedback,
one task per rejected annotation (the task's data, the feedback, and the rejected answer as
a pre-annotation to correct), one annotator per task. It is a LabelStudioProject of kind
rework, so the ordinary pull and webhooks bring the rework back.

Imports are never retried blindly: each rework task carries the rejected annotation's id in
its meta, and a task that reached Label Studio in a run that died before recording it is
found again by that id.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from defusedxml import ElementTree
from django.db.models import Max

from projects.errors import InputRefused
from projects.labelstudio.client import LabelStudioClient
from projects.labelstudio.push import label_studio_title
from projects.labelstudio.tenancy import check_tenancy
from projects.labelstudio.webhooks import ensure_webhook
from projects.models import LabelStudioProject, ProjectConfigVersion

FEEDBACK_KEY = "annotate_qa_feedback"
REJECTED_MODEL_VERSION = "rejected answer"
FEEDBACK_PANEL = (
    '\n  <View style="background: #fff4e5; border-left: 4px solid #f59e0b; padding: 8px 12px; margin-bottom: 12px">'
    '\n    <Header value="Rework: QA returned this answer. Your earlier answer is filled in below: correct it and '
    'submit."/>'
    f'\n    <Text name="{FEEDBACK_KEY}" value="${FEEDBACK_KEY}"/>'
    "\n  </View>"
)
ROOT_TAG = re.compile(r"<View\b[^>]*>")


class ReworkConfigError(InputRefused, ValueError):
    """The project's label config cannot carry the feedback panel."""


@dataclass(frozen=True)
class ReworkItem:
    """One rejected annotation to send back, as plain data."""

    annotation_id: int
    review_id: int
    task_id: int
    external_id: str
    data: dict
    rejected_result: list
    feedback: str


def rework_label_config(label_config: str) -> str:
    """The batch's label config with the reviewer's feedback shown read-only above everything else."""
    root = ElementTree.fromstring(label_config)
    if root.tag != "View":
        raise ReworkConfigError(f"The label config's root is <{root.tag}>, not <View>: no place for QA feedback.")
    if any(element.get("name") == FEEDBACK_KEY for element in root.iter()):
        raise ReworkConfigError(f'The label config already has a tag named "{FEEDBACK_KEY}".')
    opening = ROOT_TAG.search(label_config)
    return label_config[: opening.end()] + FEEDBACK_PANEL + label_config[opening.end() :]


def label_config_for(label_studio_project: LabelStudioProject, config_version: ProjectConfigVersion) -> str:
    """The label config the project should have on its server under this config version."""
    if label_studio_project.kind == LabelStudioProject.Kind.REWORK:
        return rework_label_config(config_version.label_config)
    return config_version.label_config


def rework_title(label_studio_project: LabelStudioProject) -> str:
    batch = label_studio_project.batch
    suffix = f" · rework #{batch.pk}"
    return label_studio_title(batch).rsplit(" #", 1)[0][: 50 - len(suffix)] + suffix


def ensure_rework_project(labeling_project: LabelStudioProject) -> LabelStudioProject:
    """The rework project of a pushed batch on the same server; created once, adopted after a run that died."""
    existing = LabelStudioProject.objects.filter(
        batch=labeling_project.batch, connection=labeling_project.connection, kind=LabelStudioProject.Kind.REWORK
    ).first()
    client = LabelStudioClient.for_connection(labeling_project.connection)
    check_tenancy(labeling_project.connection, labeling_project.batch, client=client)
    if existing:
        client.get_project(existing.label_studio_id)  # a clear error if someone deleted it
        ensure_webhook(client, existing)
        return existing
    batch = labeling_project.batch
    config_version = labeling_project.config_version
    title = rework_title(labeling_project)
    marker = f"annotate rework of batch {batch.uid}"
    found = [item for item in client.find_projects(title) if marker in (item.get("description") or "")]
    if found:
        label_studio_id = found[0]["id"]
    else:
        # The guidelines stay the batch's own (the drift check compares them); the panel explains the rework.
        label_studio_id = client.create_project(
            title=title,
            description=f"Rework of {batch.project.name}: {batch.name}. Managed by annotate ({marker}).",
            label_config=rework_label_config(config_version.label_config),
            instructions=config_version.guidelines,
            overlap=1,
        )["id"]
    rework_project, _ = LabelStudioProject.objects.get_or_create(
        batch=batch,
        connection=labeling_project.connection,
        kind=LabelStudioProject.Kind.REWORK,
        defaults={"label_studio_id": label_studio_id, "config_version": config_version},
    )
    ensure_webhook(client, rework_project)
    return rework_project


def find_sent_rework(rework_project: LabelStudioProject, *, after_task_id: int | None = None) -> dict[int, int]:
    """Rejected annotation id → rework task id, for the project's tasks past `after_task_id` (all by default)."""
    client = LabelStudioClient.for_connection(rework_project.connection)
    if after_task_id is None:
        after_task_id = rework_project.reworks.aggregate(top=Max("label_studio_task_id"))["top"] or 0
    found = client.iter_tasks(
        rework_project.label_studio_id,
        filters=[{"filter": "filter:tasks:id", "operator": "greater", "type": "Number", "value": after_task_id}],
        include="id,meta",
        fields="task_only",
        page_size=5000,
    )
    return {
        int(task["meta"]["annotate_annotation_id"]): task["id"]
        for task in found
        if isinstance(task.get("meta"), dict) and task["meta"].get("annotate_annotation_id") is not None
    }


def import_rework(rework_project: LabelStudioProject, items: list[ReworkItem]) -> dict[int, int]:
    """Import one rework task per item in one request; rejected annotation id → rework task id. Never retried."""
    client = LabelStudioClient.for_connection(rework_project.connection)
    task_ids = client.import_tasks(rework_project.label_studio_id, [_payload(item) for item in items])
    return {item.annotation_id: task_id for item, task_id in zip(items, task_ids, strict=True)}


def _payload(item: ReworkItem) -> dict:
    payload = {
        "data": {**item.data, FEEDBACK_KEY: item.feedback},
        "meta": {
            "annotate_task_id": item.task_id,
            "external_id": item.external_id,
            "annotate_annotation_id": item.annotation_id,
            "annotate_review_id": item.review_id,
        },
    }
    if item.rejected_result:
        payload["predictions"] = [{"model_version": REJECTED_MODEL_VERSION, "result": item.rejected_result}]
    return payload
