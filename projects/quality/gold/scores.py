"""Gold use cases: each annotator's accuracy on gold tasks with Wilson intervals, how many of each vendor's
annotators have seen each gold item, and retiring over-exposed gold per vendor. The comparison of an answer with
gold is the pure `comparison` module; mixing gold into batches is `gold_mixing`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Hashable
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Count, F
from django.db.models.functions import Coalesce

from projects.audit import Actor, records_actor
from projects.models import Annotation, Batch, GoldRetirement, LabelingProject, Task
from projects.quality.controls import PASS_KINDS, project_controls
from projects.quality.loading import annotator_names, gold_answers, with_answers
from projects.quality.stats.comparison import Comparison, compare
from projects.quality.stats.intervals import wilson_interval

ALL_CONTROLS = "all"


@dataclass(frozen=True)
class GoldScore:
    annotator: int
    username: str
    vendor: str
    control: str  # a control name, or "all": every control's judgements pooled
    label_type: str
    seen: int
    correct: int
    accuracy: float | None
    low: float | None  # Wilson 95% interval of the accuracy
    high: float | None
    mean_score: float | None  # partial credit (Jaccard, F1, rating distance) averaged


def score_gold(*, project: LabelingProject, batch: Batch | None = None) -> list[GoldScore]:
    """Each annotator's gold accuracy per control and overall, with Wilson 95% intervals; reads only.

    Over the project's gold tasks, or one batch's. An annotator's latest live annotation of a gold task
    counts; free-text controls are not scored. Rows are ordered by vendor, annotator, then control ("all" first).
    """
    controls = {name: control for name, control in project_controls(project).items() if control.kind in PASS_KINDS}
    tasks = Task.objects.filter(project=project) if batch is None else Task.objects.filter(batch=batch)
    gold = gold_answers(tasks, controls)
    annotations = Annotation.objects.filter(
        task__project=project, task__is_gold=True, is_deleted=False, was_cancelled=False, annotator__isnull=False
    )
    if batch is not None:
        annotations = annotations.filter(task__batch=batch)
    latest: dict[tuple[int, int], dict[str, Hashable]] = {}
    for (annotator, task), answers in with_answers(annotations.order_by("id"), ("annotator_id", "task_id"), controls):
        latest[(annotator, task)] = answers
    # (annotator, control) → [seen, correct, score sum]
    tallies: dict[tuple[int, str], list[float]] = defaultdict(lambda: [0, 0, 0.0])
    compared: dict[tuple[str, Hashable, Hashable], Comparison] = {}  # few distinct answers, many annotations
    for (annotator, task), answers in latest.items():
        for name, expected in gold.get(task, {}).items():
            given = answers.get(name)
            comparison = compared.get((name, expected, given))
            if comparison is None:
                control = controls[name]
                comparison = compare(control.kind, expected, given, max_rating=control.max_rating)
                compared[(name, expected, given)] = comparison
            for key in ((annotator, name), (annotator, ALL_CONTROLS)):
                tallies[key][0] += 1
                tallies[key][1] += comparison.passed
                tallies[key][2] += comparison.score
    names = annotator_names(annotator for annotator, _ in tallies)
    scores = []
    for (annotator, name), (seen, correct, score_sum) in tallies.items():
        interval = wilson_interval(int(correct), int(seen))
        who = names[annotator]
        scores.append(
            GoldScore(
                annotator=annotator,
                username=who.username,
                vendor=who.vendor_name,
                control=name,
                label_type=controls[name].kind.value if name in controls else ALL_CONTROLS,
                seen=int(seen),
                correct=int(correct),
                accuracy=correct / seen if seen else None,
                low=interval[0] if interval else None,
                high=interval[1] if interval else None,
                mean_score=score_sum / seen if seen else None,
            )
        )
    order = {name: index for index, name in enumerate([ALL_CONTROLS, *controls])}
    return sorted(scores, key=lambda score: (score.vendor, score.username, order[score.control]))


@dataclass(frozen=True)
class GoldExposure:
    task: int
    external_id: str
    vendor: int
    vendor_name: str
    annotators: int  # distinct annotators of the vendor who have seen the task
    retired: bool
    over_exposed: bool


def gold_exposure(*, project: LabelingProject) -> list[GoldExposure]:
    """How many annotators of each vendor have seen each gold item (skipped or deleted labels count); reads only.

    A gold item is a gold task; the copies of it mixed into batches (Task.gold_source) count toward it.
    """
    limit = project.gold_max_exposures_per_vendor
    retired = set(GoldRetirement.objects.filter(task__project=project).values_list("task_id", "vendor_id"))
    rows = (
        Annotation.objects.filter(task__project=project, task__is_gold=True, annotator__isnull=False)
        .values(
            item=Coalesce("task__gold_source_id", "task_id"),
            vendor=F("annotator__vendor_id"),
            vendor_name=F("annotator__vendor__name"),
        )
        .annotate(annotators=Count("annotator", distinct=True))
        .order_by("item", "vendor")
    )
    rows = list(rows)
    external_ids = dict(Task.objects.filter(pk__in={row["item"] for row in rows}).values_list("pk", "external_id"))
    return [
        GoldExposure(
            task=row["item"],
            external_id=external_ids[row["item"]],
            vendor=row["vendor"],
            vendor_name=row["vendor_name"],
            annotators=row["annotators"],
            retired=(row["item"], row["vendor"]) in retired,
            over_exposed=row["annotators"] >= limit,
        )
        for row in rows
    ]


@records_actor
def retire_overexposed_gold(*, project: LabelingProject, actor: Actor) -> list[GoldExposure]:
    """Retire, per vendor, each gold task seen by the project's maximum of that vendor's annotators.

    Idempotent: a task already retired for a vendor is left as it is. Returns what was retired now.
    """
    retired_now = []
    with transaction.atomic():
        for exposure in gold_exposure(project=project):
            if exposure.over_exposed and not exposure.retired:
                _, created = GoldRetirement.objects.get_or_create(
                    task_id=exposure.task, vendor_id=exposure.vendor, defaults={"exposures": exposure.annotators}
                )
                if created:
                    retired_now.append(exposure)
    return retired_now


def retired_gold_task_ids(*, project: LabelingProject, vendor_id: int) -> set[int]:
    """Gold tasks no longer to be shown to this vendor."""
    return set(
        GoldRetirement.objects.filter(task__project=project, vendor_id=vendor_id).values_list("task_id", flat=True)
    )
