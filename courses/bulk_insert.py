"""Insert many rows fast: COPY on PostgreSQL, bulk_create elsewhere.

The full recompute writes hundreds of thousands of grants and audit events; Django's bulk_create spends
most of that time building model instances and quoting parameters client-side, COPY none of it.
"""

import json
import time
from collections.abc import Sequence
from typing import Any

from django.db import connection, models

BATCH = 2000


def insert_rows(model: type[models.Model], columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> int:
    """Insert `rows` (values in the order of `columns`, which are attnames such as "user_id") into
    `model`'s table in the current transaction. JSON fields take Python values. Returns the row count."""
    if not rows:
        return 0
    if connection.vendor != "postgresql":
        model._default_manager.bulk_create(
            [model(**dict(zip(columns, row, strict=True))) for row in rows], batch_size=BATCH
        )
        return len(rows)
    fields = [_field(model, name) for name in columns]
    json_columns = {i for i, field in enumerate(fields) if isinstance(field, models.JSONField)}
    table = connection.ops.quote_name(model._meta.db_table)
    names = ", ".join(connection.ops.quote_name(field.column) for field in fields)
    sql = f"COPY {table} ({names}) FROM STDIN"
    began = time.monotonic()
    with connection.cursor() as cursor:
        with cursor.cursor.copy(sql) as copy:  # type: ignore[attr-defined]
            for row in rows:
                copy.write_row([json.dumps(v) if i in json_columns else v for i, v in enumerate(row)])
    if connection.queries_logged:
        # COPY bypasses Django's cursor wrapper; log it like any query so query counts stay honest.
        connection.queries_log.append(
            {"sql": f"{sql} -- {len(rows)} rows", "time": f"{time.monotonic() - began:.3f}"}
        )
    return len(rows)


def _field(model: type[models.Model], column: str) -> Any:
    for field in model._meta.concrete_fields:
        if field.attname == column or field.name == column:
            return field
    raise ValueError(f"{model.__name__} has no field {column}")
