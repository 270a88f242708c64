"""Receiving Label Studio webhooks: check and record (the endpoint then queues the processing and answers at once).

Label Studio Community calls the hook inside the annotator's own request and gives
up after 1 s, so nothing here waits on processing.
"""

from __future__ import annotations

import json

from django.utils import timezone

from projects.audit import Actor, records_actor
from projects.labelstudio.upsert import apply_deleted_annotations, apply_label_studio_tasks
from projects.labelstudio.webhooks import ACTIONS, secret_matches
from projects.models import LabelStudioConnection, LabelStudioProject, WebhookEvent


class WebhookRejected(Exception):
    def __init__(self, status: int, message: str) -> None:
        self.status = status
        super().__init__(message)


def receive_webhook(*, connection_id: int, secret: str, body: bytes) -> WebhookEvent | None:
    """Record a delivery for processing; None for actions annotate ignores."""
    connection = LabelStudioConnection.objects.filter(pk=connection_id, is_active=True).first()
    if connection is None or not secret_matches(connection, secret):
        raise WebhookRejected(403, "unknown connection or wrong secret")
    try:
        payload = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise WebhookRejected(400, "body is not JSON") from None
    action = payload.get("action") if isinstance(payload, dict) else None
    if action not in ACTIONS:
        return None
    return WebhookEvent.objects.create(connection=connection, action=action, payload=payload)


@records_actor
def process_webhook(event: WebhookEvent, *, actor: Actor) -> None:
    """Apply a recorded delivery; idempotent, and safe when deliveries come twice or out of order."""
    payload = event.payload
    project_id = (payload.get("project") or {}).get("id")
    label_studio_project = LabelStudioProject.objects.filter(
        connection=event.connection, label_studio_id=project_id
    ).first()
    if label_studio_project is not None:
        if event.action == "ANNOTATIONS_DELETED":
            ids = [item["id"] for item in payload.get("annotations") or [] if "id" in item]
            apply_deleted_annotations(label_studio_project, ids)
        else:
            annotation = payload.get("annotation") or {}
            task_id = (payload.get("task") or {}).get("id") or annotation.get("task")
            apply_label_studio_tasks(
                label_studio_project, [{"id": task_id, "annotations": [annotation]}], authoritative=False
            )
    WebhookEvent.objects.filter(pk=event.pk).update(processed_at=timezone.now())
