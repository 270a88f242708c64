"""What a batch measures against its SLA: remaining work, forecast, turnaround, throughput and quality.

`measure_batch` loads a batch's figures in a few `values_list` queries and hands them to the pure forecast
(forecast.py) and interval maths; it reads only. `BatchFigures` is the result, with `as_json` for the form stored on
the SLA status and event and shown in e-mails. The monitor (monitor.py) and the project dashboard read it.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import Min
from django.utils import timezone

from projects.models import Annotation, Batch, LabelStudioProject, Review, Rework
from projects.quality.controls import project_controls
from projects.quality.stats.agreement import bootstrap_interval, krippendorff_alpha, latest_ratings
from projects.quality.stats.comparison import LabelType, control_answer
from projects.quality.stats.gold import gold_agrees
from projects.quality.stats.intervals import wilson_interval
from projects.sla import forecast, states

# Bootstrap resamples of the agreement interval: the monitor runs every few minutes, the quality pages use more.
AGREEMENT_RESAMPLES = 200


@dataclass(frozen=True)
class BatchFigures:
    """What the monitor measured for one batch: the state machine's figures and the counts behind them."""

    figures: states.SlaFigures
    labels_needed: int
    labels_counted: int  # toward the target: live, not sent back to rework, at most the overlap per task
    pushed_at: datetime
    window_days: int
    counts: dict[str, int] = field(default_factory=dict)  # sample sizes: gold seen, QA reviewed, agreement items

    def as_json(self) -> dict:
        """The figures as stored on the SLA status and event, and shown in e-mails."""
        figures = self.figures
        projection = figures.forecast
        return {
            "remaining": figures.remaining,
            "labels_needed": self.labels_needed,
            "labels_counted": self.labels_counted,
            "pushed_at": self.pushed_at.isoformat(),
            "due": figures.due.isoformat() if figures.due else None,
            "window_days": self.window_days,
            "turnaround_hours": rounded(figures.turnaround_hours),
            "daily_throughput": _figure_json(figures.daily_throughput),
            "gold_accuracy": _figure_json(figures.gold_accuracy, self.counts.get("gold_seen")),
            "qa_acceptance": _figure_json(figures.qa_acceptance, self.counts.get("qa_reviewed")),
            "agreement": _figure_json(figures.agreement, self.counts.get("agreement_items")),
            "forecast": None
            if projection is None
            else {
                "status": projection.status,
                "as_of": projection.as_of.isoformat(),
                "daily_rate": rounded(projection.daily_rate),
                "completion_date": _iso(projection.completion_date),
                "optimistic_date": _iso(projection.optimistic_date),
                "pessimistic_date": _iso(projection.pessimistic_date),
            },
        }


def rounded(value: float | None) -> float | None:
    """A figure as stored and shown: four decimals, None kept."""
    return None if value is None else round(value, 4)


def _iso(day: dt.date | None) -> str | None:
    return day.isoformat() if day else None


def _figure_json(figure: states.Figure | None, sample: int | None = None) -> dict | None:
    if figure is None:
        return None
    values = {"value": rounded(figure.value), "low": rounded(figure.low), "high": rounded(figure.high)}
    return values if sample is None else {**values, "n": sample}


def _proportion(successes: int, trials: int) -> states.Figure | None:
    interval = wilson_interval(successes, trials)
    if interval is None:
        return None
    value = successes / trials
    return states.Figure(value, min(interval[0], value), max(interval[1], value))


def _pushed_at(batch: Batch) -> datetime:
    # The batch's first Label Studio project marks its push; a batch marked pushed without one counts from creation.
    first = LabelStudioProject.objects.filter(batch=batch, kind=LabelStudioProject.Kind.LABELING).aggregate(
        first=Min("created_at")
    )["first"]
    return first or batch.created_at


def _accepted_label_times(batch: Batch, overlap: int) -> list[datetime]:
    """When each label that counts toward the batch's target came in, oldest first.

    A label counts while it is live and was not sent back to rework (the label made in rework counts in its place),
    and only a task's first `overlap` such labels count.
    """
    rows = (
        Annotation.objects.filter(task__batch=batch, is_deleted=False, was_cancelled=False, annotator__isnull=False)
        .exclude(pk__in=Rework.objects.filter(annotation__task__batch=batch).values("annotation_id"))
        .order_by("created_at", "id")
        .values_list("task_id", "created_at")
    )
    per_task: Counter[int] = Counter()
    times = []
    for task, created_at in rows.iterator(chunk_size=5000):
        if per_task[task] < overlap:
            per_task[task] += 1
            times.append(created_at)
    return times


def _agreement(batch: Batch, since: datetime) -> tuple[states.Figure | None, int]:
    """The lowest Krippendorff's alpha over the single-choice controls, on the vendor's labels in the window."""
    controls = [
        control for control in project_controls(batch.project).values() if control.kind is LabelType.SINGLE_CHOICE
    ]
    if not controls:
        return None, 0
    rows = list(
        Annotation.objects.filter(
            task__batch=batch,
            annotator__vendor_id=batch.vendor_id,
            is_deleted=False,
            was_cancelled=False,
            created_at__gte=since,
        )
        .order_by("id")
        .values_list("task_id", "annotator_id", "result")
    )
    lowest: tuple[states.Figure, int] | None = None
    for control in controls:
        by_item = latest_ratings(
            (task, annotator, control_answer(result, control.name, control.kind)) for task, annotator, result in rows
        )
        items = [list(labels.values()) for labels in by_item.values()]
        alpha = krippendorff_alpha(items)
        if alpha.value is None:
            continue
        interval = bootstrap_interval(
            [item for item in items if len(item) > 1],
            lambda sample: krippendorff_alpha(sample).value,
            resamples=AGREEMENT_RESAMPLES,
        )
        low = alpha.value if interval.low is None else min(interval.low, alpha.value)
        high = alpha.value if interval.high is None else max(interval.high, alpha.value)
        figure = states.Figure(alpha.value, low, high)
        if lowest is None or figure.value < lowest[0].value:
            lowest = (figure, alpha.items)
    return lowest if lowest is not None else (None, 0)


def measure_batch(*, batch: Batch, now: datetime, window_days: int = 7, with_agreement: bool = True) -> BatchFigures:
    """The batch's SLA figures at `now`: remaining work, forecast, turnaround, throughput and quality; reads only.

    Throughput counts whole days (the last `window_days` before today, or fewer if the batch is younger), so the
    figures move once a day, not with every label. Quality is the vendor's, over labels made in the window (QA
    acceptance: verdicts given in it), each with its interval (Wilson; bootstrap for agreement, the one costly
    figure: left out with `with_agreement=False`, as the monitor does when the policy sets no agreement floor).
    """
    project = batch.project
    overlap = max(1, project.overlap)
    tasks = batch.target_count or batch.tasks.count()
    needed = tasks * overlap
    pushed_at = _pushed_at(batch)
    accepted_times = _accepted_label_times(batch, overlap)
    accepted = len(accepted_times)
    remaining = 0 if batch.status == Batch.Status.ACCEPTED else max(0, needed - accepted)

    # Whole days only, from the first whole day the vendor had the work through yesterday: the day of the push is
    # a part day (pushed at 15:00, its labels would read as a slow day), unless the push came at midnight.
    as_of = timezone.localdate(now) - dt.timedelta(days=1)
    pushed_local = timezone.localtime(pushed_at)
    first_day = pushed_local.date() + dt.timedelta(days=0 if pushed_local.time() == dt.time(0) else 1)
    daily = Counter(timezone.localdate(moment) for moment in accepted_times)
    series = [daily[first_day + dt.timedelta(days=offset)] for offset in range((as_of - first_day).days + 1)]
    accepted_by_as_of = sum(count for day, count in daily.items() if day <= as_of)
    projection = forecast.forecast_completion(series, remaining=max(0, needed - accepted_by_as_of), as_of=as_of)

    window = series[-window_days:]
    throughput = states.Figure(sum(window) / len(window)) if window and remaining else None
    if remaining:
        turnaround = (now - pushed_at).total_seconds() / 3600
    elif accepted_times:
        turnaround = (accepted_times[-1] - pushed_at).total_seconds() / 3600
    else:
        turnaround = None

    since = now - dt.timedelta(days=window_days)
    gold_seen, gold_correct = _gold_tally(batch, since)
    qa_reviewed, qa_accepted = _qa_tally(batch, since)
    agreement, agreement_items = _agreement(batch, since) if with_agreement else (None, 0)
    due = timezone.localtime(batch.due_at) if batch.due_at else None
    figures = states.SlaFigures(
        remaining=remaining,
        due=due,
        forecast=projection,
        turnaround_hours=turnaround,
        daily_throughput=throughput,
        gold_accuracy=_proportion(gold_correct, gold_seen),
        qa_acceptance=_proportion(qa_accepted, qa_reviewed),
        agreement=agreement,
    )
    return BatchFigures(
        figures=figures,
        labels_needed=needed,
        labels_counted=accepted,
        pushed_at=pushed_at,
        window_days=window_days,
        counts={"gold_seen": gold_seen, "qa_reviewed": qa_reviewed, "agreement_items": agreement_items},
    )


def _gold_tally(batch: Batch, since: datetime) -> tuple[int, int]:
    """(seen, correct) of the vendor's live labels on the batch's gold tasks made since `since`."""
    rows = Annotation.objects.filter(
        task__batch=batch,
        task__is_gold=True,
        annotator__vendor_id=batch.vendor_id,
        is_deleted=False,
        was_cancelled=False,
        created_at__gte=since,
    ).values_list("task__gold_answer", "result")
    seen = correct = 0
    for gold_answer, result in rows.iterator(chunk_size=5000):
        seen += 1
        correct += gold_agrees(gold_answer, result)
    return seen, correct


def _qa_tally(batch: Batch, since: datetime) -> tuple[int, int]:
    """(reviewed, accepted) of the vendor's labels in the batch given a verdict since `since`; the latest counts."""
    latest: dict[int, str] = {}
    rows = (
        Review.objects.filter(
            annotation__task__batch=batch, annotation__annotator__vendor_id=batch.vendor_id, created_at__gte=since
        )
        .order_by("created_at", "id")
        .values_list("annotation_id", "verdict")
    )
    for annotation, verdict in rows.iterator():
        latest[annotation] = verdict
    return len(latest), sum(verdict == Review.Verdict.ACCEPT for verdict in latest.values())
