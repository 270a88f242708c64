"""Per-label-type comparison against gold: exact match, Jaccard, span F1, rating distance; free text is not scored."""

from __future__ import annotations

import pytest
from sklearn.metrics import jaccard_score

from projects.labeling.label_config import parse_label_config
from projects.quality.stats.comparison import (
    LabelType,
    choice_jaccard,
    compare,
    control_answer,
    label_type,
    rating_score,
    span_f1_score,
)

CONFIG = parse_label_config(
    """<View>
  <Text name="message" value="$message"/>
  <Choices name="scenario" toName="message" choice="single"><Choice value="refund"/><Choice value="return"/></Choices>
  <Choices name="tags" toName="message" choice="multiple">
    <Choice value="a"/><Choice value="b"/><Choice value="c"/>
  </Choices>
  <Labels name="entities" toName="message"><Label value="order"/><Label value="phone"/></Labels>
  <Rating name="quality" toName="message" maxRating="5"/>
  <TextArea name="note" toName="message"/>
  <Taxonomy name="topic" toName="message"/>
</View>"""
)


def region(name: str, value: dict) -> dict:
    return {"from_name": name, "to_name": "message", "type": "x", "value": value}


@pytest.mark.parametrize(
    ("control", "expected"),
    [
        ("scenario", LabelType.SINGLE_CHOICE),
        ("tags", LabelType.MULTIPLE_CHOICE),
        ("entities", LabelType.SPANS),
        ("quality", LabelType.RATING),
        ("note", LabelType.FREE_TEXT),
        ("topic", None),
    ],
)
def test_each_control_tag_has_its_label_type(control, expected):
    assert label_type(CONFIG.controls[control]) is expected


def test_answers_are_read_from_a_label_studio_result_per_control():
    result = [
        region("scenario", {"choices": ["refund"]}),
        region("tags", {"choices": ["b", "a"]}),
        region("entities", {"start": 0, "end": 5, "labels": ["order"]}),
        region("entities", {"start": 9, "end": 20, "labels": ["phone"]}),
        region("quality", {"rating": 4}),
        region("note", {"text": ["rude reply"]}),
    ]

    assert control_answer(result, "scenario", LabelType.SINGLE_CHOICE) == "refund"
    assert control_answer(result, "tags", LabelType.MULTIPLE_CHOICE) == frozenset({"a", "b"})
    assert control_answer(result, "entities", LabelType.SPANS) == frozenset({(0, 5, "order"), (9, 20, "phone")})
    assert control_answer(result, "quality", LabelType.RATING) == 4
    assert control_answer(result, "note", LabelType.FREE_TEXT) == ("rude reply",)
    assert control_answer([], "scenario", LabelType.SINGLE_CHOICE) is None
    assert control_answer(result, "missing", LabelType.RATING) is None


def test_single_choice_is_exact_match():
    assert compare(LabelType.SINGLE_CHOICE, "refund", "refund").passed
    assert compare(LabelType.SINGLE_CHOICE, "refund", "return").score == 0.0
    assert not compare(LabelType.SINGLE_CHOICE, "refund", None).passed


@pytest.mark.parametrize(
    ("expected", "given"),
    [({"a", "b"}, {"a"}), ({"a", "b", "c"}, {"a", "b", "c"}), ({"a"}, {"b", "c"}), ({"a", "b"}, {"b", "c"})],
)
def test_multiple_choice_score_is_jaccard_as_scikit_learn_computes_it(expected, given):
    options = ["a", "b", "c"]
    reference = jaccard_score([option in expected for option in options], [option in given for option in options])

    assert choice_jaccard(frozenset(expected), frozenset(given)) == pytest.approx(reference)


def test_multiple_choice_passes_when_at_most_one_tag_in_four_differs():
    assert compare(LabelType.MULTIPLE_CHOICE, frozenset("abcd"), frozenset("abc")).passed
    assert not compare(LabelType.MULTIPLE_CHOICE, frozenset("ab"), frozenset("a")).passed
    assert compare(LabelType.MULTIPLE_CHOICE, frozenset(), frozenset()).score == 1.0


def test_span_f1_needs_start_end_and_label_equal():
    gold = frozenset({(0, 5, "order"), (9, 20, "phone")})

    assert span_f1_score(gold, gold) == 1.0
    assert span_f1_score(gold, {(0, 5, "order")}) == pytest.approx(2 / 3)
    assert span_f1_score(gold, {(0, 6, "order"), (9, 20, "order")}) == 0.0
    assert span_f1_score(gold, None) == 0.0
    assert span_f1_score(frozenset(), frozenset()) == 1.0
    assert not compare(LabelType.SPANS, gold, {(0, 5, "order")}).passed


def test_rating_score_falls_with_distance_on_the_scale():
    assert rating_score(4, 4) == 1.0
    assert rating_score(4, 3) == pytest.approx(0.75)
    assert rating_score(1, 5) == 0.0
    assert rating_score(2, 3, max_rating=10) == pytest.approx(1 - 1 / 9)
    assert rating_score(3, None) == 0.0
    assert compare(LabelType.RATING, 4, 5).passed
    assert not compare(LabelType.RATING, 4, 2).passed


def test_free_text_is_not_scored():
    assert compare(LabelType.FREE_TEXT, ("a",), ("a",)) is None
