"""Reads about QA samples: which sample of a batch is the one reviewed and decided on."""

from __future__ import annotations

from projects.models import Batch, QASample


def current_sample(*, batch: Batch) -> QASample | None:
    """The batch's QA sample drawn last: the one the review queue works and the batch decision reads.

    Samples with a negative seed are a paused annotator's labels sent to QA in full (workforce/pauses.py):
    reviewed in the queue, never the sample a batch is decided on.
    """
    return QASample.objects.filter(batch=batch, seed__gte=0).order_by("-drawn_at", "-id").first()
