"""Reads for the QA review pages: one sampled annotation or one disputed item as a reviewer sees it.

The pages show labels the way the label config titles them ("Refund 退款", not "refund"), so this
module reads the config's display attributes (Choice values, Header titles, Paragraphs keys) that
the structural parser in projects.labeling does not keep. Writes stay in projects.quality.review.verdicts.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING

from defusedxml import ElementTree
from django.db.models import Q, QuerySet

from projects.access.scoping import can_see_gold, visible
from projects.labeling.label_config import CONTROL_TAGS, OBJECT_TAGS, answer_to_result, cached_label_config
from projects.models import Annotation, Batch, BatchDecision, ItemConsensus, QASample, QASampleItem, Review
from projects.quality.controls import Control, project_controls
from projects.quality.review.queries import (
    ReviewProgress,
    adjudication_queue,
    batch_decisions,
    latest_sample,
    review_progress,
)
from projects.quality.review.verdicts import ReviewRefused
from projects.quality.stats import anomalies, sampling
from projects.quality.stats.comparison import LabelType, control_answer

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser

    from projects.models import LabelingProject, Task

REASONS: dict[str, str] = {
    sampling.FIRST_TASKS: "among the annotator's first tasks in the project",
    sampling.ANNOTATOR_MINIMUM: "per-annotator minimum",
    sampling.BASE_RATE: "random draw at the base rate",
    sampling.LOW_GOLD_ACCURACY: "the annotator's gold accuracy is low",
    sampling.LOW_AGREEMENT: "the annotator often disagrees with the consensus",
    sampling.FASTER_THAN_OWN_NORM: "much faster than the annotator's own pace",
    sampling.FASTER_THAN_PEERS: "much faster than other annotators",
    sampling.FLAGGED[anomalies.FAST]: "the annotator is flagged: too fast",
    sampling.FLAGGED[anomalies.STRAIGHT_LINING]: "the annotator is flagged: straight-lining",
    sampling.FLAGGED[anomalies.GOLD_FAILURE_STREAK]: "the annotator is flagged: gold failures in a row",
    sampling.FLAGGED[anomalies.AGREEMENT_DRIFT]: "the annotator is flagged: agreement drifting down",
}
# Label types a reviewer can correct or an adjudicator can choose on these pages; spans keep the annotator's.
EDITABLE = (LabelType.SINGLE_CHOICE, LabelType.MULTIPLE_CHOICE, LabelType.RATING, LabelType.FREE_TEXT)


# -- the label config as the pages show it -------------------------------------------------------------


@dataclass(frozen=True)
class ObjectDisplay:
    name: str
    tag: str
    data_key: str | None
    name_key: str
    text_key: str


@dataclass(frozen=True)
class ConfigDisplay:
    objects: tuple[ObjectDisplay, ...]
    control_titles: dict[str, str]  # control name → the Header above it, else its name
    option_titles: dict[str, dict[str, str]]  # control name → option (alias or value) → its shown value


@lru_cache(maxsize=32)
def config_display(label_config: str) -> ConfigDisplay:
    config = cached_label_config(label_config)
    objects, control_titles, option_titles = [], {}, {}
    header = None
    for element in ElementTree.fromstring(label_config).iter():
        name = element.get("name")
        if element.tag == "Header":
            header = element.get("value") or (element.text or "").strip() or None
        elif element.tag in OBJECT_TAGS and name in config.objects:
            objects.append(
                ObjectDisplay(
                    name=name,
                    tag=element.tag,
                    data_key=config.objects[name].data_key,
                    name_key=element.get("nameKey", "author"),
                    text_key=element.get("textKey", "text"),
                )
            )
        elif element.tag in CONTROL_TAGS and name in config.controls:
            control_titles[name] = header or name
            header = None
            option_titles[name] = {
                option.get("alias") or option.get("value"): option.get("value") or option.get("alias")
                for option in element
                if option.tag in ("Choice", "Label")
            }
    return ConfigDisplay(tuple(objects), control_titles, option_titles)


# -- labels --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ShownLabel:
    control: str
    title: str
    values: tuple[str, ...]  # as shown; empty when the result gives no answer for the control


def _shown_values(control: Control, answer: Hashable | None, titles: dict[str, str]) -> tuple[str, ...]:
    if answer is None:
        return ()
    if control.kind is LabelType.SINGLE_CHOICE:
        return (titles.get(answer, str(answer)),)
    if control.kind is LabelType.MULTIPLE_CHOICE:
        return tuple(titles.get(choice, choice) for choice in sorted(answer))
    if control.kind is LabelType.RATING:
        return (f"{answer} / {control.max_rating}",)
    if control.kind is LabelType.SPANS:
        return tuple(f"{titles.get(label, label)} ({start}–{end})" for start, end, label in sorted(answer))
    return tuple(answer)


def shown_labels(project: LabelingProject, result: list[dict] | None) -> list[ShownLabel]:
    """Every compared control of the project with the answer `result` gives for it, in config order."""
    display = config_display(project.label_config)
    return [
        ShownLabel(
            control=name,
            title=display.control_titles.get(name, name),
            values=_shown_values(
                control, control_answer(result, name, control.kind), display.option_titles.get(name, {})
            ),
        )
        for name, control in project_controls(project).items()
    ]


# -- the conversation ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Turn:
    author: str
    text: str
    opens: bool = True  # said by whoever opened the conversation (the buyer, usually): shown on the left


@dataclass(frozen=True)
class ShownObject:
    name: str
    text: str | None = None
    turns: tuple[Turn, ...] = ()


def shown_task(task: Task) -> list[ShownObject]:
    """The task's data for each object tag, as annotators saw it (redacted data, never the original)."""
    shown = []
    for tag in config_display(task.project.label_config).objects:
        value = task.data.get(tag.data_key) if tag.data_key else None
        if isinstance(value, list):
            said = [
                (str(turn.get(tag.name_key, "")), str(turn.get(tag.text_key, "")))
                if isinstance(turn, dict)
                else ("", str(turn))
                for turn in value
            ]
            opener = said[0][0] if said else ""
            turns = tuple(Turn(author, text, author == opener) for author, text in said)
            shown.append(ShownObject(tag.name, turns=turns))
        elif value is not None:
            shown.append(ShownObject(tag.name, text=str(value)))
    return shown


# -- forms: what a reviewer can choose per control ---------------------------------------------------


@dataclass(frozen=True)
class ControlChoice:
    name: str
    title: str
    kind: str
    options: tuple[tuple[str, str], ...]  # (value, shown value); ratings 1..max
    current: tuple[str, ...] = ()  # values pre-selected (the annotator's answer)
    votes: dict[str, int] = field(default_factory=dict)  # adjudication: value → annotators who chose it


def control_choices(project: LabelingProject, result: list[dict] | None = None) -> list[ControlChoice]:
    display = config_display(project.label_config)
    choices = []
    for name, control in project_controls(project).items():
        if control.kind not in EDITABLE:
            continue
        titles = display.option_titles.get(name, {})
        if control.kind is LabelType.RATING:
            options = tuple((str(value), str(value)) for value in range(1, control.max_rating + 1))
        else:
            options = tuple((option, titles.get(option, option)) for option in control.options)
        answer = control_answer(result, name, control.kind)
        if answer is None:
            current: tuple[str, ...] = ()
        elif control.kind is LabelType.MULTIPLE_CHOICE or control.kind is LabelType.FREE_TEXT:
            current = tuple(str(value) for value in answer)
        else:
            current = (str(answer),)
        choices.append(
            ControlChoice(name, display.control_titles.get(name, name), control.kind.value, options, current)
        )
    return choices


def form_answer(control: Control, values: list[str]) -> object | None:
    """A control's answer from a form's values; None when none was given. Raises ValueError on a bad rating."""
    values = [value.strip() for value in values if value.strip()]
    if not values:
        return None
    if control.kind is LabelType.SINGLE_CHOICE:
        return values[0]
    if control.kind is LabelType.RATING:
        return int(values[0])
    if control.kind is LabelType.FREE_TEXT:
        return values[0]
    return values


def corrected_result(*, annotation: Annotation, values: dict[str, list[str]]) -> list[dict]:
    """The annotation's result with the reviewer's answers (control name → form values) in place of its own.

    Controls the form does not edit (text spans) keep the annotator's regions. Refused when nothing changes:
    a correction that equals the label is an accept.
    """
    project = annotation.task.project
    controls = {name: control for name, control in project_controls(project).items() if control.kind in EDITABLE}
    answers = {}
    for name, control in controls.items():
        try:
            answer = form_answer(control, values.get(name, []))
        except ValueError as error:
            raise ReviewRefused(f"{name}: a rating is a whole number.") from error
        if answer is not None:
            answers[name] = answer
    if not answers:
        raise ReviewRefused("Choose the right label for at least one control to correct the annotation.")
    kept = [region for region in annotation.result if region.get("from_name") not in controls]
    result = kept + answer_to_result(cached_label_config(project.label_config), answers)
    if all(
        control_answer(result, name, control.kind) == control_answer(annotation.result, name, control.kind)
        for name, control in controls.items()
    ):
        raise ReviewRefused("The corrected label is the same as the annotator's: accept it instead.")
    return result


# -- the review queue ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class BatchForReview:
    batch: Batch
    sample: QASample | None
    progress: ReviewProgress | None
    awaiting_adjudication: int
    decision: BatchDecision | None


def batches_for_review(user: AbstractBaseUser) -> list[BatchForReview]:
    """Batches with a QA sample or items awaiting adjudication, newest first, with review progress."""
    batches = visible(
        user,
        Batch.objects.filter(Q(qa_samples__isnull=False) | Q(tasks__consensus__needs_adjudication=True))
        .distinct()
        .select_related("project", "vendor")
        .order_by("-created_at", "-id"),
    )
    rows = []
    for batch in batches:
        sample = latest_sample(batch=batch)
        rows.append(
            BatchForReview(
                batch=batch,
                sample=sample,
                progress=review_progress(sample=sample) if sample else None,
                awaiting_adjudication=adjudication_queue(batch=batch).count(),
                decision=batch_decisions(batch=batch).first(),
            )
        )
    return rows


def sample_order(sample: QASample) -> list[int]:
    """The sample's item ids in queue order (riskiest first), for moving to the next or previous item."""
    return list(sample.items.order_by("-weight", "id").values_list("id", flat=True))


def consensus_items(batch: Batch) -> QuerySet[ItemConsensus]:
    """Every consensus row of the batch, settled or not: an adjudicator may revise a settled one."""
    return ItemConsensus.objects.filter(task__batch=batch).select_related("task__project")


def sample_items(batch: Batch) -> QuerySet[QASampleItem]:
    return QASampleItem.objects.filter(sample__batch=batch).select_related(
        "sample__batch__project",
        "annotation__task__project",
        "annotation__annotator__user",
        "annotation__annotator__vendor",
    )


@dataclass(frozen=True)
class Prediction:
    model_version: str
    score: float | None
    labels: list[ShownLabel]


@dataclass(frozen=True)
class OtherAnnotation:
    annotator: str
    vendor: str
    was_cancelled: bool
    labels: list[ShownLabel]


@dataclass(frozen=True)
class ReviewItem:
    item: QASampleItem
    conversation: list[ShownObject]
    labels: list[ShownLabel]
    predictions: list[Prediction]
    gold: list[ShownLabel] | None  # None: not a gold task (or the viewer may not see gold)
    others: list[OtherAnnotation]
    reasons: list[str]
    controls: list[ControlChoice]  # the correction form, pre-filled with the annotator's answers
    latest_review: Review | None


def _predictions(task: Task) -> list[Prediction]:
    shown = []
    for prediction in task.predictions or []:
        if isinstance(prediction, dict):
            shown.append(
                Prediction(
                    model_version=str(prediction.get("model_version") or "model"),
                    score=prediction.get("score"),
                    labels=shown_labels(task.project, prediction.get("result")),
                )
            )
    return shown


def _others(user: AbstractBaseUser, task: Task, exclude: int | None = None) -> list[OtherAnnotation]:
    annotations = visible(
        user,
        Annotation.objects.filter(task=task, is_deleted=False)
        .select_related("annotator__user", "annotator__vendor")
        .order_by("id"),
    )
    return [
        OtherAnnotation(
            annotator=annotation.annotator.user.get_username() if annotation.annotator else "unknown",
            vendor=annotation.annotator.vendor.name if annotation.annotator else "",
            was_cancelled=annotation.was_cancelled,
            labels=shown_labels(task.project, annotation.result),
        )
        for annotation in annotations
        if annotation.pk != exclude
    ]


def review_item(*, item: QASampleItem, user: AbstractBaseUser) -> ReviewItem:
    """One sampled annotation with everything a reviewer weighs: task, labels, model, gold, the other labels."""
    annotation = item.annotation
    task = annotation.task
    project = task.project
    return ReviewItem(
        item=item,
        conversation=shown_task(task),
        labels=shown_labels(project, annotation.result),
        predictions=_predictions(task),
        gold=shown_labels(project, task.gold_answer) if task.is_gold and can_see_gold(user) else None,
        others=_others(user, task, exclude=annotation.pk),
        reasons=[REASONS.get(reason, reason.replace("_", " ")) for reason in item.reasons],
        controls=control_choices(project, annotation.result),
        latest_review=annotation.reviews.select_related("reviewer", "error_category")
        .order_by("-created_at", "-id")
        .first(),
    )


# -- adjudication --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AdjudicationItem:
    consensus: ItemConsensus
    title: str
    conversation: list[ShownObject]
    annotations: list[OtherAnnotation]
    choice: ControlChoice  # the control's options with each one's votes
    predictions: list[Prediction]


def adjudication_item(*, consensus: ItemConsensus, user: AbstractBaseUser) -> AdjudicationItem:
    """One task and control the annotators did not agree on, with every annotator's label and the votes."""
    task = consensus.task
    project = task.project
    control = project_controls(project)[consensus.control_name]
    choice = next(choice for choice in control_choices(project) if choice.name == control.name)
    votes: dict[str, int] = {}
    annotations = visible(user, Annotation.objects.filter(task=task, is_deleted=False, was_cancelled=False))
    for result in annotations.values_list("result", flat=True):
        answer = control_answer(result, control.name, control.kind)
        for value in answer if isinstance(answer, frozenset) else () if answer is None else (answer,):
            votes[str(value)] = votes.get(str(value), 0) + 1
    display = config_display(project.label_config)
    return AdjudicationItem(
        consensus=consensus,
        title=display.control_titles.get(control.name, control.name),
        conversation=shown_task(task),
        annotations=_others(user, task),
        choice=ControlChoice(choice.name, choice.title, choice.kind, choice.options, (), votes),
        predictions=_predictions(task),
    )


def adjudication_label(consensus: ItemConsensus, values: list[str]) -> object | None:
    """The label an adjudicator chose, from the form's values, typed for the control; None when none was chosen."""
    control = project_controls(consensus.task.project).get(consensus.control_name)
    if control is None:
        return None
    try:
        return form_answer(control, values)
    except ValueError:
        return values[0]


def adjudication_order(batch: Batch) -> list[int]:
    return list(adjudication_queue(batch=batch).values_list("id", flat=True))


# -- the batch decision --------------------------------------------------------------------------------


@dataclass(frozen=True)
class ShownDecision:
    decision: BatchDecision
    error_rate: str  # percentages as the page prints them
    upper_bound: str
    aql: str


def shown_decision(decision: BatchDecision | None) -> ShownDecision | None:
    if decision is None:
        return None
    return ShownDecision(
        decision=decision,
        error_rate=f"{decision.error_rate:.1%}",
        upper_bound=f"{decision.upper_bound:.1%}",
        aql=f"{float(decision.aql):.1%}",
    )
