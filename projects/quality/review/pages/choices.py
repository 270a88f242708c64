"""What a reviewer can choose per control on the review pages, and the label a correction form makes."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.utils.translation import gettext

from projects.labeling.label_config import answer_to_result, cached_label_config
from projects.quality.controls import Control, project_controls
from projects.quality.review.pages.display import config_display
from projects.quality.review.verdicts import ReviewRefused
from projects.quality.stats.comparison import LabelType, control_answer

if TYPE_CHECKING:
    from projects.models import Annotation, LabelingProject

# Label types a reviewer can correct or an adjudicator can choose on these pages; spans keep the annotator's.
EDITABLE = (LabelType.SINGLE_CHOICE, LabelType.MULTIPLE_CHOICE, LabelType.RATING, LabelType.FREE_TEXT)


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
        raise ReviewRefused(gettext("Choose the right label for at least one control to correct the annotation."))
    kept = [region for region in annotation.result if region.get("from_name") not in controls]
    result = kept + answer_to_result(cached_label_config(project.label_config), answers)
    if all(
        control_answer(result, name, control.kind) == control_answer(annotation.result, name, control.kind)
        for name, control in controls.items()
    ):
        raise ReviewRefused(gettext("The corrected label is the same as the annotator's: accept it instead."))
    return result
