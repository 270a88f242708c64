"""The weekly project report: one HTML page (SVG charts inline) and CSV tables per ISO week, optionally e-mailed."""

from __future__ import annotations

import csv
import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core.mail import EmailMessage
from django.db.models import Count
from django.template.loader import render_to_string
from django.utils import timezone

from projects.errors import InputRefused
from projects.models import LabelingProject, Review, SlaEvent, SlaState, SlaStatus
from projects.reporting.charts import bar_chart, progress_charts
from projects.reporting.costs import CostFigures, MixedCurrencies, vendor_costs
from projects.reporting.dashboard import (
    Progress,
    VendorQuality,
    annotated_tasks_by_day,
    labels_by_day,
    labels_by_vendor,
    project_progress,
    sla_board,
    vendor_quality,
    within_days,
)
from projects.reporting.tallies import refresh_stale_tallies

WEEK = re.compile(r"^(\d{4})-W(\d{2})$")
RISK_STATES = (SlaState.ESCALATED, SlaState.BREACHED, SlaState.AT_RISK)


class ReportRefused(InputRefused):
    """The report cannot be made as asked (a malformed week, say)."""


@dataclass
class WeeklyReport:
    project: LabelingProject
    week: str
    start: dt.date
    end: dt.date  # the Sunday, included
    days: list[dt.date]
    annotated_per_day: list[int]
    labels_per_day: list[int]
    deliveries: list[tuple[str, int]]  # labels per vendor
    progress: Progress  # the project up to the week's end
    quality: list[VendorQuality]
    events: list[SlaEvent]
    error_categories: list[tuple[str, int]]
    costs: list[CostFigures]
    cost_error: str | None
    risks: list[SlaStatus]

    @property
    def annotated(self) -> int:
        return sum(self.annotated_per_day)

    @property
    def labels(self) -> int:
        return sum(self.labels_per_day)

    @property
    def daily_rows(self) -> list[tuple[dt.date, int, int]]:
        return list(zip(self.days, self.annotated_per_day, self.labels_per_day, strict=True))

    @property
    def file_stem(self) -> str:
        return f"{self.project.slug}-{self.week}"


def week_days(week: str) -> tuple[dt.date, dt.date]:
    """Monday and Sunday of an ISO week written 2026-W47."""
    match = WEEK.match(week)
    if not match:
        raise ReportRefused(f"Week {week!r} is not an ISO week like 2026-W47.")
    try:
        monday = dt.date.fromisocalendar(int(match[1]), int(match[2]), 1)
    except ValueError as error:
        raise ReportRefused(f"Week {week!r} does not exist: {error}.") from error
    return monday, monday + dt.timedelta(days=6)


def weekly_report(*, project: LabelingProject, week: str) -> WeeklyReport:
    """Gather one project's figures for one ISO week; reads only, a fixed number of queries."""
    start, end = week_days(week)
    refresh_stale_tallies(project_id=project.pk)
    days = [start + dt.timedelta(days=offset) for offset in range(7)]
    annotated = annotated_tasks_by_day(project=project, start=start, end=end)
    labels = labels_by_day(project=project, start=start, end=end)
    errors = (
        Review.objects.filter(
            within_days(start, end, "created_at"), annotation__task__project=project, error_category__isnull=False
        )
        .values("error_category__name")
        .annotate(reviews=Count("id"))
        .order_by("-reviews", "error_category__name")[:10]
    )
    events = (
        SlaEvent.objects.filter(within_days(start, end, "created_at"), batch__project=project)
        .select_related("batch", "vendor")
        .order_by("created_at", "id")
    )
    cost_error = None
    try:
        costs = vendor_costs(project=project, start=start, end=end)
    except MixedCurrencies as error:
        costs, cost_error = [], str(error)
    return WeeklyReport(
        project=project,
        week=week,
        start=start,
        end=end,
        days=days,
        annotated_per_day=[annotated.get(day, 0) for day in days],
        labels_per_day=[labels.get(day, 0) for day in days],
        deliveries=labels_by_vendor(project=project, start=start, end=end),
        # As of the week's end, or of today for the week still running: no line drawn into days to come.
        progress=project_progress(project=project, today=min(end, timezone.localdate())),
        quality=vendor_quality(project=project, start=start, end=end),
        events=list(events),
        error_categories=[(row["error_category__name"], row["reviews"]) for row in errors],
        costs=costs,
        cost_error=cost_error,
        risks=[status for status in sla_board(project=project) if status.state in RISK_STATES],
    )


def render_report(report: WeeklyReport) -> str:
    """The report as one self-contained HTML page."""
    progress = report.progress
    progress_chart, _ = progress_charts(
        [f"{day:%m-%d}" for day in progress.days], progress.cumulative, progress.planned, progress.labels_per_day
    )
    week_chart = bar_chart(
        [f"{day:%a %m-%d}" for day in report.days],
        [float(count) for count in report.labels_per_day],
        title=f"Labels per day, {report.week}",
    )
    errors_chart = bar_chart(
        [name for name, _ in report.error_categories],
        [float(count) for _, count in report.error_categories],
        title="Top error categories",
        colour="#b94a48",
    )
    return render_to_string(
        "reports/weekly.html",
        {
            "report": report,
            "progress_chart": progress_chart,
            "week_chart": week_chart,
            "errors_chart": errors_chart,
            "generated_at": timezone.localtime(),
        },
    )


def _percent(share: float | None) -> str:
    return "" if share is None else f"{share:.3f}"


def _interval(interval: tuple[float, float] | None) -> tuple[str, str]:
    return ("", "") if interval is None else (f"{interval[0]:.3f}", f"{interval[1]:.3f}")


def _tables(report: WeeklyReport) -> dict[str, list[list[object]]]:
    """The report's CSV tables by name, each a header row and its rows."""
    return {
        "deliveries": [
            ["day", "annotated_tasks", "labels"],
            *[[day.isoformat(), tasks, labels] for day, tasks, labels in report.daily_rows],
        ],
        "vendor-deliveries": [["vendor", "labels"], *[[name, labels] for name, labels in report.deliveries]],
        "quality": _quality_table(report),
        "sla-events": _sla_events_table(report),
        "errors": [["error_category", "reviews"], *[[name, count] for name, count in report.error_categories]],
        "costs": _costs_table(report),
    }


def _quality_table(report: WeeklyReport) -> list[list[object]]:
    header = [
        "vendor", "gold_seen", "gold_correct", "gold_accuracy", "gold_low", "gold_high",
        "qa_reviewed", "qa_reviews_accepted", "qa_acceptance", "qa_low", "qa_high",
    ]  # fmt: skip
    return [
        header,
        *[
            [
                row.vendor_name,
                row.gold_seen,
                row.gold_correct,
                _percent(row.gold_accuracy),
                *_interval(row.gold_interval),
                row.qa_reviewed,
                row.qa_reviews_accepted,
                _percent(row.qa_acceptance),
                *_interval(row.qa_interval),
            ]
            for row in report.quality
        ],
    ]


def _sla_events_table(report: WeeklyReport) -> list[list[object]]:
    return [
        ["created_at", "batch", "vendor", "from_state", "to_state", "reasons"],
        *[
            [
                event.created_at.isoformat(),
                event.batch.name,
                event.vendor.name,
                event.from_state,
                event.to_state,
                "; ".join(str(reason.get("message", reason)) for reason in event.reasons),
            ]
            for event in report.events
        ],
    ]


def _costs_table(report: WeeklyReport) -> list[list[object]]:
    header = [
        "vendor", "currency", "labels", "kept_labels", "rework_labels", "unpriced_labels", "hours", "total_cost",
    ]  # fmt: skip
    return [
        header,
        *[
            [
                cost.vendor_name,
                cost.currency or "",
                cost.labels,
                cost.kept_labels,
                cost.rework_labels,
                cost.unpriced_labels,
                cost.hours,
                cost.total_cost,
            ]
            for cost in report.costs
        ],
    ]


def write_report(report: WeeklyReport, *, output: Path) -> list[Path]:
    """Write <slug>-<week>.html and one <slug>-<week>-<table>.csv per table into `output`; overwrites a rerun."""
    output.mkdir(parents=True, exist_ok=True)
    page = output / f"{report.file_stem}.html"
    page.write_text(render_report(report), encoding="utf-8")
    written = [page]
    for name, rows in _tables(report).items():
        path = output / f"{report.file_stem}-{name}.csv"
        with path.open("w", newline="", encoding="utf-8") as handle:
            csv.writer(handle).writerows(rows)
        written.append(path)
    return written


def email_report(report: WeeklyReport, *, page: Path, to: str) -> None:
    """Send the report's HTML page as an attachment, with the headline figures in the body."""
    body = (
        f"Weekly report of {report.project} for {report.week} ({report.start} to {report.end}).\n\n"
        f"Tasks annotated: {report.annotated}\nLabels made: {report.labels}\n"
        f"SLA events: {len(report.events)}\nBatches at risk or worse: {len(report.risks)}\n\n"
        "The full report, with charts, is attached."
    )
    message = EmailMessage(
        subject=f"[annotate] {report.project.slug} weekly report {report.week}",
        body=body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[to],
    )
    message.attach(page.name, page.read_text(encoding="utf-8"), "text/html")
    message.send()
