"""Label Studio label configs: structural validation and result checks.

Label Studio 1.23 accepts a config whose control tags point at nothing and
predictions that name unknown labels, so annotate checks both itself before a
config is saved or a task is imported. Result values are checked by the SDK's
LabelInterface; the structure (names, toName references, $variables) and the
single-choice cardinality the SDK does not check are checked here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING
from xml.etree.ElementTree import Element, ParseError

from defusedxml import ElementTree

from projects.errors import InputRefused

if TYPE_CHECKING:
    from label_studio_sdk.label_interface import LabelInterface

OBJECT_TAGS = frozenset(
    {
        "Text", "HyperText", "Paragraphs", "Image", "Audio", "AudioPlus", "Video", "Table",
        "TimeSeries", "List", "Pdf", "Markdown", "Chat", "Ranker",
    }
)  # fmt: skip
CONTROL_TAGS = frozenset(
    {
        "Choices", "Labels", "Rating", "TextArea", "Taxonomy", "Number", "DateTime",
        "RectangleLabels", "PolygonLabels", "KeyPointLabels", "BrushLabels", "EllipseLabels",
        "HyperTextLabels", "ParagraphLabels", "TimeSeriesLabels", "Rectangle", "Polygon",
        "KeyPoint", "Brush", "Ellipse", "Pairwise", "Relations", "VideoRectangle",
    }
)  # fmt: skip
OPTION_TAGS = {"Choices": "Choice", "Labels": "Label", "ParagraphLabels": "Label", "HyperTextLabels": "Label"}
VARIABLE_PATTERN = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)")


class LabelConfigError(InputRefused, ValueError):
    """The label config cannot be used; the message names the tag at fault."""


@dataclass(frozen=True)
class ObjectTag:
    tag: str
    name: str
    data_key: str | None


@dataclass(frozen=True)
class ControlTag:
    tag: str
    name: str
    to_names: tuple[str, ...]
    options: tuple[str, ...] = ()
    single_choice: bool = False

    @property
    def result_type(self) -> str:
        return self.tag.lower()


@dataclass(frozen=True)
class LabelConfig:
    xml: str
    objects: dict[str, ObjectTag] = field(default_factory=dict)
    controls: dict[str, ControlTag] = field(default_factory=dict)

    @property
    def data_keys(self) -> tuple[str, ...]:
        """Keys every task's data must carry: the $variables of the object tags."""
        keys = {tag.data_key for tag in self.objects.values() if tag.data_key}
        return tuple(sorted(keys))

    def data_key_tags(self) -> dict[str, str]:
        return {tag.data_key: tag.tag for tag in self.objects.values() if tag.data_key}


def _describe(element: Element) -> str:
    name = element.get("name")
    return f'<{element.tag} name="{name}">' if name else f"<{element.tag}>"


def parse_label_config(xml: str) -> LabelConfig:
    """Parse and check a label config; raise LabelConfigError naming the offending tag."""
    root = _parse_root(xml)
    objects, control_elements = _object_tags_and_control_elements(root)
    controls = {element.get("name", ""): _control_tag(element, objects) for element in control_elements}
    return LabelConfig(xml=xml, objects=objects, controls=controls)


def _parse_root(xml: str) -> Element:
    if not xml or not xml.strip():
        raise LabelConfigError("The label config is empty.")
    try:
        root = ElementTree.fromstring(xml)
    except ParseError as error:
        line, column = error.position
        raise LabelConfigError(f"The label config is not valid XML (line {line}, column {column}): {error}") from None
    if root.tag != "View":
        raise LabelConfigError(f"The label config must start with <View>, not <{root.tag}>.")
    return root


def _object_tags_and_control_elements(root: Element) -> tuple[dict[str, ObjectTag], list[Element]]:
    """The object tags by name, and the control elements in document order; every tag named once."""
    objects: dict[str, ObjectTag] = {}
    control_elements: list[Element] = []
    seen_names: set[str] = set()
    for element in root.iter():
        if element.tag not in OBJECT_TAGS and element.tag not in CONTROL_TAGS:
            continue
        name = element.get("name")
        if not name:
            raise LabelConfigError(f"{_describe(element)} has no name attribute.")
        if name in seen_names:
            raise LabelConfigError(f'{_describe(element)}: the name "{name}" is used by two tags.')
        seen_names.add(name)
        if element.tag in OBJECT_TAGS:
            value = element.get("value", "")
            match = VARIABLE_PATTERN.search(value)
            if element.tag != "Ranker" and not value:
                raise LabelConfigError(f'{_describe(element)} has no value attribute (e.g. value="$text").')
            objects[name] = ObjectTag(tag=element.tag, name=name, data_key=match.group(1) if match else None)
        else:
            control_elements.append(element)
    if not objects:
        raise LabelConfigError("The label config has no object tag (Text, Paragraphs, Image, ...) to label.")
    if not control_elements:
        raise LabelConfigError("The label config has no control tag (Choices, Labels, Rating, TextArea, ...).")
    return objects, control_elements


def _control_tag(element: Element, objects: dict[str, ObjectTag]) -> ControlTag:
    to_name = element.get("toName", "")
    if not to_name:
        raise LabelConfigError(f"{_describe(element)} has no toName attribute.")
    to_names = tuple(part.strip() for part in to_name.split(",") if part.strip())
    for target in to_names:
        if target not in objects:
            known = ", ".join(sorted(objects))
            raise LabelConfigError(
                f'{_describe(element)}: toName "{target}" names no object tag (object tags: {known}).'
            )
    return ControlTag(
        tag=element.tag,
        name=element.get("name", ""),
        to_names=to_names,
        options=_options(element),
        single_choice=element.tag == "Choices" and element.get("choice", "single") != "multiple",
    )


def _options(element: Element) -> tuple[str, ...]:
    """A Choices/Labels/... control's option values (alias first), each once."""
    option_tag = OPTION_TAGS.get(element.tag)
    if not option_tag:
        return ()
    option_elements = list(element.iter(option_tag))
    if not option_elements and element.get("value") is None:
        raise LabelConfigError(f"{_describe(element)} has no <{option_tag}> inside.")
    values = []
    for option in option_elements:
        value = option.get("alias") or option.get("value")
        if not value:
            raise LabelConfigError(f"{_describe(element)}: a <{option_tag}> has no value.")
        values.append(value)
    duplicates = sorted({value for value in values if values.count(value) > 1})
    if duplicates:
        raise LabelConfigError(f"{_describe(element)}: {option_tag} {duplicates[0]!r} appears twice.")
    return tuple(values)


@lru_cache(maxsize=32)
def _label_interface(xml: str) -> LabelInterface:
    # The SDK's label interface imports nltk and pandas; only result validation needs it.
    from label_studio_sdk.label_interface import LabelInterface

    return LabelInterface(xml)


@lru_cache(maxsize=32)
def cached_label_config(xml: str) -> LabelConfig:
    return parse_label_config(xml)


def result_errors(config: LabelConfig, result: object) -> list[str]:
    """Problems with a Label Studio result list against the config; empty when valid."""
    if not isinstance(result, list):
        return ["expected a list of results"]
    errors: list[str] = []
    for index, region in enumerate(result):
        if not isinstance(region, dict):
            errors.append(f"result {index}: expected an object")
            continue
        control = config.controls.get(region.get("from_name", ""))
        if control is None:
            known = ", ".join(sorted(config.controls))
            errors.append(f"result {index}: from_name {region.get('from_name')!r} is not a control (controls: {known})")
            continue
        value = region.get("value")
        if control.single_choice and isinstance(value, dict) and len(value.get("choices") or []) > 1:
            errors.append(f"result {index}: {control.name} takes a single choice, got {value['choices']}")
    if errors:
        return errors
    return _label_interface(config.xml).validate_prediction({"result": result}, return_errors=True) or []


def answer_to_result(config: LabelConfig, answer: object) -> list[dict]:
    """Turn a gold answer into a Label Studio result list.

    Accepts a result list as is, or the short form a PM writes in a sheet:
    {"scenario": "refund", "tags": ["a", "b"], "quality": 4, "note": "text"}.
    """
    if isinstance(answer, list):
        return answer
    if not isinstance(answer, dict):
        raise ValueError('expected an object such as {"scenario": "refund"} or a Label Studio result list')
    result = []
    for control_name, value in answer.items():
        control = config.controls.get(control_name)
        if control is None:
            known = ", ".join(sorted(config.controls))
            raise ValueError(f"{control_name!r} is not a control of the label config (controls: {known})")
        to_name = control.to_names[0]
        if control.tag == "Choices":
            choices = value if isinstance(value, list) else [value]
            region_value: dict = {"choices": choices}
        elif control.tag == "Rating":
            region_value = {"rating": value}
        elif control.tag == "TextArea":
            region_value = {"text": value if isinstance(value, list) else [value]}
        elif control.tag == "Number":
            region_value = {"number": value}
        elif control.tag == "Taxonomy":
            region_value = {"taxonomy": value}
        else:
            raise ValueError(f"{control_name!r} ({control.tag}) needs a full Label Studio result, not a short value")
        result.append(
            {"from_name": control_name, "to_name": to_name, "type": control.result_type, "value": region_value}
        )
    return result
