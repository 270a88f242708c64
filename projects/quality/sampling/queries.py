"""Reads about QA samples: which sample of a batch is the one reviewed and decided on."""

from __future__ import annotations

from projects.models import Batch, QASample


def current_sample(*, batch: Batch) -> QASample | None:
    """The batch's QA sample drawn last: the one the review queue works and the batch decision reads."""
    return QASample.objects.filter(batch=batch).order_by("-drawn_at", "-id").first()
