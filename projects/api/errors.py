"""The API renders a refusal once: its status (400, 409 or 502) with the message and any details."""

from __future__ import annotations

from rest_framework.response import Response
from rest_framework.views import exception_handler

from projects.errors import Refusal


def refusal_handler(error: Exception, context: dict) -> Response | None:
    """DRF's handler, plus a `Refusal` from a use case as `{"detail": message, **details}`."""
    if isinstance(error, Refusal):
        return Response({"detail": str(error), **error.details()}, status=error.http_status)
    return exception_handler(error, context)
