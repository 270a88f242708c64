"""The audit log: every human decision and configuration change, with who, when, before and after.

django-auditlog records the changes; this module says what is audited and who made a change.
Every write use case takes `actor=` (an `Actor`: a person, or annotate itself under a name)
and records its writes under it (`with actor.recorded():`), in a request, a command or a
Celery job alike: the entry's actor is the person (None for annotate itself), and its
additional data names the actor and the interface it came through,
`{"actor": "pm", "via": "command build_dataset"}`.
"""

from __future__ import annotations

import contextlib
import getpass
import itertools
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import partial, wraps
from typing import TYPE_CHECKING, TypeVar

from auditlog import get_logentry_model
from auditlog.context import _set_extra_data, auditlog_value
from auditlog.registry import auditlog
from django.contrib.auth import get_user_model
from django.db.models.signals import pre_save

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser

F = TypeVar("F", bound=Callable)


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
        OverlapChange,
        OverlapPolicy,
        QASample,
        Review,
        Rework,
        SlaEvent,
        SlaPolicy,
        TaskImport,
        Vendor,
        VendorManager,
        VendorRate,
    )

    auditlog.register(LabelingProject)
    auditlog.register(Batch)
    # An import is one event (its tasks are not logged one by one): who imported which file, how many tasks.
    auditlog.register(TaskImport, exclude_fields=["redaction_report"])
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
    auditlog.register(OverlapPolicy)
    auditlog.register(OverlapChange)
    # Dataset builds: a version is immutable once built, so its creation is the event.
    auditlog.register(DatasetVersion, exclude_fields=["statistics", "excluded"])
    auditlog.register(EvaluationRun, exclude_fields=["metrics"])
    # SLA: policy and rate edits, and who acknowledged which event (the monitor's writes are not a person's).
    auditlog.register(SlaPolicy)
    auditlog.register(VendorRate)
    auditlog.register(SlaEvent, include_fields=["acknowledged_by", "acknowledged_at", "acknowledgement_comment"])
    # The token never enters the log, not even encrypted; what annotate reads from the server is no one's change.
    auditlog.register(
        LabelStudioConnection,
        exclude_fields=["encrypted_token", "last_checked_at", "last_check_error", "server_address", "server_identity"],
    )
    # Role changes are group membership changes.
    auditlog.register(
        get_user_model(),
        include_fields=["username", "email", "is_active", "is_staff", "is_superuser", "groups"],
        m2m_fields={"groups"},
    )


_receivers = itertools.count()


@dataclass(frozen=True)
class Actor:
    """Who or what makes a change: a person, or annotate itself under a name, and the interface it came through.

    `Actor.person(user, via="admin")` for a person; `Actor.system("SLA monitor", via="job check_slas")` for
    annotate's own decisions. `via` is the interface: "admin", "api", "pages", "command NAME", "job NAME".
    """

    user: AbstractBaseUser | None
    name: str
    via: str

    @classmethod
    def person(cls, user: AbstractBaseUser, *, via: str) -> Actor:
        if user is None or not user.is_authenticated:
            raise ValueError("a person actor needs a signed-in user")
        return cls(user=user, name=user.get_username(), via=via)

    @classmethod
    def system(cls, name: str, *, via: str) -> Actor:
        return cls(user=None, name=f"annotate ({name})", via=via)

    @classmethod
    def of(cls, user: AbstractBaseUser | None, *, via: str, otherwise: str) -> Actor:
        """The person when there is one, else annotate itself as `otherwise`."""
        if user is not None and user.is_authenticated:
            return cls.person(user, via=via)
        return cls.system(otherwise, via=via)

    @classmethod
    def shell(cls, command: str, user: AbstractBaseUser | None = None) -> Actor:
        """A management command's actor: `--by` names the person, else the shell login that ran it."""
        via = f"command {command}"
        if user is not None:
            return cls.person(user, via=via)
        return cls(user=None, name=f"shell user {getpass.getuser()}", via=via)

    def __str__(self) -> str:
        return f"{self.name} via {self.via}"

    @contextlib.contextmanager
    def recorded(self) -> Iterator[Actor]:
        """Every audited write inside the block names this actor, inside a request or not; nests, and restores.

        A request's address is kept. Built on django-auditlog's own receiver for its context (3.4.1):
        its `set_actor` leaves the context behind when it ends, which would take the actor from the rest
        of a request.
        """
        try:
            outer = auditlog_value.get()
        except LookupError:
            outer = {}
        duid = ("annotate-actor", next(_receivers))
        context = {
            "actor": self.user,
            "remote_addr": outer.get("remote_addr"),
            "remote_port": outer.get("remote_port"),
            "additional_data": {"actor": self.name, "via": self.via},
            "signal_duid": duid,
        }
        token = auditlog_value.set(context)
        log_entry = get_logentry_model()
        pre_save.connect(partial(_set_extra_data, signal_duid=duid), sender=log_entry, dispatch_uid=duid, weak=False)
        try:
            yield self
        finally:
            pre_save.disconnect(sender=log_entry, dispatch_uid=duid)
            auditlog_value.reset(token)


def records_actor(use_case: F) -> F:
    """Mark a write use case: it takes a required keyword `actor` (an `Actor`) and every audited write it makes,
    on any thread it starts with a copy of its context, names that actor. Put it outside `transaction.atomic`."""

    @wraps(use_case)
    def under_actor(*args, actor: Actor, **kwargs):
        if not isinstance(actor, Actor):
            raise TypeError(f"{use_case.__qualname__}: actor must be an Actor, not {type(actor).__name__}")
        with actor.recorded():
            return use_case(*args, actor=actor, **kwargs)

    return under_actor  # type: ignore[return-value]


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
