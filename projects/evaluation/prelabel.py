"""Pre-label acceptance: how often annotators kept the model's pre-annotation, and what QA said about it.

Tasks pushed with predictions show the model's label to the annotator, who keeps it or changes it.
Per model version, control and predicted class this counts:
- seen: predictions an annotator answered;
- kept: the annotator's label equals the predicted one;
- kept and accepted: of the kept ones QA reviewed, the share QA accepted;
- changed and accepted: of the changed ones QA reviewed, the share QA accepted (the change was right);
- machine label quality: of the reviewed ones whose final label is known, the share where the
  predicted label equals it.

The final label is the annotator's on "accept" and the reviewer's corrected label on "correct".
On "reject" of a kept label the model's label is the one rejected, so it counts as wrong; on
"reject" of a changed label the right label is unknown and the row is left out of that share.
Only the latest verdict per annotation counts; the selector passes that one.

`prelabel_acceptance` is pure; `prelabel_rows` reads a project's rows in two queries.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from projects.labeling.label_config import cached_label_config
from projects.models import Annotation, LabelingProject, Review
from projects.quality.stats.comparison import LabelType, control_answer
from projects.quality.stats.intervals import wilson_interval

ACCEPT = "accept"
REJECT = "reject"
CORRECT = "correct"


@dataclass(frozen=True)
class PrelabelRow:
    """One annotator's answer on one control of a task pre-annotated by one model version."""

    model_version: str
    control: str
    predicted: str
    annotator_label: str
    verdict: str | None  # the latest QA verdict on the annotation; None when not reviewed
    corrected_label: str | None = None  # the reviewer's label on a "correct" verdict


@dataclass(frozen=True)
class Share:
    successes: int
    trials: int
    value: float | None  # None when there are no trials
    low: float | None  # 95% Wilson interval
    high: float | None


@dataclass(frozen=True)
class PrelabelClass:
    predicted: str | None  # None on a control's total line
    seen: int
    kept: Share
    kept_accepted: Share
    changed_accepted: Share
    machine_quality: Share

    @property
    def shares(self) -> tuple[Share, Share, Share, Share]:
        """The four shares in the order the table shows them."""
        return self.kept, self.kept_accepted, self.changed_accepted, self.machine_quality


@dataclass(frozen=True)
class PrelabelControl:
    model_version: str
    control: str
    total: PrelabelClass
    classes: list[PrelabelClass]  # one per predicted class, by name


def share(successes: int, trials: int) -> Share:
    interval = wilson_interval(successes, trials)
    if interval is None:
        return Share(successes, trials, None, None, None)
    return Share(successes, trials, successes / trials, *interval)


def _final_label(row: PrelabelRow) -> str | None:
    if row.verdict == ACCEPT:
        return row.annotator_label
    if row.verdict == CORRECT:
        return row.corrected_label
    return None


def _summarise(predicted: str | None, rows: list[PrelabelRow]) -> PrelabelClass:
    kept = [row for row in rows if row.annotator_label == row.predicted]
    changed = [row for row in rows if row.annotator_label != row.predicted]
    kept_reviewed = [row for row in kept if row.verdict is not None]
    changed_reviewed = [row for row in changed if row.verdict is not None]
    machine_right = machine_judged = 0
    for row in rows:
        final = _final_label(row)
        if final is not None:
            machine_judged += 1
            machine_right += final == row.predicted
        elif row.verdict == REJECT and row.annotator_label == row.predicted:
            machine_judged += 1
    return PrelabelClass(
        predicted=predicted,
        seen=len(rows),
        kept=share(len(kept), len(rows)),
        kept_accepted=share(sum(row.verdict == ACCEPT for row in kept_reviewed), len(kept_reviewed)),
        changed_accepted=share(sum(row.verdict == ACCEPT for row in changed_reviewed), len(changed_reviewed)),
        machine_quality=share(machine_right, machine_judged),
    )


def prelabel_acceptance(rows: Iterable[PrelabelRow]) -> list[PrelabelControl]:
    """Acceptance figures per model version and control (sorted), each with a total and a line per predicted class."""
    grouped: dict[tuple[str, str], dict[str, list[PrelabelRow]]] = {}
    for row in rows:
        grouped.setdefault((row.model_version, row.control), {}).setdefault(row.predicted, []).append(row)
    return [
        PrelabelControl(
            model_version=model_version,
            control=control,
            total=_summarise(None, [row for class_rows in by_class.values() for row in class_rows]),
            classes=[_summarise(predicted, by_class[predicted]) for predicted in sorted(by_class)],
        )
        for (model_version, control), by_class in sorted(grouped.items())
    ]


def prelabel_rows(project: LabelingProject) -> list[PrelabelRow]:
    """Rows for the project's single-choice controls, from live, answered annotations of pre-annotated tasks.

    Two queries whatever the size: annotations with their task's predictions, then the reviews.
    """
    controls = [
        name for name, control in cached_label_config(project.label_config).controls.items() if control.single_choice
    ]
    annotations = list(
        Annotation.objects.filter(task__project=project, is_deleted=False, was_cancelled=False)
        .exclude(task__predictions=[])
        .order_by("pk")
        .values_list("pk", "result", "task__predictions")
    )
    # Ordered oldest first, so the last one seen per annotation is its latest verdict.
    latest_review: dict[int, tuple[str, list | None]] = {
        annotation_id: (verdict, corrected_result)
        for annotation_id, verdict, corrected_result in Review.objects.filter(annotation__task__project=project)
        .order_by("created_at", "id")
        .values_list("annotation_id", "verdict", "corrected_result")
    }
    rows = []
    for annotation_id, result, predictions in annotations:
        verdict, corrected_result = latest_review.get(annotation_id, (None, None))
        for prediction in predictions or []:
            for control in controls:
                predicted = control_answer(prediction.get("result"), control, LabelType.SINGLE_CHOICE)
                annotator_label = control_answer(result, control, LabelType.SINGLE_CHOICE)
                if predicted is None or annotator_label is None:
                    continue
                rows.append(
                    PrelabelRow(
                        model_version=str(prediction.get("model_version") or ""),
                        control=control,
                        predicted=predicted,
                        annotator_label=annotator_label,
                        verdict=verdict,
                        corrected_label=control_answer(corrected_result, control, LabelType.SINGLE_CHOICE)
                        if verdict == CORRECT
                        else None,
                    )
                )
    return rows
