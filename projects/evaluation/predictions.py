"""A model's predictions, read from a JSON Lines file or asked of its chat endpoint, checked against the gold items.

A predictions file holds one object per line:

    {"external_id": "conv-001", "prediction": "refund", "score": 0.91, "latency_ms": 420,
     "model": "triage-bot", "model_version": "2024-06"}

`prediction` is one of the control's options (the alias when the config gives one); `score` (the model's
confidence in its prediction, 0 to 1), `latency_ms`, `model` and `model_version` are optional. The whole file is
checked before anything is written (`read_predictions` reports every problem with file, line and field). Or the
predictions are asked of the model's chat endpoint item by item (`ask_endpoint`, see projects.evaluation.endpoint).
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from projects.evaluation.endpoint import ChatEndpoint, EndpointError, ask, render_prompt
from projects.evaluation.errors import EvaluationRefused, PredictionFileError
from projects.evaluation.gold import GoldItem


@dataclass(frozen=True)
class Prediction:
    external_id: str
    prediction: str
    score: float | None
    latency_ms: float | None


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
    for number, line in enumerate(_lines(path), start=1):
        if not line.strip():
            continue
        row = _json_object(line, path.name, number, problems)
        if row is None:
            continue

        def problem(field: str, message: str, number: int = number) -> None:
            problems.append(f"{path.name} line {number}, field {field}: {message}")

        _check_row(row, number, problem, gold=gold, options=options, control=control, seen=seen)
        if row.get("model") is not None:
            models.add((str(row.get("model")), str(row.get("model_version") or "")))
        predictions.append(
            Prediction(
                external_id=str(row.get("external_id")),
                prediction=str(row.get("prediction")),
                score=_number(row.get("score")),
                latency_ms=_number(row.get("latency_ms")),
            )
        )
    if not problems and not predictions:
        problems.append(f"{path.name}: no predictions in the file")
    if problems:
        raise PredictionFileError(problems)
    return predictions, models


def _lines(path: Path) -> list[str]:
    try:
        return path.read_bytes().decode("utf-8-sig").splitlines()
    except OSError as error:
        raise EvaluationRefused(f"Cannot read {path}: {error.strerror or error}.") from None
    except UnicodeDecodeError as error:
        raise EvaluationRefused(f"{path.name} is not UTF-8 (byte {error.start}).") from None


def _json_object(line: str, file_name: str, number: int, problems: list[str]) -> dict[str, Any] | None:
    """The line's JSON object, or None with the problem added."""
    try:
        row = json.loads(line)
    except json.JSONDecodeError as error:
        problems.append(f"{file_name} line {number}: not JSON ({error.msg})")
        return None
    if not isinstance(row, dict):
        problems.append(f"{file_name} line {number}: expected a JSON object")
        return None
    return row


def _check_row(
    row: dict[str, Any],
    number: int,
    problem: Callable[[str, str], None],
    *,
    gold: dict[str, GoldItem],
    options: dict[str, str],
    control: str,
    seen: dict[str, int],
) -> None:
    """Report each field of one line that is wrong, in the order of the fields; remember the line's external_id."""
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
