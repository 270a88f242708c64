"""Evaluation runs: scoring a model's predictions against a gold dataset version, and comparing two runs.

A run scores one single-choice control (e.g. scenario) of one dataset version. `evaluate_predictions` reads as
its steps: the gold to score against (gold.py), the predictions from a file or the model's endpoint
(predictions.py), the report (reports.py), the run and its predictions stored in one transaction or not at all.
`compare_runs` sets two runs on the same items side by side with the paired tests of comparison.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction

from projects.audit import Actor, records_actor
from projects.evaluation import comparison
from projects.evaluation.endpoint import ChatEndpoint
from projects.evaluation.errors import EvaluationRefused, PredictionFileError
from projects.evaluation.gold import GoldItem, control_options, gold_items
from projects.evaluation.predictions import Prediction, ask_endpoint, read_predictions
from projects.evaluation.reports import build_report
from projects.models import DatasetVersion, EvaluationPrediction, EvaluationRun

WRITE_CHUNK = 5000


@dataclass(frozen=True)
class _Predicted:
    """The predictions to score and where they came from: the model named and the file or endpoint."""

    predictions: list[Prediction]
    model_name: str
    model_version: str
    source: str


@records_actor
def evaluate_predictions(
    *,
    dataset_version: DatasetVersion,
    control: str,
    predictions_path: Path | str | None = None,
    endpoint: ChatEndpoint | None = None,
    actor: Actor,
    model_name: str = "",
    model_version: str = "",
) -> EvaluationRun:
    """Score a model's predictions (a JSONL file, or asked of its endpoint) against the version; atomic.

    The model name and version given here win over the file's `model` and `model_version` fields.
    """
    if (predictions_path is None) == (endpoint is None):
        raise EvaluationRefused("Give either a predictions file or a model endpoint, not both or neither.")
    options = control_options(dataset_version, control)
    gold = _gold_to_score(dataset_version, control)
    if predictions_path is not None:
        predicted = _predictions_from_file(Path(predictions_path), gold, options, control, model_name, model_version)
    else:
        assert endpoint is not None
        predicted = _predictions_from_endpoint(endpoint, dataset_version, gold, options, model_name, model_version)
    report = build_report(predicted.predictions, gold, control=control, options=options)
    return _store_run(dataset_version, control, gold, predicted, report, actor.user)


def _gold_to_score(dataset_version: DatasetVersion, control: str) -> dict[str, GoldItem]:
    gold = gold_items(dataset_version, control)
    if not gold:
        raise EvaluationRefused(f"No item of {dataset_version} has a {control} label to score against.")
    return gold


def _predictions_from_file(
    path: Path, gold: dict[str, GoldItem], options: dict[str, str], control: str, model_name: str, model_version: str
) -> _Predicted:
    """The file's predictions, and the one model it names unless one is given."""
    predictions, models = read_predictions(path, gold=gold, options=options, control=control)
    if not model_name:
        if len(models) > 1:
            raise PredictionFileError(
                [f"{path.name}: lines name {len(models)} different models; evaluate one model per file"]
            )
        model_name, file_version = next(iter(models), ("", ""))
        model_version = model_version or file_version
    if not model_name:
        raise PredictionFileError([f'{path.name}: no model name; give one or a "model" field on the lines'])
    return _Predicted(predictions, model_name, model_version, path.name)


def _predictions_from_endpoint(
    endpoint: ChatEndpoint,
    dataset_version: DatasetVersion,
    gold: dict[str, GoldItem],
    options: dict[str, str],
    model_name: str,
    model_version: str,
) -> _Predicted:
    """One prediction per gold item, asked of the model's endpoint with the project's prompt template."""
    if not endpoint.base_url.startswith(("http://", "https://")):
        raise EvaluationRefused(f"The endpoint must be an http(s) URL, got {endpoint.base_url!r}.")
    predictions = ask_endpoint(
        endpoint, gold=gold, options=options, template=dataset_version.project.evaluation_prompt_template
    )
    return _Predicted(predictions, model_name or endpoint.model, model_version, endpoint.url)


@transaction.atomic
def _store_run(
    dataset_version: DatasetVersion,
    control: str,
    gold: dict[str, GoldItem],
    predicted: _Predicted,
    report: dict[str, Any],
    user: AbstractBaseUser | None,
) -> EvaluationRun:
    """The run and every prediction, marked right or wrong, in one transaction."""
    run = EvaluationRun.objects.create(
        dataset_version=dataset_version,
        control=control,
        model_name=predicted.model_name[:200],
        model_version=predicted.model_version[:100],
        source=predicted.source[:500],
        metrics=report,
        item_count=len(predicted.predictions),
        missing_count=len(gold) - len(predicted.predictions),
        created_by=user,
    )
    EvaluationPrediction.objects.bulk_create(
        (
            EvaluationPrediction(
                run=run,
                external_id=prediction.external_id,
                prediction=prediction.prediction,
                score=prediction.score,
                latency_ms=prediction.latency_ms,
                correct=prediction.prediction == gold[prediction.external_id].label,
            )
            for prediction in predicted.predictions
        ),
        batch_size=WRITE_CHUNK,
    )
    return run


# -- comparing two runs -----------------------------------------------------------------------------


@dataclass(frozen=True)
class RunComparison:
    run_a: EvaluationRun
    run_b: EvaluationRun
    items: int  # items both runs predicted: the paired comparison is over these
    accuracy_a: float
    accuracy_b: float
    bootstrap: comparison.BootstrapDifference
    mcnemar: comparison.McNemarResult
    disagreements: list[comparison.Disagreement]


def _predicted_labels(run: EvaluationRun) -> dict[str, Any]:
    return dict(run.predictions.values_list("external_id", "prediction").iterator(chunk_size=WRITE_CHUNK))


def compare_runs(run_a: EvaluationRun, run_b: EvaluationRun) -> RunComparison:
    """Run A against run B on the items both predicted: accuracy difference (bootstrap), McNemar, disagreements."""
    if run_a.dataset_version_id != run_b.dataset_version_id or run_a.control != run_b.control:
        raise EvaluationRefused(
            f"Runs {run_a.pk} and {run_b.pk} are not on the same dataset version and control; "
            "only runs on the same items can be compared."
        )
    gold = {external_id: item.label for external_id, item in gold_items(run_a.dataset_version, run_a.control).items()}
    predictions_a, predictions_b = _predicted_labels(run_a), _predicted_labels(run_b)
    external_ids = sorted(set(predictions_a) & set(predictions_b) & set(gold))
    if not external_ids:
        raise EvaluationRefused(f"Runs {run_a.pk} and {run_b.pk} have no item in common.")
    gold_labels = [gold[external_id] for external_id in external_ids]
    labels_a = [predictions_a[external_id] for external_id in external_ids]
    labels_b = [predictions_b[external_id] for external_id in external_ids]
    correct_a = [truth == label for truth, label in zip(gold_labels, labels_a, strict=True)]
    correct_b = [truth == label for truth, label in zip(gold_labels, labels_b, strict=True)]
    return RunComparison(
        run_a=run_a,
        run_b=run_b,
        items=len(external_ids),
        accuracy_a=sum(correct_a) / len(external_ids),
        accuracy_b=sum(correct_b) / len(external_ids),
        bootstrap=comparison.paired_bootstrap(correct_a, correct_b),
        mcnemar=comparison.mcnemar(correct_a, correct_b),
        disagreements=comparison.disagreements(external_ids, gold_labels, labels_a, labels_b),
    )
