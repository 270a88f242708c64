"""The adjudication page as an adjudicator sees it: one item the annotators did not agree on (or one already
settled, to revise), its options each with a key and the votes, and the item's adjudications so far."""

from __future__ import annotations

import string
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db.models import QuerySet

from projects.access.scoping import visible
from projects.models import Adjudication, Annotation, Batch, ItemConsensus
from projects.quality.controls import project_controls
from projects.quality.review.pages.choices import control_choices, form_answer
from projects.quality.review.pages.display import (
    OtherAnnotation,
    Prediction,
    ShownObject,
    config_display,
    other_annotations,
    shown_predictions,
    shown_task,
)
from projects.quality.review.queries import adjudication_history, adjudication_queue
from projects.quality.stats.comparison import control_answer

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser

# Keys the adjudication page keeps for itself (next, previous item); options never take them.
PAGE_KEYS = frozenset("jk")
OPTION_KEYS = tuple("1234567890") + tuple(letter for letter in string.ascii_lowercase if letter not in PAGE_KEYS)
# From this many options on, the page offers a filter (`/`): keys alone get hard to scan.
FILTER_FROM = 10


def option_keys(count: int) -> list[str]:
    """The key of each of `count` options in order: 1–9, 0, then the letters the page does not use; "" past them."""
    return [OPTION_KEYS[index] if index < len(OPTION_KEYS) else "" for index in range(count)]


@dataclass(frozen=True)
class KeyedOption:
    value: str
    title: str
    key: str  # the key that picks it; "" when there are more options than keys (the filter reaches them)
    votes: int  # annotators who chose it


@dataclass(frozen=True)
class ShownAdjudication:
    adjudication: Adjudication
    title: str  # its label as the config shows it


@dataclass(frozen=True)
class AdjudicationItem:
    consensus: ItemConsensus
    title: str
    kind: str
    conversation: list[ShownObject]
    annotations: list[OtherAnnotation]
    options: list[KeyedOption]
    predictions: list[Prediction]
    history: list[ShownAdjudication]  # newest first; the first is the current final label
    filterable: bool

    @property
    def current(self) -> ShownAdjudication | None:
        return self.history[0] if self.history else None

    @property
    def current_values(self) -> list[str]:
        """The current final label's option values, to mark them among the options."""
        if self.current is None:
            return []
        label = self.current.adjudication.label
        return [str(value) for value in (label if isinstance(label, list) else [label])]


def _title_of(options: list[KeyedOption], label: object) -> str:
    titles = {option.value: option.title for option in options}
    values = label if isinstance(label, list) else [label]
    return ", ".join(titles.get(str(value), str(value)) for value in values)


def adjudication_item(*, consensus: ItemConsensus, user: AbstractBaseUser) -> AdjudicationItem:
    """One task and control to settle (or revise), with every annotator's label, the votes and the item's history."""
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
    keys = option_keys(len(choice.options))
    options = [
        KeyedOption(value, title, key, votes.get(value, 0))
        for (value, title), key in zip(choice.options, keys, strict=True)
    ]
    return AdjudicationItem(
        consensus=consensus,
        title=config_display(project.label_config).control_titles.get(control.name, control.name),
        kind=choice.kind,
        conversation=shown_task(task),
        annotations=other_annotations(user, task),
        options=options,
        predictions=shown_predictions(task),
        history=[
            ShownAdjudication(adjudication, _title_of(options, adjudication.label))
            for adjudication in adjudication_history(task=task, control_name=control.name)
        ],
        filterable=len(choice.options) >= FILTER_FROM,
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


def consensus_items(batch: Batch) -> QuerySet[ItemConsensus]:
    """Every consensus row of the batch, settled or not: an adjudicator may revise a settled one."""
    return ItemConsensus.objects.filter(task__batch=batch).select_related("task__project")


def adjudication_order(batch: Batch) -> list[int]:
    return list(adjudication_queue(batch=batch).values_list("id", flat=True))


@dataclass(frozen=True)
class SettledItem:
    consensus: ItemConsensus
    title: str  # the final label as the config shows it


def adjudicated_items(batch: Batch, limit: int = 50) -> list[SettledItem]:
    """The batch's items settled by an adjudicator, most recently settled first: the ones a person may revise."""
    items = (
        consensus_items(batch).filter(method=ItemConsensus.Method.ADJUDICATION).order_by("-computed_at", "-id")[:limit]
    )
    settled = []
    for consensus in items:
        titles = config_display(consensus.task.project.label_config).option_titles.get(consensus.control_name, {})
        values = consensus.label if isinstance(consensus.label, list) else [consensus.label]
        settled.append(SettledItem(consensus, ", ".join(titles.get(str(value), str(value)) for value in values)))
    return settled
