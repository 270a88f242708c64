"""The endpoint Label Studio servers call on annotation changes."""

from __future__ import annotations

from django.db import transaction
from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from projects.jobs import process_webhook_event
from projects.labelstudio.receiver import WebhookRejected, receive_webhook
from projects.labelstudio.webhooks import SECRET_HEADER


@csrf_exempt
@require_POST
def labelstudio_webhook(request: HttpRequest, connection_id: int) -> JsonResponse:
    try:
        event = receive_webhook(
            connection_id=connection_id, secret=request.headers.get(SECRET_HEADER, ""), body=request.body
        )
    except WebhookRejected as rejected:
        return JsonResponse({"error": str(rejected)}, status=rejected.status)
    if event is not None:
        transaction.on_commit(lambda: process_webhook_event.delay(event.pk))
    return JsonResponse({"recorded": event.pk if event else None})
