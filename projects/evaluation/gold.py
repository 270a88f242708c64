"""What a model is scored against: the control's options and the dataset version's gold labels of it.

`control_options` checks the control is a single-choice control of the version's project and lists its options;
`gold_items` reads the version's items that have a label for it, with the language, scenario and hallucination
labels the report slices by.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from defusedxml import ElementTree

from projects.datasets.queries import dataset_items
from projects.evaluation.errors import EvaluationRefused
from projects.labeling.label_config import cached_label_config
from projects.models import DatasetVersion

HALLUCINATION_CONTROL = "hallucination"
SLICE_CONTROL = "scenario"


@dataclass(frozen=True)
class GoldItem:
    external_id: str
    label: str
    language: str
    scenario: str | None
    hallucination: str | None
    data: dict[str, Any]


def control_options(version: DatasetVersion, control: str) -> dict[str, str]:
    """The control's options, alias → display value; EvaluationRefused unless it is a single-choice control."""
    config = cached_label_config(version.project.label_config)
    tag = config.controls.get(control)
    if tag is None or not tag.single_choice:
        single = sorted(name for name, candidate in config.controls.items() if candidate.single_choice)
        raise EvaluationRefused(
            f"{control!r} is not a single-choice control of {version.project.slug} "
            f"(single-choice controls: {', '.join(single) or 'none'})."
        )
    options = {}
    for element in ElementTree.fromstring(config.xml).iter("Choices"):
        if element.get("name") == control:
            for choice in element.iter("Choice"):
                value = choice.get("value") or ""
                options[choice.get("alias") or value] = value
    return options


def gold_items(version: DatasetVersion, control: str) -> dict[str, GoldItem]:
    """The version's items with a label for the control, by external_id."""
    items = {}
    for external_id, language, label, data in dataset_items(version).values_list(
        "external_id", "language", "label", "data"
    ):
        if label.get(control) is None:
            continue
        items[external_id] = GoldItem(
            external_id=external_id,
            label=label[control],
            language=language,
            scenario=label.get(SLICE_CONTROL),
            hallucination=label.get(HALLUCINATION_CONTROL),
            data=data,
        )
    return items
