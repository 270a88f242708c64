"""SLA reads for pages and the admin: batches in trouble first, each vendor's worst state."""

from __future__ import annotations

from django.db.models import Case, IntegerField, QuerySet, Value, When

from projects.models import (
    LabelingProject,
    SlaEvent,
    SlaState,
    SlaStatus,
)

# Worst first: what a project manager looks at before anything else.
SEVERITY = (SlaState.ESCALATED, SlaState.BREACHED, SlaState.AT_RISK, SlaState.ON_TRACK, SlaState.RESOLVED)


def severity_rank(field: str = "state") -> Case:
    """An ordering expression: escalated 0, breached 1, at risk 2, on track 3, resolved 4."""
    return Case(
        *(When(**{field: state}, then=Value(rank)) for rank, state in enumerate(SEVERITY)),
        default=Value(len(SEVERITY)),
        output_field=IntegerField(),
    )


def statuses_by_severity(queryset: QuerySet[SlaStatus] | None = None) -> QuerySet[SlaStatus]:
    """SLA statuses, escalated, breached and at risk first, the longest-standing first within a state."""
    queryset = SlaStatus.objects.all() if queryset is None else queryset
    return queryset.annotate(severity=severity_rank()).order_by("severity", "since", "id")


def events_by_severity(queryset: QuerySet[SlaEvent] | None = None) -> QuerySet[SlaEvent]:
    """SLA events, those into escalated, breached and at risk first, newest first within a state."""
    queryset = SlaEvent.objects.all() if queryset is None else queryset
    return queryset.annotate(severity=severity_rank("to_state")).order_by("severity", "-created_at", "-id")


def vendor_states(*, project: LabelingProject) -> dict[int, str]:
    """Each vendor's standing in the project: the worst state among its batches' SLA statuses."""
    worst: dict[int, str] = {}
    rows = SlaStatus.objects.filter(batch__project=project).values_list("vendor_id", "state")
    for vendor, state in rows:
        if vendor not in worst or SEVERITY.index(state) < SEVERITY.index(worst[vendor]):
            worst[vendor] = state
    return worst


# -- costs --------------------------------------------------------------------------------------------
