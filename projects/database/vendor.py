"""Which database annotate runs on, and what differs by it: the one place that asks the connection's vendor.

annotate runs on SQLite (the embedded mode) and PostgreSQL (production, CI). The PostgreSQL paths are faster
ways to the same result (COPY, SQL/JSON answers, a lateral join, work on threads beside a request); each
caller asks `is_postgresql()` for its own fast path, and the differences of meaning live here.
"""

from __future__ import annotations

from django.db import DEFAULT_DB_ALIAS, connection, connections
from django.db.models import F, QuerySet
from django.db.models.functions import Collate


def is_postgresql(alias: str = DEFAULT_DB_ALIAS) -> bool:
    return connections[alias].vendor == "postgresql"


def can_work_beside() -> bool:
    """Whether work may run on threads with database connections of their own beside this one: PostgreSQL, and
    not inside a transaction (what the threads write would not be seen by it, nor theirs by it)."""
    return is_postgresql() and not connection.in_atomic_block


def code_point_order(field: str = "external_id") -> F | Collate:
    """An order_by expression for code point order of `field`: the order of the canonical form and its hash.

    PostgreSQL sorts text by the database's language collation unless told "C"; SQLite's default
    (BINARY) already is code point order for UTF-8.
    """
    return Collate(field, "C") if is_postgresql() else F(field)


def estimated_table_rows(queryset: QuerySet) -> int | None:
    """The planner's row estimate for the queryset's table, when the queryset is the whole table on PostgreSQL;
    None where there is no estimate (another database, a filtered queryset, a table never analyzed)."""
    if not isinstance(queryset, QuerySet):
        return None
    query = queryset.query
    if query.where or query.distinct or query.combinator or query.is_sliced or query.group_by is not None:
        return None
    if not is_postgresql(queryset.db):
        return None
    with connections[queryset.db].cursor() as cursor:
        cursor.execute(
            """
            SELECT CASE WHEN relpages > 0
                        THEN reltuples / relpages * (pg_relation_size(oid) / current_setting('block_size')::int)
                        ELSE reltuples END
            FROM pg_class WHERE oid = %s::regclass
            """,
            [connections[queryset.db].ops.quote_name(queryset.model._meta.db_table)],
        )
        row = cursor.fetchone()
    if row is None or row[0] is None or row[0] < 0:
        return None
    return round(row[0])
