"""Properties every agreement statistic keeps on any ratings: perfect agreement is 1, names and order mean nothing.

Multi-annotator data is an items × annotators matrix with None where an annotator did not rate the
item, so overlap is ragged: items rated by everyone, by some, by one or by no one, and items on
which every rating gives the same label.
"""

from __future__ import annotations

import math
import os
import random
from collections.abc import Hashable, Sequence

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from projects.quality.stats.agreement import (
    NO_OVERLAP,
    NO_SPANS,
    ONE_LABEL,
    Agreement,
    Span,
    cohen_kappa,
    fleiss_kappa,
    jaccard_agreement,
    krippendorff_alpha,
    labels_by_item,
    percent_agreement,
    span_f1,
)

# Seeded by default so the suite is repeatable; AGREEMENT_PROPERTY_RANDOM=1 hunts with new seeds.
PROPERTY = settings(max_examples=200, deadline=None, derandomize=not os.environ.get("AGREEMENT_PROPERTY_RANDOM"))

SCENARIOS = ("refund", "exchange", "repair", "complaint")
# Targets of a renaming: other types, names that print alike (0 and "0"), and the scenarios themselves.
RENAMED = (0, "0", -7, ("refund", 1), frozenset({"late"}), b"repair", "退款", "complaint", "refund", "exchange")

Matrix = list[list[Hashable | None]]  # items × annotators; None: that annotator did not rate the item

MULTI_RATER_STATISTICS = {
    "percent_agreement": percent_agreement,
    "fleiss_kappa": fleiss_kappa,
    "krippendorff_alpha": krippendorff_alpha,
}
CHANCE_CORRECTED = {"fleiss_kappa": fleiss_kappa, "krippendorff_alpha": krippendorff_alpha}

# Items rated by three, two, one and no annotators, two of them one-class.
RAGGED_EXAMPLE: Matrix = [
    ["refund", "refund", None],
    ["refund", "repair", "repair"],
    [None, "exchange", None],
    [None, None, None],
    ["repair", None, "repair"],
]


# -- strategies --------------------------------------------------------------------------------------


@st.composite
def rating_matrices(draw: st.DrawFn, *, perfect: bool = False) -> Matrix:
    """Ragged ratings over a palette of one to four labels; `perfect`: every item's ratings agree."""
    annotators = draw(st.integers(2, 5))
    palette = draw(st.lists(st.sampled_from(SCENARIOS), min_size=1, max_size=len(SCENARIOS), unique=True))
    matrix = []
    for _ in range(draw(st.integers(1, 10))):
        rated = draw(st.lists(st.booleans(), min_size=annotators, max_size=annotators))
        if perfect or draw(st.booleans()):
            label = draw(st.sampled_from(palette))
            matrix.append([label if is_rated else None for is_rated in rated])
        else:
            matrix.append([draw(st.sampled_from(palette)) if is_rated else None for is_rated in rated])
    return matrix


@st.composite
def choice_matrices(draw: st.DrawFn, *, perfect: bool = False) -> list[list[frozenset[str] | None]]:
    """Ragged multiple-choice ratings; an empty selection is a rating, None is a missing one."""
    annotators = draw(st.integers(2, 4))
    selections = st.frozensets(st.sampled_from(SCENARIOS), max_size=3)
    matrix = []
    for _ in range(draw(st.integers(1, 8))):
        rated = draw(st.lists(st.booleans(), min_size=annotators, max_size=annotators))
        if perfect or draw(st.booleans()):
            selection = draw(selections)
            matrix.append([selection if is_rated else None for is_rated in rated])
        else:
            matrix.append([draw(selections) if is_rated else None for is_rated in rated])
    return matrix


SPANS = st.frozensets(
    st.tuples(st.integers(0, 6), st.integers(0, 6), st.sampled_from(SCENARIOS)).map(
        lambda span: (min(span[:2]), max(span[:2]) + 1, span[2])
    ),
    max_size=4,
)


@st.composite
def span_pairs(draw: st.DrawFn) -> tuple[list[frozenset[Span]], list[frozenset[Span]]]:
    """Two annotators' spans per item, the second often a near copy of the first so matches happen."""
    first = draw(st.lists(SPANS, max_size=6))
    second = [draw(st.sampled_from([spans, spans | draw(SPANS), draw(SPANS)])) for spans in first]
    return first, second


@st.composite
def renamings(draw: st.DrawFn) -> dict[Hashable, Hashable]:
    """A bijection from the scenarios onto other hashable labels."""
    return dict(zip(SCENARIOS, draw(st.permutations(RENAMED)), strict=False))


# -- helpers -----------------------------------------------------------------------------------------


def assert_well_formed(result: Agreement) -> None:
    """Undefined means None with a reason; defined means a finite float and no reason. Never NaN."""
    if result.value is None:
        assert result.reason
    else:
        assert isinstance(result.value, float)
        assert math.isfinite(result.value)
        assert result.reason is None


def assert_same(result: Agreement, other: Agreement) -> None:
    # Reordering only changes the order floats are summed in.
    assert (result.items, result.dropped_items, result.reason) == (other.items, other.dropped_items, other.reason)
    if result.value is None:
        assert other.value is None
    else:
        assert other.value == pytest.approx(result.value, rel=1e-12, abs=1e-12)


def rename(matrix: Matrix, renaming: dict[Hashable, Hashable]) -> Matrix:
    return [[None if label is None else renaming[label] for label in row] for row in matrix]


def permute_raters(matrix: Matrix, order: Sequence[int]) -> Matrix:
    return [[row[column] for column in order] for row in matrix]


def rated(row: Sequence[Hashable | None]) -> list[Hashable]:
    return [label for label in row if label is not None]


def pairable_labels(matrix: Matrix) -> set[Hashable]:
    """Labels on items with two or more ratings, the only items agreement is computed on."""
    return {label for row in matrix if len(rated(row)) >= 2 for label in rated(row)}


def first_two_annotators(matrix: Matrix) -> tuple[list[Hashable | None], list[Hashable | None]]:
    return [row[0] for row in matrix], [row[1] for row in matrix]


multi_rater_statistics = pytest.mark.parametrize(
    "statistic", MULTI_RATER_STATISTICS.values(), ids=MULTI_RATER_STATISTICS.keys()
)


# -- percent agreement, Fleiss' kappa, Krippendorff's alpha ------------------------------------------


@multi_rater_statistics
@PROPERTY
@given(matrix=rating_matrices(perfect=True))
@example(matrix=[["refund", "refund", None], ["repair", None, "repair"], ["exchange", None, None]])
def test_perfect_agreement_is_one_whenever_two_labels_are_in_use(statistic, matrix):
    result = statistic(matrix)

    if not pairable_labels(matrix):
        assert (result.value, result.reason) == (None, NO_OVERLAP)
    elif len(pairable_labels(matrix)) == 1 and statistic in CHANCE_CORRECTED.values():
        assert (result.value, result.reason) == (None, ONE_LABEL)
    else:
        assert result.value == 1.0


@multi_rater_statistics
@PROPERTY
@given(matrix=rating_matrices(), renaming=renamings())
@example(matrix=RAGGED_EXAMPLE, renaming=dict(zip(SCENARIOS, RENAMED, strict=False)))
def test_renaming_labels_changes_nothing(statistic, matrix, renaming):
    assert_same(statistic(matrix), statistic(rename(matrix, renaming)))


@multi_rater_statistics
@PROPERTY
@given(matrix=rating_matrices(), shuffler=st.randoms(use_true_random=False))
@example(matrix=RAGGED_EXAMPLE, shuffler=random.Random(0))
def test_annotator_order_and_item_order_change_nothing(statistic, matrix, shuffler):
    rater_order = shuffler.sample(range(len(matrix[0])), len(matrix[0]))
    reordered = permute_raters(matrix, rater_order)
    shuffler.shuffle(reordered)

    assert_same(statistic(matrix), statistic(reordered))


@multi_rater_statistics
@PROPERTY
@given(matrix=rating_matrices(), data=st.data())
def test_arrival_order_of_ratings_changes_nothing(statistic, matrix, data):
    ratings = [
        (f"task-{item}", f"annotator-{annotator}", label)
        for item, row in enumerate(matrix)
        for annotator, label in enumerate(row)
    ]
    shuffled = data.draw(st.permutations(ratings))

    assert_same(statistic(labels_by_item(ratings)), statistic(labels_by_item(shuffled)))


@multi_rater_statistics
@PROPERTY
@given(matrix=rating_matrices())
@example(matrix=RAGGED_EXAMPLE)
def test_multi_rater_statistics_stay_in_range_and_say_why_when_undefined(statistic, matrix):
    result = statistic(matrix)

    assert_well_formed(result)
    kept = sum(len(rated(row)) >= 2 for row in matrix)
    assert (result.items, result.dropped_items) == (kept, len(matrix) - kept)
    if not kept:
        assert result.reason == NO_OVERLAP
    elif len(pairable_labels(matrix)) == 1 and statistic in CHANCE_CORRECTED.values():
        assert result.reason == ONE_LABEL
    elif statistic is percent_agreement:
        assert 0.0 <= result.value <= 1.0
    else:
        assert result.value <= 1.0


# -- Cohen's kappa -----------------------------------------------------------------------------------


@PROPERTY
@given(matrix=rating_matrices(perfect=True))
def test_cohen_kappa_of_perfect_agreement_is_one_whenever_two_labels_are_in_use(matrix):
    first, second = first_two_annotators(matrix)
    shared = {a for a, b in zip(first, second, strict=True) if a is not None and b is not None}

    result = cohen_kappa(first, second)

    if not shared:
        assert (result.value, result.reason) == (None, NO_OVERLAP)
    elif len(shared) == 1:
        assert (result.value, result.reason) == (None, ONE_LABEL)
    else:
        assert result.value == 1.0


@PROPERTY
@given(matrix=rating_matrices(), renaming=renamings(), data=st.data())
def test_cohen_kappa_ignores_label_names_annotator_order_and_item_order(matrix, renaming, data):
    first, second = first_two_annotators(matrix)
    result = cohen_kappa(first, second)
    item_order = data.draw(st.permutations(range(len(matrix))))

    renamed_first, renamed_second = first_two_annotators(rename(matrix, renaming))
    assert_same(result, cohen_kappa(renamed_first, renamed_second))
    assert_same(result, cohen_kappa(second, first))
    assert_same(result, cohen_kappa([first[index] for index in item_order], [second[index] for index in item_order]))


@PROPERTY
@given(matrix=rating_matrices())
def test_cohen_kappa_stays_in_range_and_says_why_when_undefined(matrix):
    first, second = first_two_annotators(matrix)
    pairs = [(a, b) for a, b in zip(first, second, strict=True) if a is not None and b is not None]

    result = cohen_kappa(first, second)

    assert_well_formed(result)
    assert (result.items, result.dropped_items) == (len(pairs), len(matrix) - len(pairs))
    if not pairs:
        assert result.reason == NO_OVERLAP
    elif len({label for pair in pairs for label in pair}) == 1:
        assert result.reason == ONE_LABEL
    else:
        assert -1.0 <= result.value <= 1.0


# -- Jaccard agreement -------------------------------------------------------------------------------


@PROPERTY
@given(matrix=choice_matrices(perfect=True))
def test_jaccard_agreement_of_identical_selections_is_one(matrix):
    result = jaccard_agreement(matrix)

    if any(len(rated(row)) >= 2 for row in matrix):
        assert result.value == 1.0
    else:
        assert (result.value, result.reason) == (None, NO_OVERLAP)


@PROPERTY
@given(matrix=choice_matrices(), renaming=renamings(), data=st.data())
def test_jaccard_agreement_ignores_label_names_annotator_order_and_item_order(matrix, renaming, data):
    renamed = [
        [None if selection is None else frozenset(renaming[choice] for choice in selection) for selection in row]
        for row in matrix
    ]
    rater_order = data.draw(st.permutations(range(len(matrix[0]))))
    item_order = data.draw(st.permutations(range(len(matrix))))
    reordered = [permute_raters(matrix, rater_order)[index] for index in item_order]

    result = jaccard_agreement(matrix)

    assert_same(result, jaccard_agreement(renamed))
    assert_same(result, jaccard_agreement(reordered))


@PROPERTY
@given(matrix=choice_matrices())
def test_jaccard_agreement_stays_in_range_and_says_why_when_undefined(matrix):
    result = jaccard_agreement(matrix)

    assert_well_formed(result)
    if result.value is None:
        assert result.reason == NO_OVERLAP
        assert not any(len(rated(row)) >= 2 for row in matrix)
    else:
        assert 0.0 <= result.value <= 1.0


# -- span F1 -----------------------------------------------------------------------------------------


@PROPERTY
@given(spans=st.lists(SPANS, max_size=6))
def test_span_f1_of_identical_spans_is_one(spans):
    result = span_f1(spans, spans)

    if any(spans):
        assert result.value == 1.0
    else:
        assert (result.value, result.reason) == (None, NO_SPANS)


@PROPERTY
@given(pair=span_pairs(), renaming=renamings(), data=st.data())
def test_span_f1_ignores_label_names_annotator_order_and_item_order(pair, renaming, data):
    first, second = pair
    item_order = data.draw(st.permutations(range(len(first))))

    def renamed(spans_per_item: list[frozenset[Span]]) -> list[frozenset[Span]]:
        return [frozenset((start, end, renaming[label]) for start, end, label in spans) for spans in spans_per_item]

    result = span_f1(first, second)

    assert_same(result, span_f1(renamed(first), renamed(second)))
    assert_same(result, span_f1(second, first))
    assert_same(result, span_f1([first[index] for index in item_order], [second[index] for index in item_order]))


@PROPERTY
@given(pair=span_pairs())
def test_span_f1_stays_in_range_and_says_why_when_undefined(pair):
    first, second = pair

    result = span_f1(first, second)

    assert_well_formed(result)
    if any(first) or any(second):
        assert 0.0 <= result.value <= 1.0
    else:
        assert result.reason == NO_SPANS
