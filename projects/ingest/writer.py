"""Writing checked task rows to the database in bulk.

The rows wait in a spool file between the check and the write, so a file is read
and checked once and memory stays flat whatever its size; they go in through
`projects.database.copy.insert_rows` (COPY on PostgreSQL, bulk_create elsewhere).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import IO

from django.utils import timezone

from projects.database.copy import insert_rows
from projects.ingest.validation import TaskRow
from projects.labeling.staleness import mark_batches_stale
from projects.models import Batch, LabelingProject, Task, TaskImport

TASK_COLUMNS = (
    "project_id", "batch_id", "task_import_id", "external_id", "data", "original_data", "language",
    "is_gold", "gold_answer", "predictions", "status", "created_at",
)  # fmt: skip


def spool_row(spool: IO[str], row: TaskRow) -> None:
    record = [row.external_id, row.data, row.original_data, row.language, row.gold_answer, row.predictions]
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
) -> None:
    """Insert every spooled row as a Task; call on_chunk(rows written so far) as it goes."""
    spool.seek(0)
    batch_id = batch.pk if batch else None
    rows = _task_rows(_spooled(spool), project, batch_id, task_import, chunk_size, on_chunk)
    written = insert_rows(Task, TASK_COLUMNS, rows)
    mark_batches_stale([batch_id])
    if on_chunk:
        on_chunk(written)


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
    for written, (external_id, data, original_data, language, gold_answer, predictions) in enumerate(spooled, 1):
        yield (
            project.pk, batch_id, task_import.pk, external_id, data, original_data, language,
            gold_answer is not None, gold_answer, predictions, Task.Status.NEW, now,
        )  # fmt: skip
        if on_chunk and written % chunk_size == 0:
            on_chunk(written)
