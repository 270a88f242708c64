"""Evaluating models against gold dataset versions: score a run, compare two runs, send bad cases back to labeling.

A run scores one single-choice control (e.g. scenario) of one dataset version. Predictions come from a
JSON Lines file, one object per line:

    {"external_id": "conv-001", "prediction": "refund", "score": 0.91, "latency_ms": 420,
     "model": "triage-bot", "model_version": "2024-06"}

`prediction` is one of the control's options (the alias when the config gives one); `score` (the model's
confidence in its prediction, 0 to 1), `latency_ms`, `model` and `model_version` are optional. Or the
predictions are asked of the model's chat endpoint item by item (see projects.evaluation.endpoint).

The whole input is checked before anything is written; every problem is reported with file, line and
field, and a run is stored, with its predictions, in one transaction or not at all.

The bad-case loop: `send_bad_cases` copies the run's wrong and low-confidence items into new tasks of the
version's project, external_id "<external_id>~<run id>", in a new batch named after the run, with the
model's output as a pre-annotation. They are labeled like any task; once their labels qualify (consensus
above the project's threshold, or a QA correction or adjudication), the project's next
`build_dataset_version` takes them in as new items, and `diff(previous, next).added` lists them.
The copy is a new item beside the original (external_id is unique per project and a built version
never changes), in its original's split (projects.datasets.builds.split_key), so one conversation
never sits in two splits.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from defusedxml import ElementTree
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction

from projects.audit import attribute_changes_to
from projects.datasets.builds import BAD_CASE_SEPARATOR
from projects.datasets.queries import dataset_items
from projects.errors import Refusal
from projects.evaluation import comparison, metrics
from projects.evaluation.endpoint import ChatEndpoint, EndpointError, ask, render_prompt
from projects.labeling.label_config import answer_to_result, cached_label_config
from projects.models import Batch, DatasetVersion, EvaluationPrediction, EvaluationRun, Task, Vendor

HALLUCINATION_CONTROL = "hallucination"
HALLUCINATION_LABEL = "yes"
SLICE_CONTROL = "scenario"
WORST_CASES = 50
PROBLEMS_SHOWN = 20
WRITE_CHUNK = 5000


class EvaluationRefused(Refusal):
    """An evaluation that cannot be done as asked (wrong control, unreachable model, ...); the message says why."""


class PredictionFileError(EvaluationRefused):
    """A predictions file with problems; each names the file, the line and the field. Nothing was written."""

    def __init__(self, problems: list[str]) -> None:
        shown = problems[:PROBLEMS_SHOWN]
        more = f"\n… and {len(problems) - PROBLEMS_SHOWN} more" if len(problems) > PROBLEMS_SHOWN else ""
        super().__init__(
            f"{len(problems)} problem(s) in the predictions; nothing was written:\n" + "\n".join(shown) + more
        )
        self.problems = problems


@dataclass(frozen=True)
class GoldItem:
    external_id: str
    label: str
    language: str
    scenario: str | None
    hallucination: str | None
    data: dict[str, Any]


@dataclass(frozen=True)
class Prediction:
    external_id: str
    prediction: str
    score: float | None
    latency_ms: float | None


# -- the control and its gold labels -----------------------------------------------------------------


def control_options(version: DatasetVersion, control: str) -> dict[str, str]:
    """The control's options, alias → display value; EvaluationRefused unless it is a single-choice control."""
    config = cached_label_config(version.project.label_config)
    tag = config.controls.get(control)
    if tag is None or not tag.single_choice:
        single = sorted(name for name, candidate in config.controls.items() if candidate.single_choice)
        raise EvaluationRefused(
            f"{control!r} is not a single-choice control of {version.project.slug} "
            f"(single-choice controls: {', '.join(single) or 'none'})."
        )
    options = {}
    for element in ElementTree.fromstring(config.xml).iter("Choices"):
        if element.get("name") == control:
            for choice in element.iter("Choice"):
                value = choice.get("value") or ""
                options[choice.get("alias") or value] = value
    return options


def _gold_items(version: DatasetVersion, control: str) -> dict[str, GoldItem]:
    items = {}
    for external_id, language, label, data in dataset_items(version).values_list(
        "external_id", "language", "label", "data"
    ):
        if label.get(control) is None:
            continue
        items[external_id] = GoldItem(
            external_id=external_id,
            label=label[control],
            language=language,
            scenario=label.get(SLICE_CONTROL),
            hallucination=label.get(HALLUCINATION_CONTROL),
            data=data,
        )
    return items


# -- reading predictions --------------------------------------------------------------------------


def _number(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        return None
    return float(value)


def read_predictions(
    path: Path, *, gold: dict[str, GoldItem], options: dict[str, str], control: str
) -> tuple[list[Prediction], set[tuple[str, str]]]:
    """The file's predictions and the (model, model_version) pairs it names; PredictionFileError lists every problem."""
    problems: list[str] = []
    predictions: list[Prediction] = []
    models: set[tuple[str, str]] = set()
    seen: dict[str, int] = {}
    try:
        lines = path.read_bytes().decode("utf-8-sig").splitlines()
    except OSError as error:
        raise EvaluationRefused(f"Cannot read {path}: {error.strerror or error}.") from None
    except UnicodeDecodeError as error:
        raise EvaluationRefused(f"{path.name} is not UTF-8 (byte {error.start}).") from None
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue

        def problem(field: str, message: str, number: int = number) -> None:
            problems.append(f"{path.name} line {number}, field {field}: {message}")

        try:
            row = json.loads(line)
        except json.JSONDecodeError as error:
            problems.append(f"{path.name} line {number}: not JSON ({error.msg})")
            continue
        if not isinstance(row, dict):
            problems.append(f"{path.name} line {number}: expected a JSON object")
            continue
        external_id = row.get("external_id")
        if not isinstance(external_id, str) or not external_id:
            problem("external_id", "missing or not text")
        elif external_id not in gold:
            problem("external_id", f"{external_id!r} is not an item of the version with a {control} label")
        elif external_id in seen:
            problem("external_id", f"{external_id!r} repeats line {seen[external_id]}")
        else:
            seen[external_id] = number
        prediction = row.get("prediction")
        if not isinstance(prediction, str) or prediction not in options:
            problem("prediction", f"{prediction!r} is not a label of {control} (labels: {', '.join(options)})")
        score = row.get("score")
        if score is not None and not (_number(score) is not None and 0 <= score <= 1):
            problem("score", f"{score!r} is not a number from 0 to 1")
        latency = row.get("latency_ms")
        if latency is not None and not (_number(latency) is not None and latency >= 0):
            problem("latency_ms", f"{latency!r} is not a non-negative number of milliseconds")
        for field in ("model", "model_version"):
            if row.get(field) is not None and not isinstance(row[field], str):
                problem(field, "must be text")
        if row.get("model") is not None:
            models.add((str(row.get("model")), str(row.get("model_version") or "")))
        predictions.append(
            Prediction(
                external_id=str(external_id),
                prediction=str(prediction),
                score=_number(score),
                latency_ms=_number(latency),
            )
        )
    if not problems and not predictions:
        problems.append(f"{path.name}: no predictions in the file")
    if problems:
        raise PredictionFileError(problems)
    return predictions, models


def ask_endpoint(
    endpoint: ChatEndpoint, *, gold: dict[str, GoldItem], options: dict[str, str], template: str
) -> list[Prediction]:
    """One prediction per gold item from the model's chat endpoint; EvaluationRefused naming the item that failed."""
    predictions = []
    for item in gold.values():
        try:
            answer = ask(endpoint, render_prompt(template, item.data, list(options)), options)
        except EndpointError as error:
            raise EvaluationRefused(f"Item {item.external_id}: {error}. Nothing was written.") from None
        predictions.append(Prediction(item.external_id, answer.label, answer.score, answer.latency_ms))
    return predictions


# -- the report ------------------------------------------------------------------------------------


def _classification(report: metrics.ClassificationReport) -> dict[str, Any]:
    return {
        "accuracy": report.accuracy,
        "macro_f1": report.macro_f1,
        "micro_f1": report.micro_f1,
        "kappa": report.kappa,
    }


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
    scored = [(ok, p.score) for ok, p in zip(correct, predictions, strict=True) if p.score is not None]
    calibration = None
    if scored:
        scored_correct, scores = [ok for ok, _ in scored], [score for _, score in scored]
        calibration = {
            "items": len(scored),
            "ece": metrics.expected_calibration_error(scored_correct, scores),
            "bins": [asdict(calibration_bin) for calibration_bin in metrics.reliability_bins(scored_correct, scores)],
        }
    latency = metrics.latency_percentiles([p.latency_ms for p in predictions if p.latency_ms is not None])
    hallucination = None
    gold_flags = [item.hallucination for item in items if item.hallucination is not None]
    if gold_flags or control == HALLUCINATION_CONTROL:
        gold_rate = metrics.hallucination_rate(gold_flags, hallucination_label=HALLUCINATION_LABEL)
        predicted_rate = (
            metrics.hallucination_rate(y_pred, hallucination_label=HALLUCINATION_LABEL)
            if control == HALLUCINATION_CONTROL
            else None
        )
        hallucination = {
            "gold": asdict(gold_rate) if gold_rate else None,
            "predicted": asdict(predicted_rate) if predicted_rate else None,
        }
    slices = {
        "language": [item.language for item in items],
        SLICE_CONTROL: [item.scenario for item in items],
    }
    by_prediction = list(zip(predictions, items, correct, strict=True))
    worst = sorted(
        (entry for entry in by_prediction if not entry[2]),
        key=lambda entry: (entry[0].score is None, -(entry[0].score or 0), entry[0].external_id),
    )[:WORST_CASES]
    return {
        "control": control,
        "labels": list(report.labels),
        "items": report.items,
        **_classification(report),
        "per_class": [asdict(entry) for entry in report.per_class],
        "confusion_matrix": [list(row) for row in report.confusion_matrix],
        "calibration": calibration,
        "latency": asdict(latency) if latency else None,
        "hallucination": hallucination,
        "slices": {
            name: [
                {"value": entry.value, "items": entry.items, **_classification(entry.report)}
                for entry in metrics.by_slice(y_true, y_pred, values, labels=labels)
            ]
            for name, values in slices.items()
            if any(value is not None for value in values)
        },
        "worst_cases": [
            {
                "external_id": prediction.external_id,
                "gold": item.label,
                "prediction": prediction.prediction,
                "score": prediction.score,
                "language": item.language,
            }
            for prediction, item, _ in worst
        ],
    }


# -- the use cases ----------------------------------------------------------------------------------


def evaluate_predictions(
    *,
    dataset_version: DatasetVersion,
    control: str,
    predictions_path: Path | str | None = None,
    endpoint: ChatEndpoint | None = None,
    user: AbstractBaseUser | None,
    model_name: str = "",
    model_version: str = "",
) -> EvaluationRun:
    """Score a model's predictions (a JSONL file, or asked of its endpoint) against the version; atomic.

    The model name and version given here win over the file's `model` and `model_version` fields.
    """
    if (predictions_path is None) == (endpoint is None):
        raise EvaluationRefused("Give either a predictions file or a model endpoint, not both or neither.")
    options = control_options(dataset_version, control)
    gold = _gold_items(dataset_version, control)
    if not gold:
        raise EvaluationRefused(f"No item of {dataset_version} has a {control} label to score against.")
    if predictions_path is not None:
        path = Path(predictions_path)
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
        source = path.name
    else:
        assert endpoint is not None
        if not endpoint.base_url.startswith(("http://", "https://")):
            raise EvaluationRefused(f"The endpoint must be an http(s) URL, got {endpoint.base_url!r}.")
        predictions = ask_endpoint(
            endpoint, gold=gold, options=options, template=dataset_version.project.evaluation_prompt_template
        )
        model_name = model_name or endpoint.model
        source = endpoint.url
    report = build_report(predictions, gold, control=control, options=options)
    with transaction.atomic():
        run = EvaluationRun.objects.create(
            dataset_version=dataset_version,
            control=control,
            model_name=model_name[:200],
            model_version=model_version[:100],
            source=source[:500],
            metrics=report,
            item_count=len(predictions),
            missing_count=len(gold) - len(predictions),
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
                for prediction in predictions
            ),
            batch_size=WRITE_CHUNK,
        )
    return run


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
    gold = {external_id: item.label for external_id, item in _gold_items(run_a.dataset_version, run_a.control).items()}
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


def bad_cases(run: EvaluationRun, *, confidence_below: float = 0.6) -> Iterable[EvaluationPrediction]:
    """The run's wrong predictions, most confident first, then its right but unsure ones, least confident first."""
    wrong = run.predictions.filter(correct=False).order_by("-score", "external_id")
    unsure = run.predictions.filter(correct=True, score__lt=confidence_below).order_by("score", "external_id")
    yield from wrong.iterator()
    yield from unsure.iterator()


def bad_case_batch_name(run: EvaluationRun) -> str:
    return f"bad cases of evaluation run {run.pk}"


@transaction.atomic
def send_bad_cases(
    *,
    run: EvaluationRun,
    user: AbstractBaseUser | None,
    confidence_below: float = 0.6,
    limit: int | None = None,
    vendor: Vendor | None = None,
) -> Batch:
    """A new batch of the run's wrong and low-confidence items, as new tasks pre-annotated with the model's output.

    Atomic; sending the same run twice is refused (the batch name carries the run). The vendor defaults
    to the one that labeled most of the original tasks.
    """
    project = run.dataset_version.project
    name = bad_case_batch_name(run)
    if Batch.objects.filter(project=project, name=name).exists():
        raise EvaluationRefused(f"Run {run.pk}'s bad cases were already sent (batch {name!r}).")
    chosen = list(bad_cases(run, confidence_below=confidence_below))[:limit]
    if not chosen:
        raise EvaluationRefused(f"Run {run.pk} has no wrong or low-confidence (< {confidence_below:g}) items.")
    originals = {
        item.external_id: item.task
        for item in run.dataset_version.items.filter(external_id__in=[p.external_id for p in chosen]).select_related(
            "task__batch"
        )
    }
    if vendor is None:
        vendors = Counter(task.batch.vendor_id for task in originals.values() if task.batch and task.batch.vendor_id)
        vendor = Vendor.objects.filter(pk=vendors.most_common(1)[0][0]).first() if vendors else None
    if user is not None:
        attribute_changes_to(user)
    batch = Batch(project=project, name=name, vendor=vendor, target_count=len(chosen))
    batch.full_clean()
    batch.save()
    config = cached_label_config(project.label_config)
    model = f"{run.model_name} {run.model_version}".strip()
    Task.objects.bulk_create(
        [
            Task(
                project=project,
                batch=batch,
                external_id=f"{prediction.external_id}{BAD_CASE_SEPARATOR}{run.pk}",
                data=originals[prediction.external_id].data,
                original_data=originals[prediction.external_id].original_data,
                language=originals[prediction.external_id].language,
                predictions=[
                    {
                        "result": answer_to_result(config, {run.control: prediction.prediction}),
                        "model_version": model,
                        **({"score": prediction.score} if prediction.score is not None else {}),
                    }
                ],
            )
            for prediction in chosen
        ],
        batch_size=WRITE_CHUNK,
    )
    return batch
