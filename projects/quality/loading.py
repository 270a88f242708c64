"""Loading what the quality use cases compute on (a batch's live annotations column-wise, gold answers,
annotator names) in a few `values_list` queries, never one query per annotation. On PostgreSQL, choice and
rating answers are read out of the results by SQL/JSON paths, so the database sends the answers rather than
the whole results; other databases take the ORM path.
"""

from __future__ import annotations

import json
from collections.abc import Hashable, Iterable, Iterator, Sequence
from dataclasses import dataclass

import numpy as np
from django.db.models.expressions import RawSQL

from projects.database.vendor import is_postgresql
from projects.models import Annotation, Annotator, Batch
from projects.quality.controls import Control
from projects.quality.stats.batch_labels import NO_ANSWER, BatchLabels, ControlAnswers
from projects.quality.stats.comparison import LabelType, control_answer


def _answers(result: list[dict], controls: dict[str, Control]) -> dict[str, Hashable]:
    answers = {}
    for control in controls.values():
        answer = control_answer(result, control.name, control.kind)
        if answer is not None:
            answers[control.name] = answer
    return answers


def load_batch_labels(batch: Batch, controls: dict[str, Control]) -> BatchLabels:
    """The batch's live annotations (not deleted, not skipped, with an annotator), column-wise in id order."""
    annotations = Annotation.objects.filter(
        task__batch=batch, is_deleted=False, was_cancelled=False, annotator__isnull=False
    ).order_by("id")
    fields = ("id", "task_id", "annotator_id", "lead_time")
    if not _answers_in_sql(controls):
        rows = with_answers(annotations, fields, controls)
        return BatchLabels.from_rows(((*values, answers) for values, answers in rows), controls)
    # Not `.iterator()`: a server-side cursor would keep PostgreSQL from scanning in parallel; rows are small.
    answers = _answer_expressions(annotations, controls)
    rows = list(annotations.annotate(**answers).values_list(*fields, *answers))
    columns = list(zip(*rows, strict=True)) if rows else [() for _ in range(len(fields) + len(controls))]
    return BatchLabels(
        annotation=np.array(columns[0], dtype=np.int64),
        task=np.array(columns[1], dtype=np.int64),
        annotator=np.array(columns[2], dtype=np.int64),
        lead_time=np.array(columns[3], dtype=float),  # None becomes NaN
        answers={name: _coded_answers(texts) for name, texts in zip(controls, columns[len(fields) :], strict=True)},
    )


def _coded_answers(texts: Sequence[str | None]) -> ControlAnswers:
    """Answers sent as JSON text (None: no answer) as codes into the distinct answers, decoding each text once."""
    index: dict[Hashable, int] = {}
    code_of: dict[str | None, int] = {None: NO_ANSWER}
    for text in dict.fromkeys(texts):
        if text is not None:
            code_of[text] = index.setdefault(json.loads(text), len(index))
    codes = np.fromiter(map(code_of.__getitem__, texts), dtype=np.int64, count=len(texts))
    return ControlAnswers(codes, tuple(index))


# Where `comparison.control_answer` finds a control's answer, as SQL/JSON paths ($name: the control's name):
# the first region of the control that has one. PostgreSQL then sends the answers, not the whole results.
ANSWER_PATHS = {
    LabelType.SINGLE_CHOICE: "$[*] ? (@.from_name == $name && exists(@.value.choices[0])).value.choices[0]",
    LabelType.RATING: "$[*] ? (@.from_name == $name && exists(@.value.rating) && @.value.rating != null).value.rating",
}


def _answers_in_sql(controls: dict[str, Control]) -> bool:
    return is_postgresql() and all(control.kind in ANSWER_PATHS for control in controls.values())


def _answer_expressions(queryset, controls: dict[str, Control], json_field: str = "result") -> dict[str, RawSQL]:
    """Per control in order (answer_0, answer_1...): its answer as JSON text, read from `json_field` by PostgreSQL."""
    meta = queryset.model._meta
    column = f'"{meta.db_table}"."{meta.get_field(json_field).column}"'
    return {
        f"answer_{index}": RawSQL(
            f"jsonb_path_query_first({column}, %s::jsonpath, jsonb_build_object('name', %s::text))::text",
            (ANSWER_PATHS[control.kind], name),
        )
        for index, (name, control) in enumerate(controls.items())
    }


def with_answers(
    rows, fields: tuple[str, ...], controls: dict[str, Control], json_field: str = "result"
) -> Iterator[tuple[tuple, dict[str, Hashable]]]:
    """(the fields' values, control name → answer) per row, answers in `json_field` as `_answers` reads them."""
    if not _answers_in_sql(controls):
        for *values, result in rows.values_list(*fields, json_field).iterator(chunk_size=5000):
            yield tuple(values), _answers(result or [], controls)
        return
    width = len(fields)
    decoded: dict[str, Hashable] = {}  # an answer's JSON text → the answer: few distinct ones
    # Not `.iterator()`: a server-side cursor would keep PostgreSQL from scanning in parallel; rows are small.
    answers = _answer_expressions(rows, controls, json_field)
    for row in rows.annotate(**answers).values_list(*fields, *answers):
        given = {}
        for name, text in zip(controls, row[width:], strict=True):
            if text is not None:
                answer = decoded.get(text)
                if answer is None:
                    answer = decoded[text] = json.loads(text)
                given[name] = answer
        yield row[:width], given


def gold_answers(tasks, controls: dict[str, Control]) -> dict[int, dict[str, Hashable]]:
    """Gold task → control name → its gold answer, for the gold tasks among `tasks`."""
    gold = with_answers(tasks.filter(is_gold=True), ("id",), controls, json_field="gold_answer")
    return {task: answers for (task,), answers in gold}


@dataclass(frozen=True)
class AnnotatorName:
    annotator: int
    username: str
    vendor: int
    vendor_name: str


def annotator_names(annotator_ids: Iterable[int]) -> dict[int, AnnotatorName]:
    rows = Annotator.objects.filter(pk__in=set(annotator_ids)).values_list(
        "id", "user__username", "vendor_id", "vendor__name"
    )
    return {row[0]: AnnotatorName(*row) for row in rows}
