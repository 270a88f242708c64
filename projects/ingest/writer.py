"""Writing checked task rows to the database in bulk.

The rows wait in a spool file between the check and the write, so a file is read
and checked once and memory stays flat whatever its size; they go in through
`projects.database.copy.insert_rows` (COPY on PostgreSQL, bulk_create elsewhere).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from itertools import chain
from typing import IO

from django.utils import timezone
from django.utils.dateparse import parse_datetime

from projects.database.copy import insert_instances, insert_rows
from projects.ingest.validation import TaskRow
from projects.labeling.staleness import mark_batches_stale
from projects.models import Annotation, Batch, LabelingProject, Task, TaskImport

TASK_COLUMNS = (
    "project_id", "batch_id", "task_import_id", "external_id", "data", "original_data", "language",
    "is_gold", "gold_answer", "predictions", "status", "created_at",
)  # fmt: skip


def spool_row(spool: IO[str], row: TaskRow) -> None:
    record = [
        row.external_id, row.data, row.original_data, row.language, row.gold_answer, row.predictions,
        list(row.past_work),
    ]  # fmt: skip
    spool.write(json.dumps(record, ensure_ascii=False, separators=(",", ":")))
    spool.write("\n")


def _spooled(spool: IO[str]) -> Iterator[list]:
    for line in spool:
        yield json.loads(line)


def write_spooled_tasks(
    *,
    spool: IO[str],
    project: LabelingProject,
    batch: Batch | None,
    task_import: TaskImport,
    chunk_size: int,
    on_chunk: Callable[[int], None] | None = None,
) -> int:
    """Insert every spooled row as a Task, then its past work; call on_chunk(rows written so far) as it goes.

    Returns how many past annotations were written.
    """
    spool.seek(0)
    batch_id = batch.pk if batch else None
    rows = _task_rows(_spooled(spool), project, batch_id, task_import, chunk_size, on_chunk)
    written = insert_rows(Task, TASK_COLUMNS, rows)
    past_work = _write_past_work(spool, project, chunk_size)
    mark_batches_stale([batch_id])
    if on_chunk:
        on_chunk(written)
    return past_work


def _write_past_work(spool: IO[str], project: LabelingProject, chunk_size: int) -> int:
    """The spooled rows' past annotations, on the tasks just written; a chunk of tasks at a time (the spool again)."""
    spool.seek(0)
    written = 0
    pending: dict[str, list[dict]] = {}
    for record in chain(_spooled(spool), [None]):  # None: the end, which writes what is pending
        if record is not None and len(record) > 6 and record[6]:
            pending[record[0]] = record[6]
        if pending and (record is None or len(pending) >= chunk_size):
            task_ids = dict(
                Task.objects.filter(project=project, external_id__in=list(pending)).values_list("external_id", "pk")
            )
            annotations = [
                # No config version: annotate cannot tell which config the work was made under.
                Annotation(task_id=task_ids[external_id], **_stored(annotation))
                for external_id, items in pending.items()
                for annotation in items
            ]
            written += insert_instances(annotations)
            pending = {}
    return written


def _task_rows(
    spooled: Iterator[list],
    project: LabelingProject,
    batch_id: int | None,
    task_import: TaskImport,
    chunk_size: int,
    on_chunk: Callable[[int], None] | None,
) -> Iterator[tuple]:
    """Each spooled row as a Task row in TASK_COLUMNS order, calling on_chunk every chunk_size rows."""
    now = timezone.now()
    for written, (external_id, data, original_data, language, gold_answer, predictions, *past) in enumerate(spooled, 1):
        yield (
            project.pk, batch_id, task_import.pk, external_id, data, original_data, language,
            gold_answer is not None, gold_answer, predictions, _status(past[0] if past else []), now,
        )  # fmt: skip
        if on_chunk and written % chunk_size == 0:
            on_chunk(written)


def _status(past_work: list[dict]) -> str:
    """A task with past work is annotated (or skipped, when every annotation was a skip), as a pull would make it."""
    if any(not annotation["was_cancelled"] for annotation in past_work):
        return Task.Status.ANNOTATED
    return Task.Status.SKIPPED if past_work else Task.Status.NEW


def _stored(annotation: dict) -> dict:
    return {
        **annotation,
        "created_at": parse_datetime(annotation["created_at"]),
        "updated_at": parse_datetime(annotation["updated_at"]),
    }
