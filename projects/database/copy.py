"""Bulk inserts: PostgreSQL's COPY where the database is PostgreSQL, Django's bulk_create elsewhere.

Django's bulk insert spends more time quoting JSON and arrays in Python than the database spends storing
them, so the large writes (task imports, pulled annotations, dataset items, consensus rows, QA sample
items) go through COPY. `insert_rows` takes plain rows, `insert_instances` unsaved model instances;
`copy_rows` is the COPY itself, for callers that already hold rows in COPY's text format.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from itertools import islice

from django.db import connection
from django.db.models import Field, Model
from psycopg import sql as pg_sql

from projects.database.vendor import is_postgresql

BULK_CREATE_CHUNK = 5000


def escape_for_copy(value: str) -> str:
    """A text field as COPY's text format reads it: backslash is its escape character (JSON escapes the rest)."""
    return value.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


def copy_rows(cursor, table: str, columns: list[str], rows: Iterable[Sequence] | str) -> None:
    """Write rows into a PostgreSQL table with COPY: tuples, or text already in COPY's text format."""
    statement = pg_sql.SQL("COPY {} ({}) FROM STDIN").format(
        pg_sql.Identifier(table), pg_sql.SQL(", ").join(map(pg_sql.Identifier, columns))
    )
    with cursor.copy(statement) as copy:
        if isinstance(rows, str):
            copy.write(rows)
            return
        for row in rows:
            copy.write_row(row)


def insert_rows(model: type[Model], columns: Sequence[str], rows: Iterable[Sequence]) -> int:
    """Insert plain rows, values in `columns` order (attribute names, e.g. "project_id"; JSON fields as Python
    values, None as SQL NULL as Django stores it), without model instances; returns how many.

    COPY on PostgreSQL, where a column left out gets no default: name every column that has one. Elsewhere
    bulk_create in chunks, which fills defaults and auto_now fields.
    """
    if not is_postgresql():
        return _bulk_create(model, (model(**dict(zip(columns, row, strict=True))) for row in rows))
    by_attname = {field.attname: field for field in model._meta.concrete_fields}
    return _copy(model, [by_attname[column] for column in columns], rows)


def insert_instances(instances: Sequence[Model]) -> int:
    """bulk_create of unsaved instances of one model, by COPY on PostgreSQL (auto_now fields filled as save
    fills them); the instances get no primary key from COPY. Returns how many."""
    if not instances:
        return 0
    model = type(instances[0])
    if not is_postgresql():
        model.objects.bulk_create(instances)
        return len(instances)
    fields = [field for field in model._meta.concrete_fields if not field.primary_key]
    # pre_save(instance, True): what an insert stores, auto_now and auto_now_add fields filled.
    return _copy(model, fields, ([field.pre_save(instance, True) for field in fields] for instance in instances))


def _copy(model: type[Model], fields: list[Field], rows: Iterable[Sequence]) -> int:
    as_json = [field.get_internal_type() == "JSONField" for field in fields]
    written = 0

    def encoded() -> Iterator[list]:
        nonlocal written
        for row in rows:
            written += 1
            yield [
                json.dumps(value, ensure_ascii=False) if is_json and value is not None else value
                for value, is_json in zip(row, as_json, strict=True)
            ]

    with connection.wrap_database_errors, connection.cursor() as cursor:
        copy_rows(cursor.cursor, model._meta.db_table, [field.column for field in fields], encoded())
    return written


def _bulk_create(model: type[Model], instances: Iterator[Model]) -> int:
    written = 0
    while chunk := list(islice(instances, BULK_CREATE_CHUNK)):
        model.objects.bulk_create(chunk)
        written += len(chunk)
    return written
