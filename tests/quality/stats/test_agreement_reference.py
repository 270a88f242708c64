"""Every agreement figure on ragged crowds equals its reference library to 1e-9.

test_agreement.py compares complete (or randomly thinned) crowds at pytest's default tolerance.
Here every crowd is ragged on purpose: items rated by every annotator, by some, by one and by
none, plus items on which everyone gave the same label, and the figures must match to 1e-9.
"""

from __future__ import annotations

import math
from itertools import combinations

import krippendorff
import numpy as np
import pytest
from sklearn.metrics import accuracy_score, cohen_kappa_score, f1_score, jaccard_score
from sklearn.preprocessing import MultiLabelBinarizer
from statsmodels.stats.inter_rater import aggregate_raters
from statsmodels.stats.inter_rater import fleiss_kappa as statsmodels_fleiss_kappa

from projects.quality.stats.agreement import (
    cohen_kappa,
    fleiss_kappa,
    jaccard_agreement,
    krippendorff_alpha,
    paired_labels,
    percent_agreement,
    span_f1,
)

TOLERANCE = 1e-9
SCENARIOS = ("refund", "exchange", "repair", "complaint")
CROWDS = [(1, 5, 0.7), (2, 4, 0.4), (3, 6, 0.9), (4, 3, 0.2)]  # (seed, annotators, accuracy)


def ragged_crowd(seed: int, annotators: int, accuracy: float, items: int = 120) -> np.ndarray:
    """Items × annotators label indices, NaN where not rated; every rater count 0..annotators occurs.

    The first item is rated by everyone with one label, the second by two annotators with one label.
    """
    generator = np.random.default_rng(seed)
    truth = generator.integers(0, len(SCENARIOS), size=items)
    noise = generator.integers(0, len(SCENARIOS), size=(items, annotators))
    labels = np.where(generator.random((items, annotators)) < accuracy, truth[:, None], noise).astype(float)
    rater_counts = generator.permutation(np.arange(items) % (annotators + 1))
    rater_counts[:2] = (annotators, 2)
    for item, count in enumerate(rater_counts):
        labels[item, generator.permutation(annotators)[count:]] = np.nan
    labels[0, :] = truth[0]
    labels[1, ~np.isnan(labels[1])] = truth[1]
    return labels


def as_items(matrix: np.ndarray) -> list[list[str | None]]:
    return [[None if math.isnan(value) else SCENARIOS[int(value)] for value in row] for row in matrix]


def as_ratings(matrix: np.ndarray) -> list[tuple[str, str, str]]:
    return [
        (f"task-{item}", f"annotator-{annotator}", SCENARIOS[int(value)])
        for item, row in enumerate(matrix)
        for annotator, value in enumerate(row)
        if not math.isnan(value)
    ]


def equal_rater_subsets(matrix: np.ndarray) -> dict[int, np.ndarray]:
    """Items grouped by how many annotators rated them, each group compacted to that many columns."""
    counts = (~np.isnan(matrix)).sum(axis=1)
    return {
        raters: np.array([row[~np.isnan(row)] for row in matrix[counts == raters]])
        for raters in range(2, matrix.shape[1] + 1)
        if (counts == raters).any()
    }


def fleiss_table(matrix: np.ndarray) -> np.ndarray:
    table, _ = aggregate_raters(matrix.astype(int), n_cat=len(SCENARIOS))
    return table


def assert_matches(result, expected: float) -> None:
    """Our undefined (None) is the reference's NaN; otherwise equal within TOLERANCE."""
    if math.isnan(expected):
        assert result.value is None
        assert result.reason
    else:
        assert result.value == pytest.approx(expected, rel=0, abs=TOLERANCE)


# -- Cohen's kappa -----------------------------------------------------------------------------------


@pytest.mark.parametrize(("seed", "annotators", "accuracy"), CROWDS)
def test_cohen_kappa_of_every_annotator_pair_on_a_ragged_crowd_equals_scikit_learn(seed, annotators, accuracy):
    matrix = ragged_crowd(seed, annotators, accuracy)
    ratings = as_ratings(matrix)

    for first, second in combinations(range(annotators), 2):
        both = ~np.isnan(matrix[:, first]) & ~np.isnan(matrix[:, second])
        first_labels, second_labels = paired_labels(ratings, f"annotator-{first}", f"annotator-{second}")

        assert len(first_labels) == both.sum()
        assert_matches(cohen_kappa(first_labels, second_labels), cohen_kappa_score(first_labels, second_labels))


# -- percent agreement and Fleiss' kappa -------------------------------------------------------------


@pytest.mark.parametrize(("seed", "annotators", "accuracy"), CROWDS)
def test_fleiss_kappa_on_each_equal_rater_subset_of_a_ragged_crowd_equals_statsmodels(seed, annotators, accuracy):
    # statsmodels refuses unequal rater counts, so compare on each group of items with the same count.
    for subset in equal_rater_subsets(ragged_crowd(seed, annotators, accuracy)).values():
        assert_matches(fleiss_kappa(as_items(subset)), statsmodels_fleiss_kappa(fleiss_table(subset), method="fleiss"))


@pytest.mark.parametrize(("seed", "annotators", "accuracy"), CROWDS)
def test_percent_agreement_on_each_equal_rater_subset_equals_statsmodels_observed_agreement(seed, annotators, accuracy):
    # Randolph's kappa is (P − 1/k) / (1 − 1/k) with P Fleiss' observed agreement, our percent agreement.
    for subset in equal_rater_subsets(ragged_crowd(seed, annotators, accuracy)).values():
        randolph = statsmodels_fleiss_kappa(fleiss_table(subset), method="randolph")
        chance = 1 / len(SCENARIOS)

        assert_matches(percent_agreement(as_items(subset)), randolph * (1 - chance) + chance)


@pytest.mark.parametrize(("seed", "annotators", "accuracy"), CROWDS)
def test_percent_agreement_of_every_annotator_pair_on_a_ragged_crowd_equals_scikit_learn_accuracy(
    seed, annotators, accuracy
):
    matrix = ragged_crowd(seed, annotators, accuracy)

    for first, second in combinations(range(annotators), 2):
        both = matrix[~np.isnan(matrix[:, first]) & ~np.isnan(matrix[:, second])][:, [first, second]]

        assert_matches(percent_agreement(as_items(both)), accuracy_score(both[:, 0], both[:, 1]))


# -- Krippendorff's alpha ----------------------------------------------------------------------------


@pytest.mark.parametrize(("seed", "annotators", "accuracy"), CROWDS)
def test_krippendorff_alpha_on_a_ragged_crowd_equals_the_krippendorff_package(seed, annotators, accuracy):
    matrix = ragged_crowd(seed, annotators, accuracy)
    rater_counts = (~np.isnan(matrix)).sum(axis=1)

    result = krippendorff_alpha(as_items(matrix))

    assert_matches(result, krippendorff.alpha(reliability_data=matrix.T, level_of_measurement="nominal"))
    assert (result.items, result.dropped_items) == ((rater_counts >= 2).sum(), (rater_counts < 2).sum())


def test_krippendorff_alpha_is_undefined_where_the_package_divides_zero_by_zero():
    # One label on every pairable item; the other label only on an item with a single rating.
    matrix = np.array([[0, 0, 0], [0, 0, np.nan], [1, np.nan, np.nan]])

    with np.errstate(invalid="ignore"):
        expected = krippendorff.alpha(reliability_data=matrix.T, level_of_measurement="nominal")

    assert math.isnan(expected)
    assert_matches(krippendorff_alpha(as_items(matrix)), expected)


# -- Jaccard agreement and span F1 -------------------------------------------------------------------


def ragged_selections(seed: int, items: int = 80) -> tuple[list[frozenset[str] | None], list[frozenset[str] | None]]:
    """Two annotators' multiple-choice selections, None where one did not rate; some empty, some identical."""
    generator = np.random.default_rng(seed)

    def selection() -> frozenset[str]:
        return frozenset(SCENARIOS[index] for index in np.flatnonzero(generator.random(len(SCENARIOS)) < 0.35))

    first, second = [], []
    for _ in range(items):
        chosen = selection()
        first.append(None if generator.random() < 0.2 else chosen)
        second.append(None if generator.random() < 0.2 else chosen if generator.random() < 0.4 else selection())
    return first, second


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_jaccard_agreement_of_two_annotators_on_ragged_selections_equals_scikit_learn(seed):
    first, second = ragged_selections(seed)
    both = [(a, b) for a, b in zip(first, second, strict=True) if a is not None and b is not None]
    binarizer = MultiLabelBinarizer(classes=SCENARIOS).fit([])

    expected = jaccard_score(
        binarizer.transform([a for a, _ in both]),
        binarizer.transform([b for _, b in both]),
        average="samples",
        zero_division=1.0,
    )

    result = jaccard_agreement([[a, b] for a, b in zip(first, second, strict=True)])

    assert_matches(result, expected)
    assert (result.items, result.dropped_items) == (len(both), len(first) - len(both))


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_span_f1_equals_scikit_learn_micro_f1_over_spans(seed):
    # Micro F1 over a span-indicator matrix is 2·matched / (spans marked by either), exact matches only.
    generator = np.random.default_rng(seed)
    candidates = [(start, start + length, label) for start in range(6) for length in (1, 2) for label in SCENARIOS[:2]]
    first, second = [], []
    for _ in range(40):
        marked = generator.random(len(candidates))
        first.append(frozenset(span for span, draw in zip(candidates, marked, strict=True) if draw < 0.15))
        kept = generator.random(len(candidates))
        second.append(
            frozenset(
                span
                for span, draw, keep in zip(candidates, marked, kept, strict=True)
                if (draw < 0.15 and keep < 0.7) or keep > 0.93
            )
        )
    binarizer = MultiLabelBinarizer(classes=candidates).fit([])

    expected = f1_score(binarizer.transform(first), binarizer.transform(second), average="micro")

    assert_matches(span_f1(first, second), expected)
