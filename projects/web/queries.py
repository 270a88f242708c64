"""Reads for the vendor portal; every queryset is scoped by projects.access."""

from __future__ import annotations

from django.db.models import QuerySet

from projects.access.scoping import visible
from projects.labeling.queries import batches_with_counts
from projects.models import Annotation, Annotator, Batch, LabelStudioProject


def portal_batches(user) -> QuerySet[Batch]:
    return visible(user, batches_with_counts().select_related("project", "vendor").order_by("due_at", "name"))


def portal_annotators(user) -> QuerySet[Annotator]:
    return visible(user, Annotator.objects.select_related("user", "vendor").order_by("user__username"))


def label_studio_links(user, batches) -> dict[int, str]:
    """Batch id → the Label Studio project its vendor labels it in."""
    projects = visible(user, LabelStudioProject.objects.select_related("connection")).filter(batch__in=batches)
    return {project.batch_id: project.browser_url for project in projects}


def rejected_work(user, annotator: Annotator | None = None) -> QuerySet[Annotation]:
    """Annotations QA rejected, with the reviewer's comment. Reviews arrive with the quality issue; empty until then."""
    return visible(user, Annotation.objects.none())
