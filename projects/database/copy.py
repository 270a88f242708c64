"""Writing rows into a PostgreSQL table with COPY, for the large quality writes (consensus rows, QA sample items)."""

from __future__ import annotations

from collections.abc import Iterable

from psycopg import sql as pg_sql


def escape_for_copy(value: str) -> str:
    """A text field as COPY's text format reads it: backslash is its escape character (JSON escapes the rest)."""
    return value.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


def copy_rows(cursor, table: str, columns: list[str], rows: Iterable[tuple] | str) -> None:
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
