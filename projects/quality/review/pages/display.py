"""How the review pages show a task and its labels: the way the label config titles them ("Refund 退款",
not "refund"), the conversation as annotators saw it, the model's pre-annotations and the other labels.

This module reads the config's display attributes (Choice values, Header titles, Paragraphs keys) that
the structural parser in projects.labeling does not keep.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

from defusedxml import ElementTree

from projects.access.scoping import visible
from projects.labeling.label_config import CONTROL_TAGS, OBJECT_TAGS, cached_label_config
from projects.models import Annotation
from projects.quality.controls import Control, project_controls
from projects.quality.stats.comparison import LabelType, control_answer

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser

    from projects.models import LabelingProject, Task


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


# -- the other labels of a task ----------------------------------------------------------------------


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


def shown_predictions(task: Task) -> list[Prediction]:
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


def other_annotations(user: AbstractBaseUser, task: Task, exclude: int | None = None) -> list[OtherAnnotation]:
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
