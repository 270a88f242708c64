"""Checking one imported record against a project's label config."""

from __future__ import annotations

import json
from dataclasses import dataclass

from projects.ingest.errors import RowError
from projects.ingest.language import detect_language, texts_of
from projects.ingest.past_work import PastWorkReader
from projects.ingest.readers import RawRecord
from projects.labeling.label_config import LabelConfig, answer_to_result, result_errors

RESERVED_KEYS = ("external_id", "gold_answer", "predictions", "meta", "annotations", "id")
# Object tags whose $variable holds structured data (a list of turns, a table), so
# a CSV cell for them is parsed as JSON.
STRUCTURED_TAGS = frozenset({"Paragraphs", "Table", "List", "Chat", "TimeSeries"})


@dataclass(frozen=True)
class TaskRow:
    line: int
    external_id: str
    data: dict
    language: str
    is_gold: bool
    gold_answer: list | None
    predictions: list
    # The data as the file had it, when redaction changed it and the project keeps originals.
    original_data: dict | None = None
    # Annotations made before annotate (a Label Studio export's, other than ground truth), as stored rows.
    past_work: tuple[dict, ...] = ()


@dataclass(frozen=True)
class Limits:
    max_field_chars: int
    max_external_id_chars: int


class RecordValidator:
    """Turns raw records into TaskRows or RowErrors for one file and one label config."""

    def __init__(
        self,
        *,
        config: LabelConfig,
        file_name: str,
        file_format: str,
        limits: Limits,
        past_work: PastWorkReader | None = None,
    ) -> None:
        self.config = config
        self.past_work = past_work
        self.file_name = file_name
        self.file_format = file_format
        self.limits = limits
        self.data_key_tags = config.data_key_tags()

    def validate(self, record: RawRecord) -> TaskRow | list[RowError]:
        errors: list[RowError] = []

        def error(field: str | None, message: str) -> None:
            errors.append(RowError(self.file_name, record.line, field, message))

        values = record.values
        if not isinstance(values, dict):
            error(None, f"expected a JSON object for the task, got {type(values).__name__}")
            return errors

        if isinstance(values.get("data"), dict):
            data = dict(values["data"])
            meta = values.get("meta") if isinstance(values.get("meta"), dict) else {}
            raw_external_id = values.get("external_id", meta.get("external_id", data.get("external_id")))
        else:
            data = {key: value for key, value in values.items() if key not in RESERVED_KEYS}
            raw_external_id = values.get("external_id")
        if raw_external_id is None and self.file_format == "labelstudio":
            raw_external_id = values.get("id")

        external_id = self._external_id(raw_external_id, error)
        task = repr(external_id or values.get("id"))
        if self.file_format == "csv":
            data = self._parse_structured_cells(data, error)
        if self.file_format == "labelstudio" and not data and ("data" in values or "annotations" in values):
            error("data", f"task {task}: missing: a Label Studio task keeps what annotators see in its data")
        else:
            self._check_data(data, error)
        gold_answer = self._gold_answer(values, error)
        predictions = self._predictions(values.get("predictions"), error)
        past_work: list[dict] = []
        if self.file_format == "labelstudio" and self.past_work is not None:
            past_work = self.past_work.read(values.get("annotations"), task=task, error=error)
        if errors:
            return errors
        return TaskRow(
            line=record.line,
            external_id=external_id,
            data=data,
            language=detect_language(texts_of(data)),
            is_gold=gold_answer is not None,
            gold_answer=gold_answer,
            predictions=predictions,
            past_work=tuple(past_work),
        )

    def _external_id(self, raw: object, error) -> str:
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            error("external_id", "missing: every task needs an external_id")
            return ""
        if not isinstance(raw, (str, int)) or isinstance(raw, bool):
            error("external_id", f"expected text or a number, got {type(raw).__name__}")
            return ""
        external_id = str(raw).strip()
        if len(external_id) > self.limits.max_external_id_chars:
            error("external_id", f"{len(external_id)} characters; the limit is {self.limits.max_external_id_chars}")
        return external_id

    def _parse_structured_cells(self, data: dict, error) -> dict:
        parsed = dict(data)
        for key, tag in self.data_key_tags.items():
            cell = data.get(key)
            if tag in STRUCTURED_TAGS and isinstance(cell, str) and cell.strip():
                try:
                    parsed[key] = json.loads(cell)
                except json.JSONDecodeError as decode_error:
                    error(key, f"the {tag} cell must be JSON: {decode_error.msg} (column {decode_error.colno})")
        return parsed

    def _check_data(self, data: dict, error) -> None:
        for key in self.config.data_keys:
            value = data.get(key)
            if value is None or (isinstance(value, str) and not value.strip()):
                error(key, "missing: the label config shows this field ($" + key + ")")
                continue
            tag = self.data_key_tags[key]
            if tag == "Paragraphs" and not _is_turn_list(value):
                error(key, 'expected a list of turns like [{"author": "buyer", "text": "..."}]')
            elif tag in {"Text", "HyperText"} and not isinstance(value, str):
                error(key, f"expected text, got {type(value).__name__}")
        for key, value in data.items():
            size = len(value) if isinstance(value, str) else len(json.dumps(value, ensure_ascii=False))
            if size > self.limits.max_field_chars:
                error(key, f"{size:,} characters; the limit is {self.limits.max_field_chars:,}")

    def _gold_answer(self, values: dict, error) -> list | None:
        answer = values.get("gold_answer")
        if answer is None:
            answer = _ground_truth_annotation(values.get("annotations"))
        if answer is None or (isinstance(answer, str) and not answer.strip()):
            return None
        if isinstance(answer, str):
            try:
                answer = json.loads(answer)
            except json.JSONDecodeError:
                error("gold_answer", 'must be JSON, e.g. {"scenario": "refund"}')
                return None
        try:
            result = answer_to_result(self.config, answer)
        except ValueError as problem:
            error("gold_answer", str(problem))
            return None
        problems = result_errors(self.config, result)
        if not result:
            problems = ["is empty"]
        for problem in problems:
            error("gold_answer", problem)
        return result if not problems else None

    def _predictions(self, raw: object, error) -> list:
        if raw is None or raw == "":
            return []
        if isinstance(raw, str):
            try:
                raw = json.loads(raw)
            except json.JSONDecodeError:
                error("predictions", "must be a JSON list of predictions")
                return []
        if not isinstance(raw, list):
            error("predictions", "must be a list of predictions")
            return []
        for index, prediction in enumerate(raw):
            field = f"predictions[{index}]"
            if not isinstance(prediction, dict) or not isinstance(prediction.get("result"), list):
                error(field, 'expected {"model_version": ..., "score": ..., "result": [...]}')
                continue
            for problem in result_errors(self.config, prediction["result"]):
                error(f"{field}.result", problem)
        return raw


def _is_turn_list(value: object) -> bool:
    return (
        isinstance(value, list)
        and len(value) > 0
        and all(isinstance(turn, dict) and isinstance(turn.get("text"), str) for turn in value)
    )


def _ground_truth_annotation(annotations: object) -> list | None:
    # Label Studio exports mark reference labels with ground_truth; they become gold answers.
    if not isinstance(annotations, list):
        return None
    for annotation in annotations:
        if isinstance(annotation, dict) and annotation.get("ground_truth") and not annotation.get("was_cancelled"):
            return annotation.get("result")
    return None
