"""Write many rows at once, for the service functions that import in bulk.

Ids come from the table's own sequence before the insert, so that rows can
point at each other (a span at its article, a quote at its source) without a
round trip per row. On PostgreSQL the rows go in with ``COPY`` (psycopg 3);
elsewhere with ``bulk_create``. Neither runs model validation or signals: the
callers in ``services`` validate first.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence

from django.db import connection, models


def allocate_ids(model: type[models.Model], count: int) -> list[int]:
    """Return ``count`` new primary keys of ``model``, never handed out before."""
    if count == 0:
        return []
    table = model._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, %s)) "
                "FROM generate_series(1, %s)",
                [table, model._meta.pk.column, count],
            )
            return [row[0] for row in cursor.fetchall()]
        # SQLite: the writer holds the database lock until the transaction
        # ends; AUTOINCREMENT remembers ids of deleted rows in sqlite_sequence.
        cursor.execute(
            f"SELECT max(coalesce((SELECT max({model._meta.pk.column}) FROM {table}), 0),"
            " coalesce((SELECT seq FROM sqlite_sequence WHERE name = %s), 0))",
            [table],
        )
        last = cursor.fetchone()[0]
    return list(range(last + 1, last + 1 + count))


def insert(
    model: type[models.Model], columns: Sequence[str], rows: Iterable[Sequence]
) -> None:
    """Insert ``rows`` (values in the order of the attribute names ``columns``)."""
    fields = [model._meta.get_field(name) for name in columns]
    if connection.vendor != "postgresql":
        objects = [model(**dict(zip(columns, row, strict=True))) for row in rows]
        model.objects.bulk_create(objects, batch_size=500)
        return
    json_at = [
        i for i, field in enumerate(fields) if isinstance(field, models.JSONField)
    ]
    names = ", ".join(connection.ops.quote_name(field.column) for field in fields)
    sql = f"COPY {connection.ops.quote_name(model._meta.db_table)} ({names}) FROM STDIN"
    dumps = json.JSONEncoder(ensure_ascii=False).encode
    with connection.cursor() as cursor:
        with cursor.cursor.copy(sql) as copy:
            for row in rows:
                if json_at:
                    row = list(row)
                    for i in json_at:
                        if row[i] is not None:
                            row[i] = dumps(row[i])
                copy.write_row(row)


def analyze(*model_classes: type[models.Model]) -> None:
    """Refresh the planner's statistics of the tables after a large load.

    Until autovacuum comes by, a table just filled by COPY has none, and with
    none PostgreSQL takes ``status = 'approved'`` or ``article_id = 7`` for
    rare: each chunk of an export then read every span again (EXPLAIN ANALYZE
    in the README's benchmark notes). ANALYZE samples, so it stays fast.
    """
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        for model in model_classes:
            cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")
