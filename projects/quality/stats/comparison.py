"""Comparing two answers on one control, per label type (pure): the scoring rule behind gold accuracy.

Label types and how two answers compare:
- single choice: exact match;
- multiple choice: Jaccard similarity of the chosen sets;
- text spans: exact-match span F1 (start, end and label all equal);
- rating: distance on the scale, scored 1 - distance / (scale width);
- free text: not compared (it is reviewed by a person, not scored).

Each comparison gives a score in [0, 1] and a pass/fail against the type's pass mark, so gold
accuracy (a share of passes) can carry a Wilson interval while the mean score keeps partial credit.
"""

from __future__ import annotations

from collections.abc import Collection, Hashable
from dataclasses import dataclass
from enum import StrEnum

from projects.labeling.label_config import ControlTag
from projects.quality.stats.agreement import Span, jaccard_similarity, text_spans


class LabelType(StrEnum):
    SINGLE_CHOICE = "single_choice"
    MULTIPLE_CHOICE = "multiple_choice"
    SPANS = "spans"
    RATING = "rating"
    FREE_TEXT = "free_text"


SPAN_TAGS = frozenset({"Labels", "ParagraphLabels", "HyperTextLabels"})
# Pass marks: the score an answer needs to count as right. Choices must match exactly; a multiple-choice
# answer may miss one tag in four; spans need F1 0.8; a rating may be one step off on a 1..5 scale.
PASS_MARKS: dict[LabelType, float] = {
    LabelType.SINGLE_CHOICE: 1.0,
    LabelType.MULTIPLE_CHOICE: 0.75,
    LabelType.SPANS: 0.8,
    LabelType.RATING: 0.75,
}
DEFAULT_MAX_RATING = 5


@dataclass(frozen=True)
class Comparison:
    score: float  # 1.0 identical, 0.0 nothing in common
    passed: bool


def label_type(control: ControlTag) -> LabelType | None:
    """The label type of a control tag; None for tags annotate does not score (regions on images, taxonomies...)."""
    if control.tag == "Choices":
        return LabelType.SINGLE_CHOICE if control.single_choice else LabelType.MULTIPLE_CHOICE
    if control.tag in SPAN_TAGS:
        return LabelType.SPANS
    if control.tag == "Rating":
        return LabelType.RATING
    if control.tag == "TextArea":
        return LabelType.FREE_TEXT
    return None


def control_answer(result: list[dict] | None, control_name: str, kind: LabelType) -> Hashable | None:
    """One control's answer in a Label Studio result list, as a hashable value; None when it gives none.

    single choice: the choice (str); multiple choice: a frozenset of choices; spans: a frozenset of
    (start, end, label); rating: the number; free text: a tuple of the texts.
    """
    if kind is LabelType.SPANS:
        spans = text_spans(result or [], control_name)
        return spans or None
    for region in result or []:
        if region.get("from_name") != control_name:
            continue
        value = region.get("value") or {}
        if kind is LabelType.SINGLE_CHOICE and value.get("choices"):
            return value["choices"][0]
        if kind is LabelType.MULTIPLE_CHOICE and "choices" in value:
            return frozenset(value["choices"])
        if kind is LabelType.RATING and value.get("rating") is not None:
            return value["rating"]
        if kind is LabelType.FREE_TEXT and value.get("text"):
            text = value["text"]
            return tuple(text) if isinstance(text, list) else (text,)
    return None


def exact_match(expected: Hashable, given: Hashable | None) -> float:
    return 1.0 if given is not None and given == expected else 0.0


def choice_jaccard(expected: Collection[str], given: Collection[str] | None) -> float:
    return jaccard_similarity(expected, given or ())


def span_f1_score(expected: Collection[Span], given: Collection[Span] | None) -> float:
    """Exact-match F1 of one answer's spans against the expected spans; both empty count as full agreement."""
    expected_set, given_set = set(expected), set(given or ())
    marked = len(expected_set) + len(given_set)
    return 2 * len(expected_set & given_set) / marked if marked else 1.0


def rating_score(expected: float, given: float | None, max_rating: int = DEFAULT_MAX_RATING) -> float:
    """1 - |expected - given| / (max_rating - 1): 1 for the same rating, 0 for opposite ends of the scale."""
    if given is None:
        return 0.0
    width = max(max_rating - 1, 1)
    return max(0.0, 1.0 - abs(float(expected) - float(given)) / width)


def compare(
    kind: LabelType, expected: Hashable, given: Hashable | None, *, max_rating: int = DEFAULT_MAX_RATING
) -> Comparison | None:
    """Score `given` against `expected` for a label type; None for free text, which is reviewed, not scored."""
    if kind is LabelType.SINGLE_CHOICE:
        score = exact_match(expected, given)
    elif kind is LabelType.MULTIPLE_CHOICE:
        score = choice_jaccard(expected, given)  # type: ignore[arg-type]
    elif kind is LabelType.SPANS:
        score = span_f1_score(expected, given)  # type: ignore[arg-type]
    elif kind is LabelType.RATING:
        score = rating_score(expected, given, max_rating)  # type: ignore[arg-type]
    else:
        return None
    return Comparison(score=score, passed=score >= PASS_MARKS[kind] - 1e-12)
