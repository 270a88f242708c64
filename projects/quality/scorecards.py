"""Annotator scorecards: gold accuracy with its interval, speed against peers, quality by week."""

from __future__ import annotations

import statistics
from collections import defaultdict
from dataclasses import asdict, dataclass, field

from django.db.models import QuerySet

from projects.models import Annotation, Annotator, Review
from projects.quality.stats.gold import gold_agrees
from projects.quality.stats.intervals import wilson_interval


@dataclass(frozen=True)
class WeekFigures:
    week: str  # ISO week, e.g. 2026-W47
    annotations: int
    gold_seen: int
    gold_correct: int
    gold_accuracy: float | None


@dataclass(frozen=True)
class Scorecard:
    annotator: int
    username: str
    vendor: str
    annotations: int
    gold_seen: int
    gold_correct: int
    gold_accuracy: float | None
    gold_accuracy_low: float | None
    gold_accuracy_high: float | None
    median_lead_time: float | None
    peer_median_lead_time: float | None
    # Share of QA-reviewed annotations accepted as they were; None means "no reviews yet", not zero.
    qa_acceptance: float | None = None
    qa_reviewed: int = 0
    weeks: list[WeekFigures] = field(default_factory=list)

    def as_dict(self) -> dict:
        return asdict(self)


_FIELDS = (
    "annotator_id",
    "annotator__vendor_id",
    "lead_time",
    "created_at",
    "task__is_gold",
    "task__gold_answer",
    "result",
)


def _share(correct: int, seen: int) -> float | None:
    return correct / seen if seen else None


def scorecards(annotators: QuerySet[Annotator]) -> list[Scorecard]:
    """One scorecard per annotator in the queryset; peers are the other annotators of the same vendor."""
    annotators = list(annotators.select_related("user", "vendor"))
    vendor_ids = {annotator.vendor_id for annotator in annotators}
    rows = (
        Annotation.objects.filter(annotator__vendor__in=vendor_ids, is_deleted=False, was_cancelled=False)
        .values_list(*_FIELDS)
        .order_by()
    )
    lead_times: dict[int, list[float]] = defaultdict(list)
    vendor_lead_times: dict[int, list[tuple[int, float]]] = defaultdict(list)
    counts: dict[int, int] = defaultdict(int)
    gold: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    weekly: dict[int, dict[str, list[int]]] = defaultdict(lambda: defaultdict(lambda: [0, 0, 0]))
    for annotator_id, vendor_id, lead_time, created_at, is_gold, gold_answer, result in rows.iterator():
        counts[annotator_id] += 1
        year, week, _ = created_at.isocalendar()
        bucket = weekly[annotator_id][f"{year}-W{week:02d}"]
        bucket[0] += 1
        if lead_time is not None:
            lead_times[annotator_id].append(lead_time)
            vendor_lead_times[vendor_id].append((annotator_id, lead_time))
        if is_gold and gold_answer:
            correct = gold_agrees(gold_answer, result)
            gold[annotator_id][0] += 1
            gold[annotator_id][1] += int(correct)
            bucket[1] += 1
            bucket[2] += int(correct)
    reviewed, accepted = _qa_verdicts(annotators)
    cards = []
    for annotator in annotators:
        seen, correct = gold[annotator.pk]
        interval = wilson_interval(correct, seen)
        peers = [time for who, time in vendor_lead_times[annotator.vendor_id] if who != annotator.pk]
        cards.append(
            Scorecard(
                annotator=annotator.pk,
                username=annotator.user.get_username(),
                vendor=annotator.vendor.name,
                annotations=counts[annotator.pk],
                gold_seen=seen,
                gold_correct=correct,
                gold_accuracy=_share(correct, seen),
                gold_accuracy_low=interval[0] if interval else None,
                gold_accuracy_high=interval[1] if interval else None,
                median_lead_time=statistics.median(lead_times[annotator.pk]) if lead_times[annotator.pk] else None,
                peer_median_lead_time=statistics.median(peers) if peers else None,
                qa_acceptance=_share(accepted[annotator.pk], reviewed[annotator.pk]),
                qa_reviewed=reviewed[annotator.pk],
                weeks=[
                    WeekFigures(week, values[0], values[1], values[2], _share(values[2], values[1]))
                    for week, values in sorted(weekly[annotator.pk].items())
                ],
            )
        )
    return cards


def _qa_verdicts(annotators: list[Annotator]) -> tuple[dict[int, int], dict[int, int]]:
    """Per annotator: annotations with a QA verdict, and those accepted (the latest verdict counts)."""
    latest: dict[int, tuple[int, str]] = {}
    rows = (
        Review.objects.filter(annotation__annotator__in=annotators)
        .order_by("annotation_id", "created_at", "pk")
        .values_list("annotation_id", "annotation__annotator_id", "verdict")
    )
    for annotation_id, annotator_id, verdict in rows.iterator():
        latest[annotation_id] = (annotator_id, verdict)
    reviewed: dict[int, int] = defaultdict(int)
    accepted: dict[int, int] = defaultdict(int)
    for annotator_id, verdict in latest.values():
        reviewed[annotator_id] += 1
        accepted[annotator_id] += verdict == Review.Verdict.ACCEPT
    return reviewed, accepted
