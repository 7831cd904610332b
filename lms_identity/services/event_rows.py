"""Writing a change's rows in one round trip to the database: a new person, their audit event and their
outbox event; or a changed person's saved fields with those events; or an audit event and its outbox
event.

The rows belong to the caller's transaction, or, outside one, to the statement, which is atomic by
itself; writing them as one statement only saves round trips, which are a visible share of a SCIM write
(docs/BENCHMARKS.md). On PostgreSQL the writes are one statement with data-modifying CTEs; SQLite has
no INSERT inside WITH, so there they are plain statements in one transaction. Inserted rows and their
columns are exactly what `Model.save(force_insert=True)` writes (every concrete field but an
auto-increment key, each prepared by its field: defaults, auto_now_add, JSON), and a saved row's what
`save(update_fields=...)` writes.

`unless_found` makes the inserts conditional on a query finding no row, checked in the same statement: a
SCIM create of a new person is then one statement that needs no transaction around it, where a lookup
first would need BEGIN, the lookup and COMMIT around the insert.
"""

from contextlib import nullcontext
from typing import Any

from django.db import DatabaseError, models, transaction
from django.db.backends.base.base import BaseDatabaseWrapper

# A query (SQL, parameters) that must find no row for the inserts to happen.
Guard = tuple[str, list[Any]]
# An existing row and the fields of it to save (as save(update_fields=...)) before the inserts.
Saving = tuple[models.Model, list[str]]


def insert_together(
    *rows: models.Model, unless_found: Guard | None = None, saving: Saving | None = None
) -> bool:
    """Insert new rows (of any models) in the current transaction (outside one, as one atomic statement)
    and set their primary keys, as `save(force_insert=True)` of each, in that order, would. No model
    signals are sent (nothing listens for these models'). A unique or foreign key violation of any row
    fails them all. With `unless_found`, nothing is inserted when that query finds a row: returns False,
    the rows left unsaved. With `saving`, that row's fields are saved first, in the same statement (the
    change the rows record)."""
    connection = transaction.get_connection()
    if connection.vendor != "postgresql":
        return _one_by_one(rows, unless_found, saving)
    if unless_found is not None:
        assert saving is None  # a guarded insert creates; it saves nothing that exists
        return _insert_unless_found(rows, unless_found, connection)
    inserts = [_update_sql(*saving, connection)] if saving is not None else []
    inserts += [_insert_sql(row, connection) for row in rows]
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
    if saving is not None:
        saved_pk, *earlier_pks = earlier_pks
        if saved_pk is None:  # as save(update_fields=...) refuses to save a row that is gone
            raise DatabaseError("the row to save was not found: nothing written")
    _saved(rows, [*earlier_pks, last_pk], connection)
    return True


def _insert_unless_found(
    rows: tuple[models.Model, ...], guard: Guard, connection: BaseDatabaseWrapper
) -> bool:
    """One statement: `free` has a row only when the guard finds none, and each INSERT selects its values
    from the row the one before it inserted, so all are written or none. The guard is counted, not asked
    with NOT EXISTS: planned for a first row, EXISTS made PostgreSQL scan the whole people table in the
    hope of an early match (23 ms at 40,000 people) instead of using the indexes (0.07 ms)."""
    guard_sql, guard_params = guard
    parts = [f"free AS (SELECT 1 WHERE (SELECT count(*) FROM ({guard_sql}) AS found) = 0)"]  # noqa: S608
    params = list(guard_params)
    source = "free"
    for n, row in enumerate(rows):
        sql, row_params = _insert_sql(row, connection, select_from=source)
        parts.append(f"row_{n} AS ({sql})")
        params += row_params
        source = f"row_{n}"
    returned = ", ".join(f"(SELECT * FROM row_{n})" for n in range(len(rows)))  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(f"WITH {', '.join(parts)} SELECT {returned}", params)  # noqa: S608
        pks = cursor.fetchone()
    if pks is None or pks[0] is None:
        return False
    _saved(rows, list(pks), connection)
    return True


def _one_by_one(rows: tuple[models.Model, ...], guard: Guard | None, saving: Saving | None) -> bool:
    """SQLite: no INSERT inside WITH. Its write transactions take the database's lock at BEGIN
    (settings: IMMEDIATE), so the guard and the inserts cannot be overtaken in between. Inside a caller's
    transaction no savepoint of its own: that transaction makes them atomic."""
    connection = transaction.get_connection()
    with nullcontext() if connection.in_atomic_block else transaction.atomic():
        if guard is not None:
            with connection.cursor() as cursor:
                cursor.execute(f"SELECT EXISTS ({guard[0]})", guard[1])  # noqa: S608 - our compiled SQL
                found = cursor.fetchone()
            if found and found[0]:
                return False
        if saving is not None:
            saving[0].save(update_fields=saving[1])
        for row in rows:
            row.save(force_insert=True)
    return True


def _saved(rows: tuple[models.Model, ...], pks: list[Any], connection: BaseDatabaseWrapper) -> None:
    for obj, pk in zip(rows, pks, strict=True):
        obj.pk = pk
        obj._state.adding = False
        obj._state.db = connection.alias


def _update_sql(
    obj: models.Model, names: list[str], connection: BaseDatabaseWrapper
) -> tuple[str, list[Any]]:
    """`UPDATE table SET ... WHERE pk = ... RETURNING pk`, the values as save(update_fields=names) writes
    them (auto_now fields get their time)."""
    meta = obj._meta
    concrete = {f.name: f for f in meta.concrete_fields}
    fields = [concrete[name] for name in names]  # only concrete fields can be saved, as with update_fields
    quote = connection.ops.quote_name
    assignments = ", ".join(f"{quote(_column(f))} = %s" for f in fields)
    params = [f.get_db_prep_save(f.pre_save(obj, False), connection) for f in fields]
    table, pk = quote(meta.db_table), quote(_column(meta.pk))
    sql = f"UPDATE {table} SET {assignments} WHERE {pk} = %s RETURNING {pk}"  # noqa: S608
    return sql, [*params, meta.pk.get_db_prep_value(obj.pk, connection)]


def _insert_sql(
    obj: models.Model, connection: BaseDatabaseWrapper, *, select_from: str = ""
) -> tuple[str, list[Any]]:
    """`INSERT INTO table (columns) VALUES (...) RETURNING pk` for one unsaved instance; with
    `select_from`, its values are selected FROM that one-row (or empty) relation instead."""
    meta = obj._meta
    fields = [f for f in meta.local_concrete_fields if f is not meta.auto_field and not f.generated]
    quote = connection.ops.quote_name
    columns = ", ".join(quote(_column(f)) for f in fields)
    placeholders = ", ".join(["%s"] * len(fields))
    params = [f.get_db_prep_save(f.pre_save(obj, True), connection) for f in fields]
    table, pk = quote(meta.db_table), quote(_column(meta.pk))
    # select_from is a CTE name of ours, never input.
    values = f"SELECT {placeholders} FROM {select_from}" if select_from else f"VALUES ({placeholders})"  # noqa: S608
    sql = f"INSERT INTO {table} ({columns}) {values} RETURNING {pk}"  # noqa: S608
    return sql, params


def _column(field: Any) -> str:
    column = field.column
    assert isinstance(column, str)  # a concrete field always has its column
    return column
