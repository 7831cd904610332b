"""Databases for the benchmark: fresh ones from a migrated template, and fast seeding in SQL.

Every database the benchmark creates is named after the one in DATABASE_URL and contains "bench", so a
DATABASE_URL pointing at real data is never dropped: `lms` becomes `lms_bench`, `lms_bench_tpl`, ...
Seeding runs set-based `INSERT ... SELECT FROM generate_series` inside PostgreSQL (no rows travel through
Python), with ids derived from the row number so the benchmark can compute any seeded id itself.
"""

import hashlib
import json
import os
import subprocess
import sys
import uuid
from datetime import date, datetime
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import psycopg
from django.conf import settings
from django.db import connection, connections, models

from bench.paths import REPO

SEEDED_DOMAIN = "bench.example"


def base_name(database_url: str) -> str:
    name = urlsplit(database_url).path.lstrip("/") or "lms"
    return name if "bench" in name else f"{name}_bench"


def url_for(database_url: str, name: str) -> str:
    parts = urlsplit(database_url)
    return urlunsplit((parts.scheme, parts.netloc, "/" + name, parts.query, parts.fragment))


def _admin_connection(database_url: str) -> psycopg.Connection:
    parts = urlsplit(url_for(database_url, "postgres"))
    return psycopg.connect(urlunsplit(("postgresql", *parts[1:])), autocommit=True)


def recreate(database_url: str, name: str, *, template: str | None = None) -> None:
    """Drop (if present) and create database `name`, as a copy of `template` when given."""
    if "bench" not in name:
        raise ValueError(f"refusing to drop {name!r}: benchmark databases have 'bench' in their name")
    with _admin_connection(database_url) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        if template:
            admin.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
        else:
            admin.execute(f'CREATE DATABASE "{name}"')


def drop(database_url: str, name: str) -> None:
    if "bench" not in name:
        raise ValueError(f"refusing to drop {name!r}")
    with _admin_connection(database_url) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def migrate_template(database_url: str, name: str, *, settings_module: str = "bench.settings") -> None:
    """A freshly migrated database to copy from (CREATE DATABASE ... TEMPLATE is a file copy), or to
    use as it is (the peer's, migrated with bench.peer.settings)."""
    recreate(database_url, name)
    env = {
        **os.environ,
        "DATABASE_URL": url_for(database_url, name),
        "DJANGO_SETTINGS_MODULE": settings_module,
    }
    subprocess.run(  # noqa: S603 - our own interpreter and manage.py
        [sys.executable, "manage.py", "migrate", "--noinput", "--skip-checks", "-v0"],
        cwd=REPO,
        env=env,
        check=True,
    )


def use(name: str) -> None:
    """Point this process's Django connection at database `name`."""
    connections.close_all()
    settings.DATABASES["default"]["NAME"] = name
    connections["default"].settings_dict["NAME"] = name


def current_name() -> str:
    return str(connections["default"].settings_dict["NAME"])


def analyze(*tables: str) -> None:
    """VACUUM ANALYZE, as autovacuum does to a settled table: statistics, and the visibility map that
    lets counts be answered from an index alone."""
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(f'VACUUM ANALYZE "{table}"')


def user_id(n: int) -> uuid.UUID:
    """The id of seeded user number n (matches md5('bench-user-' || n)::uuid in SQL)."""
    return uuid.UUID(hashlib.md5(f"bench-user-{n}".encode(), usedforsecurity=False).hexdigest())


def user_name(n: int) -> str:
    return f"user{n}@{SEEDED_DOMAIN}"


def _literal(field: models.Field) -> Any:
    """A value for a NOT NULL column the seed does not set: the field's default, as the database wants it."""
    if field.null:
        return None
    if field.has_default():
        value = field.get_default()
    elif isinstance(field, models.BooleanField):
        value = False
    elif isinstance(field, models.IntegerField | models.FloatField | models.DecimalField):
        value = 0
    elif isinstance(field, models.JSONField):
        value = {}
    elif isinstance(field, models.DateTimeField):
        value = datetime.now().astimezone()
    elif isinstance(field, models.DateField):
        value = date.today()
    elif isinstance(field, models.UUIDField):
        value = uuid.uuid4()
    else:
        value = ""
    if isinstance(field, models.JSONField):
        return json.dumps(value)
    if isinstance(value, uuid.UUID):
        return str(value)
    return value


def insert_select(
    model: type[models.Model],
    expressions: dict[str, str],
    *,
    first: int,
    last: int,
    params: dict[str, Any],
    where: str = "",
) -> int:
    """INSERT one row per g in first..last. `expressions` maps column names to SQL in terms of `g`;
    every other column gets its field default, so a column added later does not break the seed."""
    columns: list[str] = []
    values: list[str] = []
    bind: dict[str, Any] = dict(params)
    for field in model._meta.concrete_fields:
        column = field.column
        columns.append(f'"{column}"')
        if column in expressions:
            values.append(expressions[column])
        elif field.primary_key and isinstance(field, models.AutoField):
            columns.pop()
        else:
            bind[f"default_{column}"] = _literal(field)
            cast = "::jsonb" if isinstance(field, models.JSONField) else ""
            values.append(f"%(default_{column})s{cast}")
    sql = (
        f'INSERT INTO "{model._meta.db_table}" ({", ".join(columns)}) '  # noqa: S608 - our own columns
        f"SELECT {', '.join(values)} FROM generate_series(%(first)s::bigint, %(last)s::bigint) AS g"
        + (f" WHERE {where}" if where else "")
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, {**bind, "first": first, "last": last})
        return cursor.rowcount


def seed_users(connection_id: int, first: int, last: int, *, active_every: int = 0) -> int:
    """Seed users first..last of the connection: userName userN@bench.example, 50 departments, 20 titles.
    With active_every=k every k-th user is inactive."""
    from lms_identity.models import User

    active = "true" if not active_every else f"(mod(g, {int(active_every)}) <> 0)"
    expressions = {
        "id": "md5('bench-user-' || g)::uuid",
        "password": "'!bench'",
        "connection_id": "%(connection_id)s",
        "source": "'scim'",
        "external_id": "'ext-' || g",
        "user_name": f"'user' || g || '@{SEEDED_DOMAIN}'",
        "email": f"'user' || g || '@{SEEDED_DOMAIN}'",
        "given_name": "'Given' || g",
        "family_name": "'Family' || mod(g, 997)",
        "display_name": "'Given' || g || ' Family' || mod(g, 997)",
        "title": "'Title ' || mod(g, 20)",
        "department": "'Department ' || mod(g, 50)",
        "division": "'Division ' || mod(g, 7)",
        "organization": "'Bench Org'",
        "cost_center": "'CC' || mod(g, 100)",
        "employee_number": "'E' || g",
        "is_active": active,
        "deactivated_at": f"CASE WHEN {active} THEN NULL ELSE now() END",
        "is_staff": "false",
        "is_superuser": "false",
        "created_at": "now()",
        "updated_at": "now()",
        "version": "1",
    }
    present = {f.column for f in User._meta.concrete_fields}
    expressions = {k: v for k, v in expressions.items() if k in present}
    return insert_select(User, expressions, first=first, last=last, params={"connection_id": connection_id})


def seed_memberships(group_id: Any, first: int, last: int, *, source: str = "scim") -> int:
    """Seeded users first..last become members of the group."""
    from lms_identity.models import Membership

    expressions = {
        "group_id": "%(group_id)s::uuid",
        "user_id": "md5('bench-user-' || g)::uuid",
        "source": "%(source)s",
        "created_at": "now()",
    }
    return insert_select(
        Membership, expressions, first=first, last=last, params={"group_id": str(group_id), "source": source}
    )


def seed_sessions(first: int, last: int, *, every: int = 1, connection_id: int | None = None) -> int:
    """A signed-in session (django_session row plus its UserSession index) for every `every`-th seeded user
    in first..last."""
    from django.contrib.sessions.models import Session

    from lms_identity.models import UserSession

    where = f"mod(g, {int(every)}) = 0"
    with connection.cursor() as cursor:
        cursor.execute(
            f'INSERT INTO "{Session._meta.db_table}" (session_key, session_data, expire_date) '  # noqa: S608
            "SELECT substr(md5('bench-session-' || g), 1, 32), '', now() + interval '8 hours' "
            f"FROM generate_series(%(first)s::bigint, %(last)s::bigint) AS g WHERE {where}",
            {"first": first, "last": last},
        )
    expressions = {
        "user_id": "md5('bench-user-' || g)::uuid",
        "session_key": "substr(md5('bench-session-' || g), 1, 32)",
        "created_at": "now()",
    }
    if connection_id is not None:
        expressions["connection_id"] = str(int(connection_id))
    present = {f.column for f in UserSession._meta.concrete_fields}
    expressions = {k: v for k, v in expressions.items() if k in present}
    return insert_select(UserSession, expressions, first=first, last=last, params={}, where=where)
