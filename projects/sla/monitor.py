"""The SLA monitor: evaluate every open batch against its policy, record each state change, e-mail it once.

`check_slas` measures each open batch (figures.py), hands the figures to the pure state machine (states.py), stores
the state on the batch's SlaStatus row and records an SlaEvent for each change. E-mails (notifications.py) go out
after the change is committed, one per event, and the event remembers it was sent, so a rerun, or a second worker,
sends nothing twice.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from projects.audit import Actor, records_actor
from projects.models import Batch, SlaEvent, SlaStatus
from projects.sla import states
from projects.sla.figures import BatchFigures, measure_batch, rounded
from projects.sla.notifications import send_sla_notifications
from projects.sla.policies import resolve_policy, state_machine_policy

OPEN_STATUSES = (Batch.Status.PUSHED, Batch.Status.IN_PROGRESS, Batch.Status.DELIVERED)
TROUBLE_STATES = (states.AT_RISK, states.BREACHED, states.ESCALATED)


@dataclass(frozen=True)
class StateChange:
    event: int
    batch: str
    vendor: str
    from_state: str
    to_state: str
    reasons: list[str]


@dataclass(frozen=True)
class SlaCheck:
    checked: int = 0
    changes: list[StateChange] = field(default_factory=list)
    emails_sent: int = 0
    emails_failed: int = 0


def _previous(status: SlaStatus) -> states.SlaStatus | None:
    if status.checked_at is None:
        return None
    return states.SlaStatus(
        state=status.state,
        since=status.since,
        breach_started=status.breach_started_at,
        reasons=(),
        evaluated_at=status.checked_at,
        previous_state=None,
        changed=False,
    )


def _batches_to_check():
    # Open batches, and closed ones still in trouble: their acceptance resolves them (or closing does not).
    in_trouble = SlaStatus.objects.filter(state__in=TROUBLE_STATES).values("batch_id")
    return (
        Batch.objects.filter(Q(status__in=OPEN_STATUSES) | Q(pk__in=in_trouble), vendor__isnull=False)
        .select_related("project", "vendor")
        .order_by("id")
    )


@records_actor
def check_slas(*, actor: Actor, now: datetime | None = None) -> SlaCheck:
    """Evaluate every open batch with an SLA policy, record each state change as an event, e-mail each event once.

    Idempotent: a rerun with nothing changed records and sends nothing. Safe on two workers at once: each batch's
    status row is locked while it is evaluated, and each event's e-mail is sent by whichever worker locks it first.
    """
    now = now or timezone.now()
    checked = 0
    changes = []
    for batch in _batches_to_check():
        policy = resolve_policy(batch=batch)
        if policy is None:
            continue
        measured = measure_batch(
            batch=batch, now=now, window_days=policy.window_days, with_agreement=policy.min_agreement is not None
        )
        change = _record(batch, state_machine_policy(policy), measured, now)
        checked += 1
        if change is not None:
            changes.append(change)
    sent, failed = send_sla_notifications()
    return SlaCheck(checked=checked, changes=changes, emails_sent=sent, emails_failed=failed)


def _record(batch: Batch, policy: states.SlaPolicy, measured: BatchFigures, now: datetime) -> StateChange | None:
    with transaction.atomic():
        SlaStatus.objects.get_or_create(batch=batch, vendor=batch.vendor, defaults={"since": now})
        status = SlaStatus.objects.select_for_update().get(batch=batch, vendor=batch.vendor)
        if status.checked_at is not None and now < status.checked_at:
            return None  # another worker already evaluated a later instant
        result = states.evaluate(measured.figures, policy, _previous(status), now)
        figures = measured.as_json()
        reasons = [_reason_json(reason) for reason in result.reasons]
        from_state = status.state if status.checked_at is not None else ""
        status.state = result.state
        status.since = result.since
        status.breach_started_at = result.breach_started
        status.figures = figures
        status.reasons = reasons
        status.checked_at = now
        status.save()
        if not result.changed:
            return None
        event = SlaEvent.objects.create(
            batch=batch,
            vendor=batch.vendor,
            from_state=from_state,
            to_state=result.state,
            figures=figures,
            reasons=reasons,
            created_at=now,
        )
    return StateChange(
        event.pk, str(batch), str(batch.vendor), from_state, result.state, [reason["message"] for reason in reasons]
    )


def _reason_json(reason: states.Reason) -> dict:
    return {key: rounded(value) if isinstance(value, float) else value for key, value in asdict(reason).items()}
