"""Webhooks: Label Studio calls annotate as annotators work; duplicates and disorder change nothing."""

from __future__ import annotations

import copy
import json

import pytest

from projects.labelstudio.client import LabelStudioClient
from projects.labelstudio.push import push_batch
from projects.labelstudio.webhooks import SECRET_HEADER, webhook_secret
from projects.models import Annotation, LabelStudioProject, WebhookEvent
from tests.actors import SYSTEM
from tests.labelstudio.helpers import choice, make_batch

pytestmark = pytest.mark.labelstudio


@pytest.fixture
def hooked_project(vendor_connection, live_server, transactional_db):
    vendor_connection.webhook_url = live_server.url
    vendor_connection.save()
    batch = make_batch(vendor_connection, tasks=3, predictions=False)
    push_batch(batch=batch, actor=SYSTEM)
    return LabelStudioProject.objects.get(batch=batch)


def _post(client, connection, payload: dict, secret: str | None = None):
    return client.post(
        f"/webhooks/labelstudio/{connection.pk}/",
        data=json.dumps(payload),
        content_type="application/json",
        headers={SECRET_HEADER: secret if secret is not None else webhook_secret(connection)},
    )


def test_an_annotation_made_in_label_studio_arrives_by_webhook_without_a_pull(hooked_project):
    client = LabelStudioClient.for_connection(hooked_project.connection)
    hooks = client.list_webhooks(hooked_project.label_studio_id)
    assert [hook["id"] for hook in hooks] == [hooked_project.webhook_id]
    pushed = hooked_project.tasks.first()
    account = hooked_project.connection.accounts.first()

    made = client.create_annotation(
        pushed.label_studio_task_id, result=[choice("scenario", "damaged")], completed_by=account.label_studio_user_id,
        lead_time=4.0,
    )  # fmt: skip

    annotation = Annotation.objects.get(connection=hooked_project.connection, label_studio_id=made["id"])
    assert annotation.task_id == pushed.task_id
    assert annotation.annotator_id == account.annotator_id
    assert WebhookEvent.objects.get(action="ANNOTATION_CREATED").processed_at is not None

    client.request("DELETE", f"api/annotations/{made['id']}/", what="delete")
    annotation.refresh_from_db()
    assert annotation.is_deleted


def test_duplicate_and_reordered_deliveries_change_nothing(hooked_project, client):
    connection = hooked_project.connection
    pushed = hooked_project.tasks.first()
    created = {
        "action": "ANNOTATION_CREATED",
        "project": {"id": hooked_project.label_studio_id},
        "task": {"id": pushed.label_studio_task_id},
        "annotation": {
            "id": 990001, "task": pushed.label_studio_task_id, "completed_by": None, "lead_time": 3.0,
            "was_cancelled": False, "result": [choice("scenario", "refund")],
            "created_at": "2026-11-20T10:00:00.000000Z", "updated_at": "2026-11-20T10:00:00.000000Z",
        },
    }  # fmt: skip
    updated = copy.deepcopy(created)
    updated["action"] = "ANNOTATION_UPDATED"
    updated["annotation"]["result"] = [choice("scenario", "damaged")]
    updated["annotation"]["updated_at"] = "2026-11-20T10:05:00.000000Z"

    for payload in (updated, created, updated, created):  # the newer one first, each twice
        assert _post(client, connection, payload).status_code == 200

    stored = Annotation.objects.get(connection=connection, label_studio_id=990001)
    assert stored.result == [choice("scenario", "damaged")]
    assert stored.version == 1
    assert Annotation.objects.filter(connection=connection).count() == 1

    deleted = {"action": "ANNOTATIONS_DELETED", "project": {"id": hooked_project.label_studio_id},
               "annotations": [{"id": 990001}]}  # fmt: skip
    for payload in (deleted, created, deleted):  # a late "created" does not bring it back
        assert _post(client, connection, payload).status_code == 200
    stored.refresh_from_db()
    assert stored.is_deleted
    assert stored.version == 2


def test_a_wrong_secret_is_refused_and_nothing_recorded(hooked_project, client):
    response = _post(client, hooked_project.connection, {"action": "ANNOTATION_CREATED"}, secret="guess")
    assert response.status_code == 403
    assert not WebhookEvent.objects.exists()
