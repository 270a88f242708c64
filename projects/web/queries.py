"""Reads for the vendor portal; every queryset is scoped by projects.access."""

from __future__ import annotations

from django.db.models import QuerySet

from projects.access.scoping import visible
from projects.models import Annotator, Batch, LabelStudioProject, Review
from projects.reporting.list_counts import batches_with_counts


def portal_batches(user) -> QuerySet[Batch]:
    return visible(user, batches_with_counts().select_related("project", "vendor").order_by("due_at", "name"))


def portal_annotators(user) -> QuerySet[Annotator]:
    return visible(user, Annotator.objects.select_related("user", "vendor").order_by("user__username"))


def label_studio_links(user, batches) -> dict[int, str]:
    """Batch id → the Label Studio project its vendor labels it in."""
    projects = visible(user, LabelStudioProject.objects.select_related("connection")).filter(
        batch__in=batches, kind=LabelStudioProject.Kind.LABELING
    )
    return {project.batch_id: project.browser_url for project in projects}


def rejected_work(user, annotator: Annotator | None = None, *, limit: int = 20) -> QuerySet[Review]:
    """The newest QA rejections and corrections of the user's vendor (or own) work, with the reviewer's comment.

    The reviewer is not named: vendors see what was wrong and why, not who on our side judged it.
    """
    reviews = Review.objects.filter(verdict__in=[Review.Verdict.REJECT, Review.Verdict.CORRECT])
    if annotator is not None:
        reviews = reviews.filter(annotation__annotator=annotator)
    return visible(user, reviews).select_related("annotation__task", "error_category").order_by("-created_at")[:limit]
