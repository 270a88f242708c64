"""Reads for the vendor portal; every queryset is scoped by projects.access."""

from __future__ import annotations

import zoneinfo
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from django.db.models import Count, QuerySet
from django.utils.translation import gettext, gettext_noop

from projects.access.scoping import Viewer, visible
from projects.models import (
    Annotation,
    Annotator,
    AnnotatorPause,
    Batch,
    BatchDecision,
    GoldGatePolicy,
    LabelStudioProject,
    Review,
    SlaStatus,
    Vendor,
)
from projects.reporting.list_counts import batches_with_counts

# A correction needs no error category; the vendor still reads it as a kind of error.
CORRECTED_WITHOUT_CATEGORY = gettext_noop("Label corrected (no error category)")


def portal_batches(user) -> QuerySet[Batch]:
    return visible(user, batches_with_counts().select_related("project", "vendor").order_by("due_at", "name"))


def portal_annotators(user) -> QuerySet[Annotator]:
    return visible(user, Annotator.objects.select_related("user", "vendor").order_by("user__username"))


def portal_pauses(user) -> QuerySet[AnnotatorPause]:
    """The vendor's annotators paused on a project, open pauses first, then the latest reinstated."""
    pauses = AnnotatorPause.objects.select_related("annotator__user", "project", "reinstated_by")
    return visible(user, pauses).order_by("-reinstated_at", "-paused_at")[:50]


def reinstatable_pauses(user, pauses) -> set[int]:
    """The open pauses among `pauses` this vendor manager may reinstate: their projects' gates allow it."""
    allowed = set(GoldGatePolicy.objects.filter(vendor_manager_may_reinstate=True).values_list("project_id", flat=True))
    return {pause.pk for pause in pauses if pause.is_open and pause.project_id in allowed}


def vendor_time_zone(viewer: Viewer) -> zoneinfo.ZoneInfo | None:
    """The time zone the viewer's vendor reads times in; None for a viewer without a vendor."""
    if viewer.vendor_id is None:
        return None
    name = Vendor.objects.filter(pk=viewer.vendor_id).values_list("time_zone", flat=True).first()
    return zoneinfo.ZoneInfo(name) if name else None


@dataclass(frozen=True)
class BatchLinks:
    """Where the vendor works on a batch in Label Studio: the project it was pushed to, and any rework projects."""

    labeling: list[str] = field(default_factory=list)
    rework: list[str] = field(default_factory=list)
    rework_to_redo: int = 0  # labels of the viewer's (an annotator's own, a manager's team) sent back, not redone


def label_studio_links(user, batches) -> dict[int, BatchLinks]:
    """Batch id → its Label Studio projects: where it is labeled, and where its rejected work went back."""
    projects = (
        visible(user, LabelStudioProject.objects.select_related("connection"))
        .filter(batch__in=batches)
        .order_by("kind", "pk")
    )
    urls: dict[int, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for project in projects:
        urls[project.batch_id][project.kind].append(project.browser_url)
    to_redo = dict(
        visible(user, Annotation.objects.filter(task__batch__in=batches, rework__replacement__isnull=True))
        .filter(rework__isnull=False)
        .values_list("task__batch_id")
        .annotate(count=Count("pk", distinct=True))
        .order_by()
    )
    return {
        batch_id: BatchLinks(
            labeling=kinds[LabelStudioProject.Kind.LABELING],
            rework=kinds[LabelStudioProject.Kind.REWORK],
            rework_to_redo=to_redo.get(batch_id, 0),
        )
        for batch_id, kinds in urls.items()
    }


def sla_states(user, batches) -> dict[int, SlaStatus]:
    """Batch id → the SLA status of the batch with its own vendor, as the monitor last found it."""
    statuses = visible(user, SlaStatus.objects.filter(batch__in=batches))
    vendors = {batch.pk: batch.vendor_id for batch in batches}
    return {status.batch_id: status for status in statuses if vendors.get(status.batch_id) == status.vendor_id}


@dataclass(frozen=True)
class BatchRow:
    """One batch as the portal lists it: the batch, its Label Studio links and (for managers) its SLA status."""

    batch: Batch
    links: BatchLinks | None
    sla: SlaStatus | None


def batch_rows(user, batches: list[Batch], *, with_sla: bool) -> list[BatchRow]:
    links = label_studio_links(user, batches)
    states = sla_states(user, batches) if with_sla else {}
    return [BatchRow(batch=batch, links=links.get(batch.pk), sla=states.get(batch.pk)) for batch in batches]


@dataclass(frozen=True)
class Rejection:
    """Why a batch was rejected, as its vendor may read it: the decision, its comment and the errors by category.

    Counts only: no item is named, so nothing says which sampled items were gold or what their answers were.
    """

    decision: BatchDecision
    errors_by_category: list[tuple[str, int]]  # most frequent first


def batch_rejection(user, batch: Batch) -> Rejection | None:
    """The latest decision on a rejected batch, with its error counts by category; None unless the batch is rejected."""
    if batch.status != Batch.Status.REJECTED:
        return None
    decision = visible(user, BatchDecision.objects.filter(batch=batch)).order_by("-decided_at", "-id").first()
    if decision is None or decision.accepted:
        return None
    latest: dict[int, tuple[str, str | None]] = {}
    if decision.sample_id is not None:
        # All reviews of the sample, not the viewer's own: the decision is the whole batch's.
        rows = (
            Review.objects.filter(sample_item__sample_id=decision.sample_id, created_at__lte=decision.decided_at)
            .order_by("created_at", "id")
            .values_list("sample_item_id", "verdict", "error_category__name")
        )
        for item, verdict, category in rows:
            latest[item] = (verdict, category)
    counts = Counter(
        category or gettext(CORRECTED_WITHOUT_CATEGORY)
        for verdict, category in latest.values()
        if verdict in (Review.Verdict.REJECT, Review.Verdict.CORRECT)
    )
    return Rejection(decision=decision, errors_by_category=sorted(counts.items(), key=lambda pair: (-pair[1], pair[0])))


def rejected_work(user, annotator: Annotator | None = None, *, limit: int = 20) -> QuerySet[Review]:
    """The newest QA rejections and corrections of the user's vendor (or own) work, with the reviewer's comment.

    The reviewer is not named: vendors see what was wrong and why, not who on our side judged it. Reviews of gold
    tasks are left out: their comments tend to state the gold answer, and the list would say which items were gold.
    """
    reviews = Review.objects.filter(verdict__in=[Review.Verdict.REJECT, Review.Verdict.CORRECT]).exclude(
        annotation__task__is_gold=True
    )
    if annotator is not None:
        reviews = reviews.filter(annotation__annotator=annotator)
    return visible(user, reviews).select_related("annotation__task", "error_category").order_by("-created_at")[:limit]
