"""SLA policies: which policy is in force for a batch, and how the state machine reads it.

A policy can be set for a project, a vendor on it, a batch, or a vendor on a batch; the most specific one wins
(`resolve_policy`). `state_machine_policy` turns the stored policy into the plain dataclass the pure state machine
(states.py) takes.
"""

from __future__ import annotations

from django.db.models import Case, IntegerField, Q, Value, When

from projects.models import Batch, SlaPolicy
from projects.sla import states


def resolve_policy(*, batch: Batch) -> SlaPolicy | None:
    """The SLA policy in force for the batch: batch and vendor, then batch, then vendor, then the project's."""
    candidates = SlaPolicy.objects.filter(project_id=batch.project_id).filter(
        Q(batch__isnull=True) | Q(batch=batch), Q(vendor__isnull=True) | Q(vendor_id=batch.vendor_id)
    )
    specificity = Case(
        When(batch__isnull=False, vendor__isnull=False, then=Value(3)),
        When(batch__isnull=False, then=Value(2)),
        When(vendor__isnull=False, then=Value(1)),
        default=Value(0),
        output_field=IntegerField(),
    )
    return candidates.annotate(specificity=specificity).order_by("-specificity").first()


def state_machine_policy(policy: SlaPolicy) -> states.SlaPolicy:
    """The policy as the pure state machine reads it: shares as floats, hours and days as they are."""

    def share(value) -> float | None:
        return None if value is None else float(value)

    return states.SlaPolicy(
        turnaround_hours=policy.turnaround_hours,
        min_daily_throughput=policy.daily_throughput,
        min_gold_accuracy=share(policy.min_gold_accuracy),
        min_qa_acceptance=share(policy.min_qa_acceptance),
        min_agreement=share(policy.min_agreement),
        grace_hours=policy.grace_hours,
        evaluation_window_days=policy.window_days,
    )
