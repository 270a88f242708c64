"""The audit log: every human decision and configuration change, with who, when, before and after.

django-auditlog records the changes (its middleware supplies the actor); this module says
what is audited. Later domains (reviews, SLA policies, dataset builds) register here too.
"""

from __future__ import annotations

import contextvars
from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar

from auditlog.context import auditlog_value, set_actor
from auditlog.registry import auditlog
from django.contrib.auth import get_user_model

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser

T = TypeVar("T")


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


def audited(user: AbstractBaseUser | None, work: Callable[[], T]) -> T:
    """Run `work` with `user` as the audit log's actor, inside a request or not (a command, a Celery task).

    In a copied context, so the actor does not outlive the call; a request's address is kept.
    """
    try:
        request_context = auditlog_value.get()
    except LookupError:
        request_context = {}

    def with_actor() -> T:
        with set_actor(
            user, remote_addr=request_context.get("remote_addr"), remote_port=request_context.get("remote_port")
        ):
            return work()

    return contextvars.copy_context().run(with_actor)
