"""How well a model's predictions match a gold dataset version (pure): the figures of an evaluation report.

The classification figures are scikit-learn's, called with the label order given explicitly, so a
label the model never predicts, or that gold never uses, still has its row, column and class entry.

Undefined is None, never NaN and never a silent 0. scikit-learn is called with zero_division=NaN:
- precision of a class the model never predicts is None (0/0), its recall is 0 when gold has the class;
- recall of a class gold never uses is None; F1 is None only when the class is in neither gold nor
  predictions (F1 is 2TP / (2TP + FP + FN));
- macro F1 averages the defined per-class F1 values: a class in neither gold nor predictions is left
  out rather than counted as 0 or 1, while a gold class the model never predicts counts with F1 0;
- Cohen's kappa is None when gold and predictions are one and the same single label (chance agreement 1).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Hashable, Sequence
from dataclasses import dataclass

import numpy as np

from projects.quality.stats.intervals import wilson_interval

Label = Hashable


@dataclass(frozen=True)
class ClassMetrics:
    label: Label
    precision: float | None  # None: the model never predicts this label
    recall: float | None  # None: gold never uses this label
    f1: float | None  # None: neither gold nor the model uses this label
    support: int  # gold items with this label
    predicted: int  # items the model gave this label


@dataclass(frozen=True)
class ClassificationReport:
    items: int
    labels: tuple[Label, ...]  # the order of `per_class` and of the confusion matrix's rows and columns
    accuracy: float
    per_class: tuple[ClassMetrics, ...]
    macro_f1: float | None  # None when no class has a defined F1 (cannot happen with items > 0)
    micro_f1: float  # equals accuracy for single-label predictions within `labels`
    confusion_matrix: tuple[tuple[int, ...], ...]  # rows: gold label, columns: predicted label
    kappa: float | None  # Cohen's kappa of predictions against gold; None when undefined


def _defined(value: float) -> float | None:
    return None if math.isnan(value) else float(value)


def classification_report(
    y_true: Sequence[Label], y_pred: Sequence[Label], labels: Sequence[Label]
) -> ClassificationReport:
    """Accuracy, per-class precision/recall/F1/support, macro and micro F1, confusion matrix and kappa.

    `y_true[i]` and `y_pred[i]` are gold and prediction for the same item. Every value must be one of
    `labels`: a prediction outside the label config is an upload error the caller reports by item,
    not something to drop silently from the confusion matrix.
    """
    if len(y_true) != len(y_pred):
        raise ValueError(f"gold and predictions differ in length ({len(y_true)} and {len(y_pred)})")
    if not y_true:
        raise ValueError("no items to score")
    label_order = tuple(labels)
    if len(set(label_order)) != len(label_order):
        raise ValueError(f"labels must not repeat, got {list(label_order)}")
    unknown = (set(y_true) | set(y_pred)) - set(label_order)
    if unknown:
        raise ValueError(f"values not among the labels {list(label_order)}: {sorted(map(str, unknown))}")
    # scikit-learn costs ~100 MB to import; only scoring needs it.
    from sklearn.exceptions import UndefinedMetricWarning
    from sklearn.metrics import (
        accuracy_score,
        cohen_kappa_score,
        confusion_matrix,
        f1_score,
        precision_recall_fscore_support,
    )

    precision, recall, f1, support = precision_recall_fscore_support(
        y_true, y_pred, labels=list(label_order), average=None, zero_division=np.nan
    )
    matrix = confusion_matrix(y_true, y_pred, labels=list(label_order))
    predicted = matrix.sum(axis=0)
    macro_f1 = f1_score(y_true, y_pred, labels=list(label_order), average="macro", zero_division=np.nan)
    micro_f1 = f1_score(y_true, y_pred, labels=list(label_order), average="micro", zero_division=np.nan)
    with warnings.catch_warnings():
        # The undefined case is the one we turn into None below; the warning adds nothing.
        warnings.simplefilter("ignore", UndefinedMetricWarning)
        kappa = cohen_kappa_score(y_true, y_pred, labels=list(label_order), replace_undefined_by=np.nan)
    return ClassificationReport(
        items=len(y_true),
        labels=label_order,
        accuracy=float(accuracy_score(y_true, y_pred)),
        per_class=tuple(
            ClassMetrics(
                label=label,
                precision=_defined(precision[index]),
                recall=_defined(recall[index]),
                f1=_defined(f1[index]),
                support=int(support[index]),
                predicted=int(predicted[index]),
            )
            for index, label in enumerate(label_order)
        ),
        macro_f1=_defined(macro_f1),
        micro_f1=float(micro_f1),
        confusion_matrix=tuple(tuple(int(count) for count in row) for row in matrix),
        kappa=_defined(kappa),
    )


@dataclass(frozen=True)
class CalibrationBin:
    low: float  # the bin is (low, high]; the first bin also holds scores of exactly 0
    high: float
    items: int
    accuracy: float | None  # share of the bin's predictions that are correct; None for an empty bin
    confidence: float | None  # mean score in the bin; None for an empty bin


def reliability_bins(correct: Sequence[bool], scores: Sequence[float], bins: int = 10) -> list[CalibrationBin]:
    """Accuracy against mean score in `bins` equal-width score bins on [0, 1], the reliability diagram.

    A score is the model's confidence in the label it predicted. Bins are right-closed,
    (k/bins, (k+1)/bins], with 0 in the first bin: the convention of Guo et al. (2017) and of
    scikit-learn's `calibration_curve(strategy="uniform")`, so a score of exactly 0.7 falls in (0.6, 0.7].
    """
    if len(correct) != len(scores):
        raise ValueError(f"correct and scores differ in length ({len(correct)} and {len(scores)})")
    if not scores:
        raise ValueError("no scores to calibrate")
    if bins < 1:
        raise ValueError(f"bins must be at least 1, got {bins}")
    score_array = np.asarray(scores, dtype=float)
    if not np.all((score_array >= 0) & (score_array <= 1)):
        raise ValueError("scores must be probabilities in [0, 1]")
    correct_array = np.asarray(correct, dtype=float)
    # k / bins computed by one correctly rounded division, so the edge 0.7 is the float 0.7.
    edges = np.arange(bins + 1) / bins
    bin_of_score = np.searchsorted(edges[1:-1], score_array, side="left")
    items = np.bincount(bin_of_score, minlength=bins)
    correct_sums = np.bincount(bin_of_score, weights=correct_array, minlength=bins)
    score_sums = np.bincount(bin_of_score, weights=score_array, minlength=bins)
    return [
        CalibrationBin(
            low=float(edges[index]),
            high=float(edges[index + 1]),
            items=int(items[index]),
            accuracy=float(correct_sums[index] / items[index]) if items[index] else None,
            confidence=float(score_sums[index] / items[index]) if items[index] else None,
        )
        for index in range(bins)
    ]


def expected_calibration_error(correct: Sequence[bool], scores: Sequence[float], bins: int = 10) -> float:
    """ECE: sum over bins of (bin items / all items) * |bin accuracy - bin mean score|; 0 is perfectly calibrated.

    Equal-width bins as in `reliability_bins`; empty bins weigh nothing.
    """
    total = len(scores)
    return float(
        sum(
            calibration_bin.items / total * abs(calibration_bin.accuracy - calibration_bin.confidence)
            for calibration_bin in reliability_bins(correct, scores, bins)
            if calibration_bin.accuracy is not None and calibration_bin.confidence is not None
        )
    )


@dataclass(frozen=True)
class LatencyPercentiles:
    items: int
    p50_ms: float
    p95_ms: float
    p99_ms: float


def latency_percentiles(latencies_ms: Sequence[float]) -> LatencyPercentiles | None:
    """p50, p95 and p99 of the latencies; None when there are none (a run uploaded without latencies).

    NumPy's default "linear" method: the percentile interpolates between the two nearest sorted values,
    at rank (n - 1) * p / 100, so p99 of 10 latencies lies between the 9th and 10th (R's type 7).
    """
    if not latencies_ms:
        return None
    values = np.asarray(latencies_ms, dtype=float)
    if not np.all(np.isfinite(values)) or np.any(values < 0):
        raise ValueError("latencies must be finite, non-negative numbers of milliseconds")
    p50, p95, p99 = np.percentile(values, [50, 95, 99], method="linear")
    return LatencyPercentiles(items=len(values), p50_ms=float(p50), p95_ms=float(p95), p99_ms=float(p99))


@dataclass(frozen=True)
class HallucinationRate:
    items: int
    hallucinated: int
    rate: float
    low: float  # Wilson 95% interval of the rate
    high: float


def hallucination_rate(labels: Sequence[Label], *, hallucination_label: Label) -> HallucinationRate | None:
    """Share of items labeled `hallucination_label` on the config's hallucination control, with a Wilson interval.

    Pass gold labels for the rate people found in the bot's replies, or a run's predictions for the rate
    the model flags; their per-class recall and precision are in `classification_report`. None when no
    item carries the label control.
    """
    if not labels:
        return None
    hallucinated = sum(1 for label in labels if label == hallucination_label)
    interval = wilson_interval(hallucinated, len(labels))
    assert interval is not None  # there are items
    return HallucinationRate(
        items=len(labels), hallucinated=hallucinated, rate=hallucinated / len(labels), low=interval[0], high=interval[1]
    )


@dataclass(frozen=True)
class SliceReport:
    value: str | None  # the slice value, e.g. "en" or "refund"; None for items without one
    items: int
    report: ClassificationReport


def by_slice(
    y_true: Sequence[Label], y_pred: Sequence[Label], slice_values: Sequence[str | None], *, labels: Sequence[Label]
) -> list[SliceReport]:
    """One classification report per slice value (item i is in slice `slice_values[i]`), sorted, None last.

    One call per slicing: languages, or gold scenarios. Every slice keeps the full label order, so its
    confusion matrix lines up with the whole run's. Small slices give noisy figures: show `items`.
    """
    if not len(y_true) == len(y_pred) == len(slice_values):
        raise ValueError(
            f"gold, predictions and slice values differ in length ({len(y_true)}, {len(y_pred)}, {len(slice_values)})"
        )
    positions: dict[str | None, list[int]] = {}
    for index, value in enumerate(slice_values):
        positions.setdefault(value, []).append(index)
    return [
        SliceReport(
            value=value,
            items=len(indexes),
            report=classification_report([y_true[i] for i in indexes], [y_pred[i] for i in indexes], labels),
        )
        for value, indexes in sorted(positions.items(), key=lambda entry: (entry[0] is None, entry[0] or ""))
    ]
