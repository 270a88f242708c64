"""Storing a batch's consensus rows as ItemConsensus, atomically: stale rows deleted, the rest inserted or
updated. On PostgreSQL the rows go through COPY, as text put together column by column (straight into the
table the first time, else through a staging table and INSERT ... ON CONFLICT); other databases take
`bulk_create`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from itertools import repeat

from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from psycopg import sql as pg_sql

from projects.database.copy import copy_rows, escape_for_copy
from projects.database.vendor import is_postgresql
from projects.models import Batch, ItemConsensus


@dataclass(frozen=True)
class ConsensusRows:
    """What `aggregate_batch` stores for one control, column-wise: an ItemConsensus row per task, in task order."""

    control_name: str
    task: list[int]
    method: list[str]
    label: list[str]  # JSON text
    confidence: list[float]
    probabilities: list[str]  # JSON text
    ratings: list[int]
    needs_adjudication: list[bool]

    def __len__(self) -> int:
        return len(self.task)


CONSENSUS_FIELDS = ("method", "label", "confidence", "probabilities", "ratings", "needs_adjudication", "computed_at")


def store_consensus(batch: Batch, consensus_rows: list[ConsensusRows], copy_text: str | None = None) -> None:
    """Store the batch's consensus rows; `copy_text` is them in COPY's text format, when the caller made it."""
    now = timezone.now()
    with transaction.atomic():
        stored = list(ItemConsensus.objects.filter(task__batch=batch).values_list("id", "task_id", "control_name"))
        if stored:
            keep = {(task, rows.control_name) for rows in consensus_rows for task in rows.task}
            stale = [pk for pk, task, control_name in stored if (task, control_name) not in keep]
            ItemConsensus.objects.filter(pk__in=stale).delete()
        if is_postgresql():
            copy_text = consensus_copy_text(consensus_rows, now) if copy_text is None else copy_text
            _upsert_consensus_by_copy(copy_text, first_time=not stored)
            return
        ItemConsensus.objects.bulk_create(
            [
                ItemConsensus(
                    task_id=task,
                    control_name=rows.control_name,
                    method=method,
                    label=json.loads(label),
                    confidence=confidence,
                    probabilities=json.loads(probabilities),
                    ratings=ratings,
                    needs_adjudication=needs,
                    computed_at=now,
                )
                for rows in consensus_rows
                for task, method, label, confidence, probabilities, ratings, needs in zip(
                    rows.task,
                    rows.method,
                    rows.label,
                    rows.confidence,
                    rows.probabilities,
                    rows.ratings,
                    rows.needs_adjudication,
                    strict=True,
                )
            ],
            batch_size=1000,
            update_conflicts=True,
            unique_fields=["task", "control_name"],
            update_fields=list(CONSENSUS_FIELDS),
        )


def consensus_copy_text(consensus_rows: list[ConsensusRows], now: datetime) -> str:
    """The rows in COPY's text format, columns as CONSENSUS_COLUMNS: joined column by column, not formatted per row."""
    moment = now.isoformat()
    flag = {True: "t", False: "f"}
    lines: list[str] = []
    for rows in consensus_rows:
        labels = {label: escape_for_copy(label) for label in set(rows.label)}  # few distinct labels
        probabilities = rows.probabilities
        if any("\\" in text for text in probabilities):  # only JSON escapes need escaping, all else is plain
            probabilities = [escape_for_copy(text) for text in probabilities]
        columns = (
            map(str, rows.task),
            repeat(escape_for_copy(rows.control_name)),
            rows.method,
            map(labels.__getitem__, rows.label),
            map(repr, rows.confidence),
            probabilities,
            map(str, rows.ratings),
            map(flag.__getitem__, rows.needs_adjudication),
            repeat(moment),
        )
        lines += map("\t".join, zip(*columns, strict=False))  # strict=False: the repeated columns are endless
    return "\n".join(lines) + "\n" if lines else ""


def _upsert_consensus_by_copy(text: str, *, first_time: bool) -> None:
    """`bulk_create(update_conflicts=True)` of consensus rows (COPY text) with COPY.

    The batch's first consensus goes straight into the table; otherwise, or when a concurrent writer got
    there first, through a temporary table and INSERT ... ON CONFLICT DO UPDATE.
    """
    meta = ItemConsensus._meta
    fields = ("task", "control_name", *CONSENSUS_FIELDS)
    columns = [meta.get_field(name).column for name in fields]
    table, staging = pg_sql.Identifier(meta.db_table), pg_sql.Identifier("annotate_consensus_staging")
    column_list = pg_sql.SQL(", ").join(map(pg_sql.Identifier, columns))
    if first_time:
        try:
            with transaction.atomic(), connection.cursor() as cursor:
                copy_rows(cursor.cursor, meta.db_table, columns, text)
            return
        except IntegrityError:
            pass
    with connection.cursor() as cursor:
        raw = cursor.cursor
        raw.execute(
            pg_sql.SQL("CREATE TEMPORARY TABLE {} ON COMMIT DROP AS SELECT {} FROM {} WITH NO DATA").format(
                staging, column_list, table
            )
        )
        copy_rows(raw, "annotate_consensus_staging", columns, text)
        updates = pg_sql.SQL(", ").join(
            pg_sql.SQL("{0} = EXCLUDED.{0}").format(pg_sql.Identifier(meta.get_field(name).column))
            for name in CONSENSUS_FIELDS
        )
        raw.execute(
            pg_sql.SQL(
                "INSERT INTO {table} ({columns}) SELECT {columns} FROM {staging} "
                "ON CONFLICT ({task}, {control}) DO UPDATE SET {updates}"
            ).format(
                table=table,
                columns=column_list,
                staging=staging,
                task=pg_sql.Identifier(columns[0]),
                control=pg_sql.Identifier(columns[1]),
                updates=updates,
            )
        )
        raw.execute(pg_sql.SQL("DROP TABLE {}").format(staging))
