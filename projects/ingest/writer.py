"""Writing checked task rows to the database in bulk.

The rows wait in a spool file between the check and the write, so a file is read
and checked once and memory stays flat whatever its size. PostgreSQL takes them
through COPY (Django's bulk_create spends most of its time adapting parameters
on large batches); other databases through bulk_create in chunks.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from itertools import islice
from typing import IO

from django.db import connection
from django.utils import timezone

from projects.ingest.validation import TaskRow
from projects.labeling.staleness import mark_batches_stale
from projects.models import Batch, LabelingProject, Task, TaskImport

COPY_COLUMNS = (
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
    rows = _spooled(spool)
    batch_id = batch.pk if batch else None
    write = _copy_tasks if connection.vendor == "postgresql" else _bulk_create_tasks
    written = write(rows, project, batch_id, task_import, chunk_size, on_chunk)
    mark_batches_stale([batch_id])
    if on_chunk:
        on_chunk(written)


def _copy_tasks(
    rows: Iterator[list],
    project: LabelingProject,
    batch_id: int | None,
    task_import: TaskImport,
    chunk_size: int,
    on_chunk: Callable[[int], None] | None,
) -> int:
    """The rows as Tasks by COPY; how many were written."""
    written = 0
    now = timezone.now()
    table = Task._meta.db_table
    statement = f"COPY {table} ({', '.join(COPY_COLUMNS)}) FROM STDIN"
    with connection.cursor() as cursor, cursor.cursor.copy(statement) as copy:
        for external_id, data, original_data, language, gold_answer, predictions in rows:
            copy.write_row(
                (
                    project.pk,
                    batch_id,
                    task_import.pk,
                    external_id,
                    json.dumps(data, ensure_ascii=False),
                    None if original_data is None else json.dumps(original_data, ensure_ascii=False),
                    language,
                    gold_answer is not None,
                    None if gold_answer is None else json.dumps(gold_answer, ensure_ascii=False),
                    json.dumps(predictions, ensure_ascii=False),
                    Task.Status.NEW,
                    now,
                )
            )
            written += 1
            if on_chunk and written % chunk_size == 0:
                on_chunk(written)
    return written


def _bulk_create_tasks(
    rows: Iterator[list],
    project: LabelingProject,
    batch_id: int | None,
    task_import: TaskImport,
    chunk_size: int,
    on_chunk: Callable[[int], None] | None,
) -> int:
    """The rows as Tasks by bulk_create, a chunk at a time; how many were written."""
    written = 0
    while chunk := list(islice(rows, chunk_size)):
        Task.objects.bulk_create(
            Task(
                project=project,
                batch_id=batch_id,
                task_import=task_import,
                external_id=external_id,
                data=data,
                original_data=original_data,
                language=language,
                is_gold=gold_answer is not None,
                gold_answer=gold_answer,
                predictions=predictions,
            )
            for external_id, data, original_data, language, gold_answer, predictions in chunk
        )
        written += len(chunk)
        if on_chunk:
            on_chunk(written)
    return written
