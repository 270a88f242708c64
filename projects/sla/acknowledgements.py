"""Acknowledging an SLA event: a person says they have seen it and what is being done about it.

`acknowledge_event` records the acknowledgement once, with its comment, atomically and in the audit log;
`AcknowledgementRefused` says why one cannot be recorded (no comment, already acknowledged).
"""

from __future__ import annotations

from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from projects.audit import Actor, records_actor
from projects.errors import Refusal
from projects.models import SlaEvent


class AcknowledgementRefused(Refusal):
    """An acknowledgement that cannot be recorded as asked; the message says why."""


@records_actor
def acknowledge_event(*, event: SlaEvent, actor: Actor, comment: str, now: datetime | None = None) -> SlaEvent:
    """Record that the actor's person has seen the event, with their comment; atomic, audited, refused if already
    acknowledged or if the actor is annotate itself (only a person acknowledges)."""
    user = actor.user
    if user is None:
        raise AcknowledgementRefused("Only a person acknowledges an SLA event: name one (a command takes --by).")
    comment = comment.strip()
    if not comment:
        raise AcknowledgementRefused("Say what is being done about it: an acknowledgement needs a comment.")

    with transaction.atomic():
        locked = SlaEvent.objects.select_for_update().get(pk=event.pk)
        if locked.acknowledged_at is not None:
            raise AcknowledgementRefused(
                f"This event was acknowledged by {locked.acknowledged_by} at {locked.acknowledged_at:%Y-%m-%d %H:%M}."
            )
        locked.acknowledged_by = user
        locked.acknowledged_at = now or timezone.now()
        locked.acknowledgement_comment = comment
        try:
            locked.full_clean()
        except ValidationError as error:
            raise AcknowledgementRefused("; ".join(error.messages)) from error
        locked.save(update_fields=["acknowledged_by", "acknowledged_at", "acknowledgement_comment"])
    event.acknowledged_by = locked.acknowledged_by
    event.acknowledged_at = locked.acknowledged_at
    event.acknowledgement_comment = locked.acknowledgement_comment
    return locked
