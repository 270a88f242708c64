"""An evaluation run's report: the JSON-ready figures stored on the run and drawn by the report page.

`build_report` gathers, from the pure metrics (metrics.py), the classification scores, per-class figures and
confusion matrix, the calibration (when predictions carry a score), latency percentiles, hallucination rates,
the scores by language and scenario, and the worst cases (wrong predictions, most confident first).
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from projects.evaluation import metrics
from projects.evaluation.gold import HALLUCINATION_CONTROL, SLICE_CONTROL, GoldItem
from projects.evaluation.predictions import Prediction

HALLUCINATION_LABEL = "yes"
WORST_CASES = 50


def build_report(
    predictions: list[Prediction], gold: dict[str, GoldItem], *, control: str, options: dict[str, str]
) -> dict[str, Any]:
    """The whole evaluation report as JSON-ready data, from the pure metrics."""
    items = [gold[prediction.external_id] for prediction in predictions]
    y_true = [item.label for item in items]
    y_pred = [prediction.prediction for prediction in predictions]
    labels = list(options) + sorted({label for label in y_true if label not in options})
    report = metrics.classification_report(y_true, y_pred, labels)
    correct = [truth == predicted for truth, predicted in zip(y_true, y_pred, strict=True)]
    latency = metrics.latency_percentiles([p.latency_ms for p in predictions if p.latency_ms is not None])
    return {
        "control": control,
        "labels": list(report.labels),
        "items": report.items,
        **_classification(report),
        "per_class": [asdict(entry) for entry in report.per_class],
        "confusion_matrix": [list(row) for row in report.confusion_matrix],
        "calibration": _calibration(predictions, correct),
        "latency": asdict(latency) if latency else None,
        "hallucination": _hallucination(items, y_pred, control),
        "slices": _slices(items, y_true, y_pred, labels),
        "worst_cases": _worst_cases(predictions, items, correct),
    }


def _classification(report: metrics.ClassificationReport) -> dict[str, Any]:
    return {
        "accuracy": report.accuracy,
        "macro_f1": report.macro_f1,
        "micro_f1": report.micro_f1,
        "kappa": report.kappa,
    }


def _calibration(predictions: list[Prediction], correct: list[bool]) -> dict[str, Any] | None:
    """Expected calibration error and reliability bins over the predictions that carry a score."""
    scored = [(ok, p.score) for ok, p in zip(correct, predictions, strict=True) if p.score is not None]
    if not scored:
        return None
    scored_correct, scores = [ok for ok, _ in scored], [score for _, score in scored]
    return {
        "items": len(scored),
        "ece": metrics.expected_calibration_error(scored_correct, scores),
        "bins": [asdict(calibration_bin) for calibration_bin in metrics.reliability_bins(scored_correct, scores)],
    }


def _hallucination(items: list[GoldItem], y_pred: list[str], control: str) -> dict[str, Any] | None:
    """The gold hallucination rate, and the predicted one when the control scored is hallucination itself."""
    gold_flags = [item.hallucination for item in items if item.hallucination is not None]
    if not gold_flags and control != HALLUCINATION_CONTROL:
        return None
    gold_rate = metrics.hallucination_rate(gold_flags, hallucination_label=HALLUCINATION_LABEL)
    predicted_rate = (
        metrics.hallucination_rate(y_pred, hallucination_label=HALLUCINATION_LABEL)
        if control == HALLUCINATION_CONTROL
        else None
    )
    return {
        "gold": asdict(gold_rate) if gold_rate else None,
        "predicted": asdict(predicted_rate) if predicted_rate else None,
    }


def _slices(items: list[GoldItem], y_true: list[str], y_pred: list[str], labels: list[str]) -> dict[str, Any]:
    """The classification scores by language and by scenario (a slice none of the items has is left out)."""
    slices = {
        "language": [item.language for item in items],
        SLICE_CONTROL: [item.scenario for item in items],
    }
    return {
        name: [
            {"value": entry.value, "items": entry.items, **_classification(entry.report)}
            for entry in metrics.by_slice(y_true, y_pred, values, labels=labels)
        ]
        for name, values in slices.items()
        if any(value is not None for value in values)
    }


def _worst_cases(predictions: list[Prediction], items: list[GoldItem], correct: list[bool]) -> list[dict[str, Any]]:
    """The wrong predictions, most confident first (unscored last), at most WORST_CASES."""
    by_prediction = list(zip(predictions, items, correct, strict=True))
    worst = sorted(
        (entry for entry in by_prediction if not entry[2]),
        key=lambda entry: (entry[0].score is None, -(entry[0].score or 0), entry[0].external_id),
    )[:WORST_CASES]
    return [
        {
            "external_id": prediction.external_id,
            "gold": item.label,
            "prediction": prediction.prediction,
            "score": prediction.score,
            "language": item.language,
        }
        for prediction, item, _ in worst
    ]
