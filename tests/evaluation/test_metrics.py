"""Evaluation figures equal scikit-learn's on the same data; calibration and percentiles checked by hand."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from sklearn.calibration import calibration_curve
from sklearn.metrics import (
    accuracy_score,
    cohen_kappa_score,
    confusion_matrix,
    f1_score,
    precision_score,
    recall_score,
)

from projects.evaluation.metrics import (
    by_slice,
    classification_report,
    expected_calibration_error,
    hallucination_rate,
    latency_percentiles,
    reliability_bins,
)

TOLERANCE = 1e-12
# "escalation" is a label of the config that gold uses rarely and the model never predicts.
LABELS = ("refund", "exchange", "repair", "complaint", "escalation")


def generated_run(seed: int, items: int = 600, accuracy: float = 0.7) -> tuple[list[str], list[str]]:
    """Gold and a model's predictions: right with `accuracy`, otherwise a wrong label, never "escalation"."""
    rng = np.random.default_rng(seed)
    gold = list(rng.choice(LABELS, size=items, p=[0.4, 0.25, 0.2, 0.1, 0.05]))
    predictions = []
    for label in gold:
        if label != "escalation" and rng.random() < accuracy:
            predictions.append(label)
        else:
            predictions.append(str(rng.choice([other for other in LABELS[:-1] if other != label])))
    return gold, predictions


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_report_equals_scikit_learn_including_a_class_never_predicted(seed):
    gold, predictions = generated_run(seed)
    assert "escalation" in gold and "escalation" not in predictions
    report = classification_report(gold, predictions, LABELS)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # scikit-learn's zero-division warning for the never-predicted class
        reference_precision = precision_score(gold, predictions, labels=LABELS, average=None, zero_division=0)
        reference_recall = recall_score(gold, predictions, labels=LABELS, average=None, zero_division=0)
        reference_f1 = f1_score(gold, predictions, labels=LABELS, average=None, zero_division=0)
    assert report.items == len(gold)
    assert report.accuracy == pytest.approx(accuracy_score(gold, predictions), abs=TOLERANCE)
    assert report.micro_f1 == pytest.approx(f1_score(gold, predictions, labels=LABELS, average="micro"), abs=TOLERANCE)
    assert report.macro_f1 == pytest.approx(
        f1_score(gold, predictions, labels=LABELS, average="macro", zero_division=0), abs=TOLERANCE
    )
    assert report.kappa == pytest.approx(cohen_kappa_score(gold, predictions, labels=LABELS), abs=TOLERANCE)
    assert report.confusion_matrix == tuple(map(tuple, confusion_matrix(gold, predictions, labels=LABELS).tolist()))
    for index, class_metrics in enumerate(report.per_class):
        assert class_metrics.label == LABELS[index]
        assert class_metrics.support == gold.count(LABELS[index])
        assert class_metrics.predicted == predictions.count(LABELS[index])
        assert class_metrics.recall == pytest.approx(reference_recall[index], abs=TOLERANCE)
        assert class_metrics.f1 == pytest.approx(reference_f1[index], abs=TOLERANCE)
        if class_metrics.label == "escalation":
            assert class_metrics.precision is None  # never predicted: 0/0, not a silent 0
            assert reference_precision[index] == 0
        else:
            assert class_metrics.precision == pytest.approx(reference_precision[index], abs=TOLERANCE)


def test_a_config_label_in_neither_gold_nor_predictions_is_left_out_of_macro_f1():
    gold, predictions = ["refund", "refund", "repair", "repair"], ["refund", "repair", "repair", "repair"]
    report = classification_report(gold, predictions, ["refund", "repair", "escalation"])
    escalation = report.per_class[2]
    assert (escalation.precision, escalation.recall, escalation.f1, escalation.support) == (None, None, None, 0)
    # Macro F1 over refund and repair only, as scikit-learn with zero_division=NaN.
    assert report.macro_f1 == pytest.approx(f1_score(gold, predictions, average="macro"), abs=TOLERANCE)
    assert report.macro_f1 == pytest.approx((2 / 3 + 0.8) / 2)
    assert report.confusion_matrix == ((1, 1, 0), (0, 2, 0), (0, 0, 0))


def test_confusion_matrix_rows_are_gold_and_columns_predictions_in_the_given_order():
    report = classification_report(["refund", "refund", "repair"], ["repair", "repair", "repair"], ["repair", "refund"])
    assert report.labels == ("repair", "refund")
    assert report.confusion_matrix == ((1, 0), (2, 0))


def test_kappa_is_none_when_gold_and_predictions_are_one_single_label():
    report = classification_report(["refund"] * 4, ["refund"] * 4, LABELS)
    assert report.accuracy == 1.0
    assert report.kappa is None


def test_values_outside_the_labels_are_refused():
    with pytest.raises(ValueError, match="refund request"):
        classification_report(["refund"], ["refund request"], LABELS)
    with pytest.raises(ValueError, match="no items"):
        classification_report([], [], LABELS)
    with pytest.raises(ValueError, match="length"):
        classification_report(["refund"], [], LABELS)


# -- calibration ---------------------------------------------------------------------------------------


def test_expected_calibration_error_by_hand():
    # Bin (0.8, 0.9]: scores 0.9, 0.9, 0.85, 0.85, mean 0.875, 3 of 4 correct: |0.75 - 0.875| = 0.125.
    # Bin (0.5, 0.6]: scores 0.6, 0.6, mean 0.6, 0 of 2 correct: |0 - 0.6| = 0.6.
    # Bin (0.9, 1.0]: scores 1.0, 0.95, 0.95, 1.0, mean 0.975, 4 of 4 correct: |1 - 0.975| = 0.025.
    # ECE = 4/10 * 0.125 + 2/10 * 0.6 + 4/10 * 0.025 = 0.05 + 0.12 + 0.01 = 0.18.
    correct = [True, True, True, False, False, False, True, True, True, True]
    scores = [0.9, 0.9, 0.85, 0.85, 0.6, 0.6, 1.0, 0.95, 0.95, 1.0]
    assert expected_calibration_error(correct, scores) == pytest.approx(0.18, abs=TOLERANCE)


def test_a_score_on_a_bin_edge_falls_in_the_bin_below():
    bins = reliability_bins([True, False, True], [0.7, 0.7, 0.0])
    assert bins[6].low == pytest.approx(0.6) and bins[6].high == pytest.approx(0.7)
    assert bins[6].items == 2 and bins[6].accuracy == 0.5 and bins[6].confidence == pytest.approx(0.7)
    assert bins[0].items == 1  # a score of 0 goes in the first bin
    assert sum(calibration_bin.items for calibration_bin in bins) == 3


def test_perfectly_calibrated_and_fully_overconfident_models():
    assert expected_calibration_error([True, True, True, False], [0.75] * 4) == pytest.approx(0.0)
    assert expected_calibration_error([False] * 5, [1.0] * 5) == pytest.approx(1.0)


def test_reliability_bins_equal_scikit_learn_calibration_curve():
    rng = np.random.default_rng(5)
    scores = rng.uniform(0, 1, size=2000)
    correct = rng.random(2000) < scores**1.5  # an overconfident model
    bins = reliability_bins(list(correct), list(scores))
    prob_true, prob_pred = calibration_curve(correct, scores, n_bins=10, strategy="uniform")
    filled = [calibration_bin for calibration_bin in bins if calibration_bin.items]
    assert [calibration_bin.accuracy for calibration_bin in filled] == pytest.approx(prob_true, abs=TOLERANCE)
    assert [calibration_bin.confidence for calibration_bin in filled] == pytest.approx(prob_pred, abs=TOLERANCE)
    counts, _ = np.histogram(scores, bins=10, range=(0, 1))  # continuous scores: no score sits on an edge
    expected = sum(
        count / 2000 * abs(accuracy - confidence)
        for count, accuracy, confidence in zip(counts[counts > 0], prob_true, prob_pred, strict=True)
    )
    assert expected_calibration_error(list(correct), list(scores)) == pytest.approx(expected, abs=TOLERANCE)


def test_scores_outside_zero_to_one_are_refused():
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        expected_calibration_error([True], [1.2])


# -- latency -------------------------------------------------------------------------------------------


def test_latency_percentiles_by_hand():
    # 1..100 ms: rank (n - 1) * p = 99 * 0.5 = 49.5 -> between 50 and 51; 99 * 0.95 = 94.05 -> 95.05;
    # 99 * 0.99 = 98.01 -> 99.01.
    percentiles = latency_percentiles([float(value) for value in range(100, 0, -1)])
    assert percentiles.items == 100
    assert percentiles.p50_ms == pytest.approx(50.5)
    assert percentiles.p95_ms == pytest.approx(95.05)
    assert percentiles.p99_ms == pytest.approx(99.01)


def test_latency_percentiles_of_few_values_interpolate():
    percentiles = latency_percentiles([100, 200, 400, 1000])
    # rank 3 * 0.99 = 2.97 -> 400 + 0.97 * 600 = 982.
    assert percentiles.p99_ms == pytest.approx(982.0)
    assert percentiles.p50_ms == pytest.approx(300.0)


def test_no_latencies_give_none_and_bad_ones_are_refused():
    assert latency_percentiles([]) is None
    with pytest.raises(ValueError, match="non-negative"):
        latency_percentiles([12.0, -1.0])
    with pytest.raises(ValueError, match="finite"):
        latency_percentiles([12.0, math.nan])


# -- hallucination rate and slices ---------------------------------------------------------------------


def test_hallucination_rate_with_wilson_interval():
    rate = hallucination_rate(["yes", "no", "no", "no", "yes", "no", "no", "no", "no", "no"], hallucination_label="yes")
    assert (rate.items, rate.hallucinated, rate.rate) == (10, 2, 0.2)
    # Wilson 95% for 2/10, as published tables give it: 0.0567 to 0.5098.
    assert rate.low == pytest.approx(0.0567, abs=1e-4)
    assert rate.high == pytest.approx(0.5098, abs=1e-4)
    assert hallucination_rate([], hallucination_label="yes") is None


def test_by_slice_gives_one_report_per_value_with_item_counts():
    gold, predictions = generated_run(4, items=300)
    languages = [("en", "zh", None)[index % 3] for index in range(300)]
    slices = by_slice(gold, predictions, languages, labels=LABELS)
    assert [slice_report.value for slice_report in slices] == ["en", "zh", None]
    assert [slice_report.items for slice_report in slices] == [100, 100, 100]
    for offset, slice_report in enumerate(slices):
        slice_gold, slice_predictions = gold[offset::3], predictions[offset::3]
        assert slice_report.report.items == 100
        assert slice_report.report.accuracy == pytest.approx(accuracy_score(slice_gold, slice_predictions))
        assert slice_report.report.labels == LABELS
        assert slice_report.report.confusion_matrix == tuple(
            map(tuple, confusion_matrix(slice_gold, slice_predictions, labels=LABELS).tolist())
        )
    total = np.sum([np.array(slice_report.report.confusion_matrix) for slice_report in slices], axis=0)
    assert total.tolist() == [list(row) for row in classification_report(gold, predictions, LABELS).confusion_matrix]


def test_by_slice_by_gold_scenario():
    gold = ["refund", "refund", "repair", "repair", "repair"]
    predictions = ["refund", "repair", "repair", "repair", "refund"]
    slices = by_slice(gold, predictions, gold, labels=["refund", "repair"])
    assert [(slice_report.value, slice_report.items, slice_report.report.accuracy) for slice_report in slices] == [
        ("refund", 2, 0.5),
        ("repair", 3, pytest.approx(2 / 3)),
    ]
