"""Inserting a change's audit event and outbox event in one round trip to the database.

Both rows belong to the caller's transaction either way; writing them as one statement only saves the
second round trip, which is a visible share of a SCIM write (docs/BENCHMARKS.md). On PostgreSQL the two
INSERTs are one statement with a data-modifying CTE; SQLite has no INSERT inside WITH, so there they are
two plain inserts. The rows and their columns are exactly what `Model.save(force_insert=True)` writes:
every concrete field but an auto-increment key, each prepared by its field (defaults, auto_now_add, JSON).
"""

from typing import Any

from django.db import models, transaction
from django.db.backends.base.base import BaseDatabaseWrapper


def insert_together(first: models.Model, second: models.Model) -> None:
    """Insert two new rows (of any models) in the current transaction and set their primary keys, as two
    `save(force_insert=True)` would. No model signals are sent (nothing listens for these models')."""
    connection = transaction.get_connection()
    if connection.vendor != "postgresql":
        first.save(force_insert=True)
        second.save(force_insert=True)
        return
    first_sql, first_params = _insert_sql(first, connection)
    second_sql, second_params = _insert_sql(second, connection)
    # Only quoted names and placeholders go into the text; every value is a parameter.
    sql = f"WITH first_row AS ({first_sql}) {second_sql}, (SELECT * FROM first_row)"  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(sql, [*first_params, *second_params])
        row = cursor.fetchone()
    assert row is not None  # an INSERT ... RETURNING of one row returns that row
    second_pk, first_pk = row
    for obj, pk in ((first, first_pk), (second, second_pk)):
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
