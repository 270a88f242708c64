"""Agreement statistics against scikit-learn, statsmodels and krippendorff, plus hand-checked cases."""

from __future__ import annotations

import math

import krippendorff
import numpy as np
import pytest
from sklearn.metrics import cohen_kappa_score, jaccard_score
from sklearn.preprocessing import MultiLabelBinarizer
from statsmodels.stats.inter_rater import aggregate_raters
from statsmodels.stats.inter_rater import fleiss_kappa as statsmodels_fleiss_kappa

from projects.quality.stats.agreement import (
    NO_OVERLAP,
    NO_SPANS,
    ONE_LABEL,
    bootstrap_interval,
    choice_labels,
    cohen_kappa,
    fleiss_kappa,
    jaccard_agreement,
    jaccard_similarity,
    krippendorff_alpha,
    labels_by_item,
    paired_labels,
    percent_agreement,
    span_f1,
    text_spans,
)

SCENARIOS = ("refund", "exchange", "repair", "complaint")


def noisy_crowd(seed: int, items: int, annotators: int, accuracy: float, missing: float = 0.0) -> np.ndarray:
    """Items × annotators matrix of label indices (NaN where missing): each annotator is right with `accuracy`."""
    generator = np.random.default_rng(seed)
    truth = generator.integers(0, len(SCENARIOS), size=items)
    noise = generator.integers(0, len(SCENARIOS), size=(items, annotators))
    labels = np.where(generator.random((items, annotators)) < accuracy, truth[:, None], noise).astype(float)
    labels[generator.random((items, annotators)) < missing] = np.nan
    return labels


def as_items(matrix: np.ndarray) -> list[list[str | None]]:
    return [[None if math.isnan(value) else SCENARIOS[int(value)] for value in row] for row in matrix]


# -- shaping ratings ---------------------------------------------------------------------------------


def test_labels_by_item_keeps_one_label_per_annotator_the_latest():
    ratings = [("t1", "ann", "refund"), ("t1", "bo", "repair"), ("t2", "ann", "exchange"), ("t1", "ann", "repair")]

    assert labels_by_item(ratings) == [["repair", "repair"], ["exchange"]]


def test_paired_labels_keeps_only_items_both_annotators_labeled():
    ratings = [("t1", "ann", "refund"), ("t1", "bo", "refund"), ("t2", "ann", "repair"), ("t3", "bo", "repair")]

    assert paired_labels(ratings, "ann", "bo") == (["refund"], ["refund"])


def test_choice_labels_and_text_spans_read_label_studio_results():
    result = [
        {"from_name": "scenario", "to_name": "dialogue", "type": "choices", "value": {"choices": ["refund"]}},
        {
            "from_name": "evidence",
            "to_name": "dialogue",
            "type": "labels",
            "value": {"start": 4, "end": 12, "text": "receipt!", "labels": ["proof", "date"]},
        },
    ]

    assert choice_labels(result, "scenario") == frozenset({"refund"})
    assert choice_labels(result, "resolved") is None
    assert text_spans(result, "evidence") == frozenset({(4, 12, "proof"), (4, 12, "date")})


# -- percent agreement -------------------------------------------------------------------------------


def test_percent_agreement_of_two_annotators_is_the_share_of_items_they_agree_on():
    items = [["refund", "refund"], ["refund", "repair"], ["repair", "repair"], ["exchange", "refund"]]

    assert percent_agreement(items).value == 0.5


def test_percent_agreement_averages_agreeing_pairs_per_item_and_drops_single_ratings():
    # three ratings: 1 of 3 pairs agree; two ratings: agree; one rating: dropped.
    result = percent_agreement([["refund", "refund", "repair"], ["repair", "repair"], ["refund"]])

    assert result.value == pytest.approx((1 / 3 + 1) / 2)
    assert (result.items, result.dropped_items) == (2, 1)


# -- Cohen's kappa -----------------------------------------------------------------------------------


@pytest.mark.parametrize(("seed", "accuracy"), [(1, 0.8), (2, 0.5), (3, 0.2), (4, 0.95)])
def test_cohen_kappa_equals_scikit_learn(seed, accuracy):
    matrix = noisy_crowd(seed, items=60, annotators=2, accuracy=accuracy)
    first, second = (list(column) for column in zip(*as_items(matrix), strict=True))

    assert cohen_kappa(first, second).value == pytest.approx(cohen_kappa_score(first, second))


def test_cohen_kappa_equals_scikit_learn_when_one_annotator_uses_a_label_the_other_never_does():
    first = ["refund", "refund", "repair", "exchange", "repair", "refund"]
    second = ["refund", "repair", "repair", "repair", "repair", "refund"]

    assert cohen_kappa(first, second).value == pytest.approx(cohen_kappa_score(first, second))


def test_cohen_kappa_by_hand():
    # 2×2 table [[20, 5], [10, 15]]: observed 0.7, chance 0.5·0.6 + 0.5·0.4 = 0.5, kappa 0.4.
    first = ["yes"] * 25 + ["no"] * 25
    second = ["yes"] * 20 + ["no"] * 5 + ["yes"] * 10 + ["no"] * 15

    assert cohen_kappa(first, second).value == pytest.approx(0.4)


def test_cohen_kappa_is_undefined_when_both_annotators_always_give_the_same_single_label():
    result = cohen_kappa(["refund"] * 5, ["refund"] * 5)

    assert result.value is None
    assert result.reason == ONE_LABEL
    assert result.items == 5


def test_cohen_kappa_is_zero_when_only_one_annotator_is_constant():
    first = ["refund"] * 4
    second = ["refund", "repair", "refund", "exchange"]

    assert cohen_kappa(first, second).value == pytest.approx(0.0)
    assert cohen_kappa_score(first, second) == pytest.approx(0.0)


def test_cohen_kappa_drops_items_either_annotator_left_unlabeled():
    result = cohen_kappa(["refund", None, "repair", "repair"], ["refund", "repair", None, "repair"])

    assert (result.value, result.items, result.dropped_items) == (1.0, 2, 2)


def test_cohen_kappa_without_overlap_is_undefined():
    result = cohen_kappa(["refund", None], [None, "repair"])

    assert (result.value, result.reason, result.dropped_items) == (None, NO_OVERLAP, 2)


def test_cohen_kappa_rejects_unaligned_labels():
    with pytest.raises(ValueError, match="differ in length"):
        cohen_kappa(["refund"], ["refund", "repair"])


# -- Fleiss' kappa -----------------------------------------------------------------------------------


def statsmodels_fleiss(matrix: np.ndarray) -> float:
    table, _ = aggregate_raters(matrix.astype(int), n_cat=len(SCENARIOS))
    return statsmodels_fleiss_kappa(table, method="fleiss")


@pytest.mark.parametrize(
    ("seed", "annotators", "accuracy"), [(1, 3, 0.7), (2, 5, 0.4), (3, 4, 0.9), (4, 2, 0.6), (5, 7, 0.1)]
)
def test_fleiss_kappa_equals_statsmodels(seed, annotators, accuracy):
    matrix = noisy_crowd(seed, items=50, annotators=annotators, accuracy=accuracy)

    assert fleiss_kappa(as_items(matrix)).value == pytest.approx(statsmodels_fleiss(matrix))


def test_fleiss_kappa_on_fleiss_1971_table():
    # The worked example on Wikipedia's "Fleiss' kappa" page: 10 subjects, 14 raters, 5 categories, kappa 0.210.
    table = [
        [0, 0, 0, 0, 14], [0, 2, 6, 4, 2], [0, 0, 3, 5, 6], [0, 3, 9, 2, 0], [2, 2, 8, 1, 1],
        [7, 7, 0, 0, 0], [3, 2, 6, 3, 0], [2, 5, 3, 2, 2], [6, 5, 2, 1, 0], [0, 2, 2, 3, 7],
    ]  # fmt: skip
    items = [[category for category, count in enumerate(row) for _ in range(count)] for row in table]

    assert fleiss_kappa(items).value == pytest.approx(0.20993, abs=1e-5)
    assert fleiss_kappa(items).value == pytest.approx(statsmodels_fleiss_kappa(np.array(table), method="fleiss"))


def test_fleiss_kappa_drops_items_with_one_rating_and_counts_them():
    matrix = noisy_crowd(6, items=40, annotators=3, accuracy=0.6)
    singles = [["refund"], ["repair", None, None], []]

    result = fleiss_kappa(as_items(matrix) + singles)

    assert result.value == pytest.approx(statsmodels_fleiss(matrix))
    assert (result.items, result.dropped_items) == (40, 3)


def test_fleiss_kappa_with_unequal_rater_counts_by_hand():
    # Item 1 (A, A): agreement 1; item 2 (A, B, B): 2 of 6 ordered pairs, 1/3. Observed 2/3.
    # Label shares per item averaged: A (1 + 1/3)/2 = 2/3, B 1/3; chance 4/9 + 1/9 = 5/9.
    # kappa = (2/3 − 5/9) / (1 − 5/9) = 1/4.
    assert fleiss_kappa([["A", "A"], ["A", "B", "B"]]).value == pytest.approx(0.25)


def test_fleiss_kappa_is_undefined_when_everyone_gives_one_label():
    result = fleiss_kappa([["refund", "refund", "refund"], ["refund", "refund"]])

    assert (result.value, result.reason, result.items) == (None, ONE_LABEL, 2)


def test_fleiss_kappa_without_overlap_is_undefined():
    result = fleiss_kappa([["refund"], ["repair"]])

    assert (result.value, result.reason, result.dropped_items) == (None, NO_OVERLAP, 2)


# -- Krippendorff's alpha ----------------------------------------------------------------------------


def package_alpha(matrix: np.ndarray) -> float:
    return krippendorff.alpha(reliability_data=matrix.T, level_of_measurement="nominal")


@pytest.mark.parametrize(
    ("seed", "annotators", "accuracy", "missing"),
    [(1, 3, 0.7, 0.0), (2, 5, 0.5, 0.3), (3, 4, 0.9, 0.5), (4, 2, 0.6, 0.2), (5, 6, 0.2, 0.6)],
)
def test_krippendorff_alpha_equals_the_krippendorff_package(seed, annotators, accuracy, missing):
    matrix = noisy_crowd(seed, items=50, annotators=annotators, accuracy=accuracy, missing=missing)

    assert krippendorff_alpha(as_items(matrix)).value == pytest.approx(package_alpha(matrix))


def test_krippendorff_alpha_on_krippendorffs_worked_example():
    # Krippendorff (2011), "Computing Krippendorff's alpha-reliability", section C: 4 coders, 12 units, nominal 0.743.
    coders = np.array(
        [
            [1, 2, 3, 3, 2, 1, 4, 1, 2, np.nan, np.nan, np.nan],
            [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, np.nan, 3],
            [np.nan, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, np.nan],
            [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, np.nan],
        ]
    )
    items = [[None if math.isnan(value) else int(value) for value in unit] for unit in coders.T]

    result = krippendorff_alpha(items)

    assert result.value == pytest.approx(0.743, abs=5e-4)
    assert result.value == pytest.approx(package_alpha(coders.T))
    assert (result.items, result.dropped_items) == (11, 1)


def test_krippendorff_alpha_is_undefined_when_every_rating_gives_one_label():
    items = [["refund", "refund"], ["refund", None, "refund"]]

    assert krippendorff_alpha(items).reason == ONE_LABEL
    with pytest.raises(ValueError, match="more than one value"):
        krippendorff.alpha(reliability_data=[[1, 1], [1, np.nan], [np.nan, 1]], level_of_measurement="nominal")


def test_krippendorff_alpha_without_pairable_values_is_undefined():
    result = krippendorff_alpha([["refund", None], [None, "repair"]])

    assert (result.value, result.reason, result.dropped_items) == (None, NO_OVERLAP, 2)


# -- Jaccard and span F1 -----------------------------------------------------------------------------


def test_jaccard_similarity_by_hand():
    assert jaccard_similarity({"late", "damaged"}, {"damaged", "wrong_item"}) == pytest.approx(1 / 3)
    assert jaccard_similarity(set(), set()) == 1.0
    assert jaccard_similarity({"late"}, set()) == 0.0


def test_jaccard_agreement_of_two_annotators_equals_scikit_learn_samples_average():
    first = [{"late"}, {"late", "damaged"}, set(), {"wrong_item"}, {"damaged", "wrong_item", "late"}]
    second = [{"late"}, {"damaged"}, set(), {"late"}, {"damaged", "late"}]
    binarizer = MultiLabelBinarizer().fit(first + second)

    expected = jaccard_score(
        binarizer.transform(first), binarizer.transform(second), average="samples", zero_division=1.0
    )

    assert jaccard_agreement([[a, b] for a, b in zip(first, second, strict=True)]).value == pytest.approx(expected)


def test_jaccard_agreement_averages_pairs_within_an_item_and_drops_single_ratings():
    result = jaccard_agreement([[{"late"}, {"late"}, {"late", "damaged"}], [{"damaged"}, None]])

    # pairs: 1, 1/2, 1/2 → 2/3; the second item has one rating.
    assert result.value == pytest.approx(2 / 3)
    assert (result.items, result.dropped_items) == (1, 1)


def test_span_f1_counts_only_exact_matches():
    first = [{(0, 5, "proof"), (10, 20, "claim")}, {(3, 8, "proof")}]
    second = [{(0, 5, "proof"), (10, 21, "claim")}, {(3, 8, "date")}]

    # Shifted end and other label both miss: 1 match over 3 + 3 spans, F1 = 2·1 / 6.
    assert span_f1(first, second).value == pytest.approx(1 / 3)


def test_span_f1_is_one_on_identical_spans_and_symmetric():
    first = [{(0, 5, "proof")}, set(), {(1, 2, "date"), (4, 9, "claim")}]
    second = [{(0, 5, "proof")}, {(7, 9, "date")}, {(4, 9, "claim")}]

    assert span_f1(first, first).value == 1.0
    assert span_f1(first, second).value == span_f1(second, first).value == pytest.approx(2 * 2 / (3 + 3))


def test_span_f1_is_undefined_when_nobody_marked_a_span():
    result = span_f1([set(), set()], [set(), set()])

    assert (result.value, result.reason, result.items) == (None, NO_SPANS, 2)


# -- bootstrap ---------------------------------------------------------------------------------------


def mean_or_none(sample: list[float]) -> float | None:
    return float(np.mean(sample)) if sample else None


def test_bootstrap_interval_is_deterministic_for_a_seed():
    values = list(np.random.default_rng(0).normal(size=40))

    first = bootstrap_interval(values, mean_or_none, resamples=200, seed=7)
    again = bootstrap_interval(values, mean_or_none, resamples=200, seed=7)
    other = bootstrap_interval(values, mean_or_none, resamples=200, seed=8)

    assert first == again
    assert first != other


def test_bootstrap_interval_takes_percentiles_of_item_resamples():
    values = [0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0]
    generator = np.random.default_rng(3)
    means = [np.mean([values[i] for i in generator.integers(0, 8, size=8)]) for _ in range(300)]

    result = bootstrap_interval(values, mean_or_none, resamples=300, confidence=0.9, seed=3)

    assert (result.low, result.high) == pytest.approx(tuple(np.percentile(means, [5, 95])))
    assert result.low < np.mean(values) < result.high


def test_bootstrap_interval_of_cohen_kappa_brackets_the_estimate_and_counts_undefined_resamples():
    first = ["refund"] * 8 + ["repair"] * 2
    second = ["refund"] * 7 + ["repair"] * 3
    pairs = list(zip(first, second, strict=True))

    result = bootstrap_interval(pairs, lambda sample: cohen_kappa(*zip(*sample, strict=True)).value, resamples=300)

    # Resamples holding only ("refund", "refund") pairs leave kappa undefined: counted, not averaged in.
    assert result.undefined_resamples > 0
    assert result.low <= cohen_kappa(first, second).value <= result.high


def test_bootstrap_interval_of_nothing_is_undefined():
    result = bootstrap_interval([], mean_or_none)

    assert (result.low, result.high, result.reason) == (None, None, "no items to resample")
    assert bootstrap_interval([1.0], lambda sample: None, resamples=5).undefined_resamples == 5
