"""Label Studio webhooks: registration on push, and the shared secret they carry.

Label Studio does not sign webhooks; it sends the custom headers it was given. Each
connection's secret is derived from SECRET_KEY, so nothing extra is stored, and is
compared in constant time. Delivery is best effort (1 s timeout, no retry): the
periodic pull reconciles whatever a webhook missed.
"""

from __future__ import annotations

import hashlib
import hmac

from django.conf import settings
from django.urls import reverse

from projects.labelstudio.client import LabelStudioClient
from projects.models import LabelStudioConnection, LabelStudioProject

SECRET_HEADER = "X-Annotate-Webhook-Secret"
ACTIONS = ["ANNOTATION_CREATED", "ANNOTATION_UPDATED", "ANNOTATIONS_DELETED"]


def webhook_secret(connection: LabelStudioConnection) -> str:
    key = settings.SECRET_KEY.encode()
    return hmac.new(key, f"label-studio-webhook:{connection.pk}".encode(), hashlib.sha256).hexdigest()


def secret_matches(connection: LabelStudioConnection, presented: str) -> bool:
    return hmac.compare_digest(webhook_secret(connection).encode(), (presented or "").encode())


def webhook_url(connection: LabelStudioConnection) -> str:
    """Where this server should call annotate; empty when webhooks are off for it."""
    base = connection.webhook_url or settings.ANNOTATE_WEBHOOK_BASE_URL
    if not base:
        return ""
    return base.rstrip("/") + reverse("labelstudio-webhook", args=[connection.pk])


def ensure_webhook(client: LabelStudioClient, label_studio_project: LabelStudioProject) -> None:
    """Register the project's webhook once; a rerun finds the existing one."""
    url = webhook_url(label_studio_project.connection)
    if not url:
        return
    project_id = label_studio_project.label_studio_id
    for hook in client.list_webhooks(project_id):
        if hook.get("url") == url and hook.get("project") == project_id:
            if label_studio_project.webhook_id != hook["id"]:
                label_studio_project.webhook_id = hook["id"]
                label_studio_project.save(update_fields=["webhook_id"])
            return
    hook = client.create_webhook(
        project_id=project_id,
        url=url,
        headers={SECRET_HEADER: webhook_secret(label_studio_project.connection)},
        actions=ACTIONS,
    )
    label_studio_project.webhook_id = hook["id"]
    label_studio_project.save(update_fields=["webhook_id"])
