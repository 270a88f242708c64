"""Opening a batch's review queue: its consensus first, then the QA sample drawn from it."""

from __future__ import annotations

from typing import TYPE_CHECKING

from projects.audit import Actor, records_actor
from projects.models import Batch, QASample
from projects.quality.consensus.build import aggregate_batch
from projects.quality.sampling.qa_sample import draw_qa_sample

if TYPE_CHECKING:
    pass


@records_actor
def open_review_queue(*, batch: Batch, actor: Actor) -> QASample:
    """Aggregate the batch's labels, then draw its QA sample with the batch's id as the seed.

    The sample's risk signals (disagreement, adjudication) come from the consensus, so the
    consensus is stored first. Idempotent: the seed is fixed, so a second call returns the
    sample drawn first (after refreshing the consensus).
    """
    aggregate_batch(batch=batch)
    return draw_qa_sample(batch=batch, seed=batch.pk, actor=actor)
