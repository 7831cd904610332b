"""Inserting a change's new rows in one round trip to the database: a new person, their audit event and
their outbox event, or an audit event and its outbox event.

The rows belong to the caller's transaction either way; writing them as one statement only saves round
trips, which are a visible share of a SCIM write (docs/BENCHMARKS.md). On PostgreSQL the INSERTs are one
statement with data-modifying CTEs; SQLite has no INSERT inside WITH, so there they are plain inserts.
The rows and their columns are exactly what `Model.save(force_insert=True)` writes: every concrete field
but an auto-increment key, each prepared by its field (defaults, auto_now_add, JSON).
"""

from typing import Any

from django.db import models, transaction
from django.db.backends.base.base import BaseDatabaseWrapper


def insert_together(*rows: models.Model) -> None:
    """Insert new rows (of any models) in the current transaction and set their primary keys, as
    `save(force_insert=True)` of each, in that order, would. No model signals are sent (nothing listens
    for these models'). A unique or foreign key violation of any row fails them all."""
    connection = transaction.get_connection()
    if connection.vendor != "postgresql":
        for row in rows:
            row.save(force_insert=True)
        return
    inserts = [_insert_sql(row, connection) for row in rows]
    # Only quoted names and placeholders go into the text; every value is a parameter.
    *earlier, (last_sql, _) = inserts
    with_rows = ", ".join(f"row_{n} AS ({sql})" for n, (sql, _) in enumerate(earlier))
    returned = "".join(f", (SELECT * FROM row_{n})" for n in range(len(earlier)))  # noqa: S608
    sql = f"WITH {with_rows} {last_sql}{returned}" if earlier else last_sql
    with connection.cursor() as cursor:
        cursor.execute(sql, [param for _, params in inserts for param in params])
        returned_row = cursor.fetchone()
    assert returned_row is not None  # an INSERT ... RETURNING of one row returns that row
    last_pk, *earlier_pks = returned_row
    for obj, pk in zip(rows, [*earlier_pks, last_pk], strict=True):
        obj.pk = pk
        obj._state.adding = False
        obj._state.db = connection.alias


def _insert_sql(obj: models.Model, connection: BaseDatabaseWrapper) -> tuple[str, list[Any]]:
    """`INSERT INTO table (columns) VALUES (...) RETURNING pk` for one unsaved instance."""
    meta = obj._meta
    fields = [f for f in meta.local_concrete_fields if f is not meta.auto_field and not f.generated]
    quote = connection.ops.quote_name
    columns = ", ".join(quote(_column(f)) for f in fields)
    placeholders = ", ".join(["%s"] * len(fields))
    params = [f.get_db_prep_save(f.pre_save(obj, True), connection) for f in fields]
    table, pk = quote(meta.db_table), quote(_column(meta.pk))
    sql = f"INSERT INTO {table} ({columns}) VALUES ({placeholders}) RETURNING {pk}"  # noqa: S608
    return sql, params


def _column(field: Any) -> str:
    column = field.column
    assert isinstance(column, str)  # a concrete field always has its column
    return column
