"""The audit log: every human decision and configuration change, with who, when, before and after.

django-auditlog records the changes (its middleware supplies the actor); this module says
what is audited. Later domains (reviews, SLA policies, dataset builds) register here too.
"""

from __future__ import annotations

from auditlog.context import auditlog_value
from auditlog.registry import auditlog
from django.contrib.auth import get_user_model


def register_audited_models() -> None:
    from projects.models import (
        Adjudication,
        Annotator,
        Batch,
        BatchDecision,
        DatasetVersion,
        ErrorCategory,
        EvaluationRun,
        GoldRetirement,
        LabelingProject,
        LabelStudioConnection,
        QASample,
        Review,
        Rework,
        SlaEvent,
        SlaPolicy,
        Vendor,
        VendorManager,
        VendorRate,
    )

    auditlog.register(LabelingProject)
    auditlog.register(Batch)
    auditlog.register(Vendor)
    auditlog.register(Annotator)
    auditlog.register(VendorManager)
    # Quality: verdicts, adjudications, batch decisions and what they rest on (taxonomy, samples, retired gold).
    auditlog.register(ErrorCategory)
    auditlog.register(QASample)
    auditlog.register(Review)
    auditlog.register(Adjudication)
    auditlog.register(BatchDecision)
    auditlog.register(GoldRetirement)
    auditlog.register(Rework)
    # Dataset builds: a version is immutable once built, so its creation is the event.
    auditlog.register(DatasetVersion, exclude_fields=["statistics", "excluded"])
    auditlog.register(EvaluationRun, exclude_fields=["metrics"])
    # SLA: policy and rate edits, and who acknowledged which event (the monitor's writes are not a person's).
    auditlog.register(SlaPolicy)
    auditlog.register(VendorRate)
    auditlog.register(SlaEvent, include_fields=["acknowledged_by", "acknowledged_at", "acknowledgement_comment"])
    # The token never enters the log, not even encrypted.
    auditlog.register(LabelStudioConnection, exclude_fields=["encrypted_token", "last_checked_at", "last_check_error"])
    # Role changes are group membership changes.
    auditlog.register(
        get_user_model(),
        include_fields=["username", "email", "is_active", "is_staff", "is_superuser", "groups"],
        m2m_fields={"groups"},
    )


def attribute_changes_to(user) -> None:
    """Name `user` as the actor of what the current request changes, when the middleware could not.

    AuditlogMiddleware takes the actor from the session before the view runs; an API token
    is only checked inside the view, so without this every API change would have no actor.
    """
    try:
        context = auditlog_value.get()
    except LookupError:  # not inside a request (a command, a Celery task)
        return
    if context.get("actor") is None and user.is_authenticated:
        context["actor"] = user
