"""Vendor scoping, in one place: every queryset a user reaches goes through `visible`.

Vendors compete with each other; one vendor seeing another's tasks, labels or scores is
the worst bug this product can have. So pages, API and exports never filter by vendor
by hand: they ask `visible(user, queryset)`, and a model without a rule here shows
vendor-side users nothing. A foreign id then answers 404, because it is not in the
queryset the view looks it up in.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Model, Q, QuerySet

from projects.access.roles import ANNOTATOR, INTERNAL_ROLES, VENDOR_MANAGER, role_of
from projects.models import (
    Annotation,
    AnnotationVersion,
    Annotator,
    AnnotatorPause,
    Batch,
    BatchDecision,
    LabelingProject,
    LabelStudioProject,
    Review,
    SlaEvent,
    SlaStatus,
    Task,
    Vendor,
)


@dataclass(frozen=True)
class Viewer:
    """Who is looking: their role, and for vendor-side users their vendor (and annotator)."""

    role: str | None
    vendor_id: int | None = None
    annotator_id: int | None = None
    user_id: int | None = None

    @property
    def is_internal(self) -> bool:
        return self.role in INTERNAL_ROLES

    @property
    def is_vendor_side(self) -> bool:
        return self.role in (VENDOR_MANAGER, ANNOTATOR)


def viewer_for(user) -> Viewer:
    role = role_of(user)
    if role == VENDOR_MANAGER:
        manager = getattr(user, "vendor_manager", None)
        return Viewer(role, vendor_id=manager.vendor_id if manager else None, user_id=user.pk)
    if role == ANNOTATOR:
        annotator = getattr(user, "annotator", None)
        return Viewer(
            role,
            vendor_id=annotator.vendor_id if annotator else None,
            annotator_id=annotator.pk if annotator else None,
            user_id=user.pk,
        )
    return Viewer(role, user_id=getattr(user, "pk", None))


@dataclass(frozen=True)
class Rule:
    """How a model reaches a vendor, and (for annotators) themselves."""

    vendor: str
    own: str | None = None  # lookup to the annotator's id; None: annotators see the vendor's rows
    distinct: bool = False


RULES: dict[type[Model], Rule] = {
    Vendor: Rule(vendor="pk"),
    Annotator: Rule(vendor="vendor", own="pk"),
    LabelingProject: Rule(vendor="batches__vendor", distinct=True),
    Batch: Rule(vendor="vendor"),
    Task: Rule(vendor="batch__vendor"),
    Annotation: Rule(vendor="annotator__vendor", own="annotator"),
    AnnotationVersion: Rule(vendor="annotation__annotator__vendor", own="annotation__annotator"),
    LabelStudioProject: Rule(vendor="batch__vendor"),
    # QA feedback on the vendor's own annotations; pages show vendor roles the verdict, never the reviewer.
    Review: Rule(vendor="annotation__annotator__vendor", own="annotation__annotator"),
    BatchDecision: Rule(vendor="batch__vendor"),
    # A vendor's SLA standing is the vendor manager's to see; annotators' role grants them no SLA model.
    SlaStatus: Rule(vendor="vendor"),
    SlaEvent: Rule(vendor="vendor"),
    # Why an annotator of the vendor was paused, and who reinstated them.
    AnnotatorPause: Rule(vendor="annotator__vendor", own="annotator"),
}


def visible(user_or_viewer, queryset: QuerySet) -> QuerySet:
    """The part of `queryset` this user may see: all for PMs and QA, their vendor's (or own) rows for vendor roles."""
    viewer = user_or_viewer if isinstance(user_or_viewer, Viewer) else viewer_for(user_or_viewer)
    if viewer.is_internal:
        return queryset
    rule = RULES.get(queryset.model)
    if rule is None or not viewer.is_vendor_side or viewer.vendor_id is None:
        return queryset.none()
    condition = Q(**{rule.vendor: viewer.vendor_id})
    if viewer.role == ANNOTATOR and rule.own is not None:
        condition &= Q(**{rule.own: viewer.annotator_id})
    scoped = queryset.filter(condition)
    return scoped.distinct() if rule.distinct else scoped


def can_see_gold(user_or_viewer) -> bool:
    """Gold answers (and which tasks are gold) stay inside: a vendor who knows them can game the scores."""
    viewer = user_or_viewer if isinstance(user_or_viewer, Viewer) else viewer_for(user_or_viewer)
    return viewer.is_internal


def can_see_originals(user_or_viewer) -> bool:
    """Unredacted task data: project managers only."""
    viewer = user_or_viewer if isinstance(user_or_viewer, Viewer) else viewer_for(user_or_viewer)
    return viewer.role == "project manager"
