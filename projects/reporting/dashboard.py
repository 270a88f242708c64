"""Reads for the PM dashboard and the weekly report: progress by day, quality per vendor, the SLA board, costs,
anomaly flags per annotator and, for one open batch at a time, a what-if on its completion forecast.

A fixed number of small queries whatever the project's size: labels, first labels, gold and costs are summed from
the batches' tallies (projects/reporting/tallies.py, recounted first where stale), anomaly flags come from the
project's kept snapshot (projects/quality/anomalies/snapshots.py); the what-if adds a fixed number for the one batch
asked about.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Count, Max, Min, Q, Sum
from django.utils import timezone

from projects.models import Annotation, Annotator, Batch, LabelingProject, Review, SlaStatus
from projects.quality.anomalies.snapshots import current_flags
from projects.quality.stats.anomalies import Flag
from projects.quality.stats.intervals import wilson_interval
from projects.reporting.costs import CostFigures, MixedCurrencies, vendor_costs
from projects.reporting.tallies import project_label_tallies, refresh_stale_tallies
from projects.sla import forecast
from projects.sla.figures import measure_batch
from projects.sla.queries import statuses_by_severity
from projects.workforce.queries import OverlapSavings, overlap_savings

LIVE = Q(is_deleted=False, was_cancelled=False)
LABELING_STATUSES = (Batch.Status.PUSHED, Batch.Status.IN_PROGRESS)
DEFAULT_HOURS_PER_DAY = 8.0


@dataclass(frozen=True)
class Progress:
    """Annotated tasks against the project's target, a point per day; `planned` is the pace to the last deadline."""

    target: int
    annotated: int
    days: list[dt.date]
    cumulative: list[int | None]  # None for days still to come
    planned: list[float]
    labels_per_day: list[int]
    deadline: dt.date | None


@dataclass(frozen=True)
class VendorQuality:
    vendor: int
    vendor_name: str
    gold_seen: int = 0
    gold_correct: int = 0
    qa_reviewed: int = 0
    qa_reviews_accepted: int = 0  # of the annotations reviewed, those whose latest verdict accepted the label as it was

    @property
    def gold_accuracy(self) -> float | None:
        return self.gold_correct / self.gold_seen if self.gold_seen else None

    @property
    def gold_interval(self) -> tuple[float, float] | None:
        return wilson_interval(self.gold_correct, self.gold_seen)

    @property
    def qa_acceptance(self) -> float | None:
        return self.qa_reviews_accepted / self.qa_reviewed if self.qa_reviewed else None

    @property
    def qa_interval(self) -> tuple[float, float] | None:
        return wilson_interval(self.qa_reviews_accepted, self.qa_reviewed)


@dataclass(frozen=True)
class AnnotatorFlags:
    annotator: Annotator
    flags: list[Flag]


@dataclass(frozen=True)
class BatchWhatIf:
    """One open batch's forecast as measured, and again with `add_annotators` more against the `due` date asked."""

    batch: Batch
    projection: forecast.CompletionForecast
    due: dt.date | None
    misses_due: bool | None
    headcount: forecast.HeadcountPlan | None  # None without a due date
    what_if: forecast.WhatIf
    labels_per_hour: float  # the vendor's live labels per annotator-hour on the batch, in the window
    current_headcount: int  # the vendor's annotators who labeled the batch in the window
    hours_per_day: float
    error: str | None = None


@dataclass
class Dashboard:
    project: LabelingProject
    progress: Progress
    quality: list[VendorQuality]
    statuses: list[SlaStatus]
    costs: list[CostFigures] = field(default_factory=list)
    cost_error: str | None = None
    flags: list[AnnotatorFlags] = field(default_factory=list)
    flags_as_of: dt.datetime | None = None
    open_batches: list[Batch] = field(default_factory=list)
    overlap: OverlapSavings | None = None  # dynamic overlap against fixed, when the project has a policy


def within_days(start: dt.date | None, end: dt.date | None, field_name: str) -> Q:
    """Q on a datetime field for local days start..end (both included)."""
    zone = timezone.get_current_timezone()
    condition = Q()
    if start is not None:
        condition &= Q(**{f"{field_name}__gte": dt.datetime.combine(start, dt.time.min, tzinfo=zone)})
    if end is not None:
        condition &= Q(
            **{f"{field_name}__lt": dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min, tzinfo=zone)}
        )
    return condition


def annotated_tasks_by_day(
    *, project: LabelingProject, start: dt.date | None = None, end: dt.date | None = None
) -> dict[dt.date, int]:
    """Tasks counted on the local day of their first live annotation; one grouped query over the tallies."""
    rows = project_label_tallies(project, start, end).values("day").annotate(tasks=Sum("first_labels")).order_by("day")
    return {row["day"]: row["tasks"] for row in rows if row["tasks"]}


def labels_by_day(
    *, project: LabelingProject, start: dt.date | None = None, end: dt.date | None = None
) -> dict[dt.date, int]:
    """Live labels made per local day (throughput); one grouped query over the tallies."""
    rows = project_label_tallies(project, start, end).values("day").annotate(labels=Sum("labels")).order_by("day")
    return {row["day"]: row["labels"] for row in rows}


def labels_by_vendor(
    *, project: LabelingProject, start: dt.date | None = None, end: dt.date | None = None
) -> list[tuple[str, int]]:
    """Live labels per vendor, most first; one grouped query over the tallies."""
    rows = (
        project_label_tallies(project, start, end)
        .values("vendor__name")
        .annotate(labels=Sum("labels"))
        .order_by("-labels", "vendor__name")
    )
    return [(row["vendor__name"] or "no vendor", row["labels"]) for row in rows]


def project_progress(*, project: LabelingProject, today: dt.date) -> Progress:
    """Cumulative annotated tasks by day from the first batch to the later of today and the last deadline."""
    plan = Batch.objects.filter(project=project).aggregate(
        target=Sum("target_count"), first=Min("created_at"), deadline=Max("due_at")
    )
    annotated = annotated_tasks_by_day(project=project)
    labels = labels_by_day(project=project)
    zone = timezone.get_current_timezone()
    starts = [day for day in (*annotated, *labels) if day is not None]
    if plan["first"] is not None:
        starts.append(timezone.localtime(plan["first"], zone).date())
    deadline = timezone.localtime(plan["deadline"], zone).date() if plan["deadline"] else None
    target = plan["target"] or 0
    if not starts:
        return Progress(target, 0, [], [], [], [], deadline)
    start = min(starts)
    end = max(today, deadline or today, *starts)
    days = [start + dt.timedelta(days=offset) for offset in range((end - start).days + 1)]
    cumulative: list[int | None] = []
    running = to_date = 0
    for day in days:
        running += annotated.get(day, 0)
        cumulative.append(running if day <= today else None)
        if day <= today:
            to_date = running
    span = ((deadline or end) - start).days or 1
    planned = [round(min(1.0, (day - start).days / span) * target, 1) for day in days]
    return Progress(
        target=target,
        annotated=to_date,
        days=days,
        cumulative=cumulative,
        planned=planned,
        labels_per_day=[labels.get(day, 0) for day in days],
        deadline=deadline,
    )


def vendor_quality(
    *, project: LabelingProject, start: dt.date | None = None, end: dt.date | None = None
) -> list[VendorQuality]:
    """Gold accuracy and QA acceptance per vendor (Wilson intervals on the dataclass); two queries.

    Gold: every live label on a gold task made in the period. QA: the latest verdict per annotation given in the
    period; a review accepted is a latest verdict that accepted the label as it was.
    """
    names: dict[int, str] = {}
    gold: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    rows = (
        project_label_tallies(project, start, end)
        .filter(annotator__isnull=False, gold_labels__gt=0)
        .values("vendor_id", "vendor__name")
        .annotate(seen=Sum("gold_labels"), correct=Sum("gold_correct"))
        .order_by()
    )
    for row in rows:
        names[row["vendor_id"]] = row["vendor__name"]
        gold[row["vendor_id"]] = [row["seen"], row["correct"]]
    latest: dict[int, tuple[int, str]] = {}
    reviews = (
        Review.objects.filter(
            within_days(start, end, "created_at"),
            annotation__task__project=project,
            annotation__annotator__isnull=False,
        )
        .order_by("created_at", "id")
        .values_list(
            "annotation_id", "annotation__annotator__vendor_id", "annotation__annotator__vendor__name", "verdict"
        )
    )
    for annotation, vendor, name, verdict in reviews.iterator(chunk_size=5000):
        names[vendor] = name
        latest[annotation] = (vendor, verdict)
    qa: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    for vendor, verdict in latest.values():
        qa[vendor][0] += 1
        qa[vendor][1] += verdict == Review.Verdict.ACCEPT
    return [
        VendorQuality(
            vendor=vendor,
            vendor_name=name,
            gold_seen=gold[vendor][0],
            gold_correct=gold[vendor][1],
            qa_reviewed=qa[vendor][0],
            qa_reviews_accepted=qa[vendor][1],
        )
        for vendor, name in sorted(names.items(), key=lambda item: item[1])
    ]


def sla_board(*, project: LabelingProject) -> list[SlaStatus]:
    """The project's SLA statuses, escalated, breached and at risk first; one query."""
    return list(
        statuses_by_severity(SlaStatus.objects.filter(batch__project=project).select_related("batch", "vendor"))
    )


def anomaly_board(*, project: LabelingProject, now: dt.datetime) -> tuple[dt.datetime, list[AnnotatorFlags]]:
    """When the flags were computed, and the annotators flagged over the last FLAG_WINDOW_DAYS of labels by vendor;
    from the project's kept snapshot."""
    as_of, flagged = current_flags(project=project, now=now)
    return as_of, [AnnotatorFlags(annotator, flags) for annotator, flags in flagged]


def open_batches(*, project: LabelingProject) -> list[Batch]:
    """The project's batches still being labeled (delivered ones have nothing left to forecast), soonest due first;
    one query."""
    return list(
        Batch.objects.filter(project=project, status__in=LABELING_STATUSES)
        .select_related("vendor")
        .order_by("due_at", "name")
    )


def batch_what_if(
    *,
    batch: Batch,
    add_annotators: int = 0,
    due: dt.date | None = None,
    hours_per_day: float = DEFAULT_HOURS_PER_DAY,
    now: dt.datetime | None = None,
) -> BatchWhatIf:
    """The batch's completion forecast, the headcount its due date needs and the forecast with more annotators.

    Productivity is the vendor's measured live labels per annotator-hour on the batch over the SLA window
    (labels over the hours their lead times add up to); `due` defaults to the batch's own due date. Reads only.
    """
    now = now or timezone.now()
    measured = measure_batch(batch=batch, now=now, with_agreement=False)
    projection = measured.figures.forecast
    since = now - dt.timedelta(days=measured.window_days)
    effort = Annotation.objects.filter(
        LIVE, task__batch=batch, annotator__vendor_id=batch.vendor_id, created_at__gte=since
    ).aggregate(labels=Count("id"), seconds=Sum("lead_time"), annotators=Count("annotator_id", distinct=True))
    hours = (effort["seconds"] or 0.0) / 3600
    labels_per_hour = effort["labels"] / hours if hours else 0.0
    due = due or (timezone.localdate(batch.due_at) if batch.due_at else None)
    headcount = None
    if due is not None:
        headcount = forecast.headcount_needed(
            remaining=projection.remaining,
            as_of=projection.as_of,
            due=due,
            per_annotator_hourly_rate=labels_per_hour,
            hours_per_day=hours_per_day,
            current_headcount=effort["annotators"],
            current_daily_rate=projection.daily_rate or 0.0,
        )
    error = None
    try:
        scenario = forecast.what_if(
            projection,
            add_annotators=add_annotators,
            per_annotator_hourly_rate=labels_per_hour,
            hours_per_day=hours_per_day,
            due=due,
        )
    except ValueError:
        error = "No measured productivity on this batch yet: adding annotators cannot be priced in."
        scenario = forecast.what_if(projection, due=due)
    return BatchWhatIf(
        batch=batch,
        projection=projection,
        due=due,
        misses_due=None if due is None else forecast.misses_due(projection, due),
        headcount=headcount,
        what_if=scenario,
        labels_per_hour=labels_per_hour,
        current_headcount=effort["annotators"],
        hours_per_day=hours_per_day,
        error=error,
    )


def project_dashboard(
    *, project: LabelingProject, today: dt.date | None = None, now: dt.datetime | None = None
) -> Dashboard:
    """Everything the PM dashboard shows for one project; reads only, a fixed number of queries."""
    now = now or timezone.now()
    today = today or timezone.localdate(now)
    refresh_stale_tallies(project_id=project.pk)
    flags_as_of, flags = anomaly_board(project=project, now=now)
    dashboard = Dashboard(
        project=project,
        progress=project_progress(project=project, today=today),
        quality=vendor_quality(project=project),
        statuses=sla_board(project=project),
        flags=flags,
        flags_as_of=flags_as_of,
        open_batches=open_batches(project=project),
        overlap=overlap_savings(project=project),
    )
    try:
        dashboard.costs = vendor_costs(project=project)
    except MixedCurrencies as error:
        dashboard.cost_error = str(error)
    return dashboard
