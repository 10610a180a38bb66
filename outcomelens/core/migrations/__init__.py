"""The product's own warehouse tables (ops.*, insights.*), created by versioned migrations.

Each `NNNN_name.sql` file beside this module is one migration, applied once, in version order, and
recorded in ops.schema_migrations. They run when a process ensures the warehouse
(`outcomelens.core.warehouse.ensure_warehouse`), not when a table is used. A change to one of these
tables is a new file; an applied file is never edited.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import resources

VERSIONS_TABLE = "ops.schema_migrations"
_FILE_NAME = re.compile(r"^(\d{4})_(\w+)\.sql$")
# pg advisory lock: the collector's workers, the loader and Dagster may all start at once.
_LOCK_ID = 0x0A1E28

_BOOTSTRAP = f"""
create schema if not exists ops;
create table if not exists {VERSIONS_TABLE} (
    version text primary key,
    name text not null,
    applied_at timestamptz not null default now()
);
"""


@dataclass(frozen=True)
class Migration:
    version: str
    name: str
    sql: str


def available() -> list[Migration]:
    """Every migration shipped with this release, oldest first."""
    found = []
    for entry in resources.files(__package__).iterdir():
        match = _FILE_NAME.match(entry.name)
        if match:
            found.append(Migration(match[1], match[2], entry.read_text(encoding="utf-8")))
    return sorted(found, key=lambda m: m.version)


def pending(cur) -> list[Migration]:
    """The shipped migrations this database has not recorded (all of them on a new database)."""
    cur.execute("select to_regclass(%s)", (VERSIONS_TABLE,))
    if cur.fetchone()[0] is None:
        return available()
    cur.execute(f"select version from {VERSIONS_TABLE}")
    done = {row[0] for row in cur.fetchall()}
    return [m for m in available() if m.version not in done]


def apply(conn) -> list[str]:
    """Apply the migrations this database has not seen, in one transaction; the versions applied.

    An up-to-date database costs two reads and no DDL. Commits on success and rolls back on failure;
    the caller owns (and closes) the connection.
    """
    try:
        with conn.cursor() as cur:
            todo = pending(cur)
            if todo:
                cur.execute("select pg_advisory_xact_lock(%s)", (_LOCK_ID,))
                cur.execute(_BOOTSTRAP)
                todo = pending(cur)  # another process may have applied them while this one waited
            for migration in todo:
                cur.execute(migration.sql)
                cur.execute(f"insert into {VERSIONS_TABLE} (version, name) values (%s, %s)",
                            (migration.version, migration.name))
        conn.commit()
    except BaseException:
        conn.rollback()
        raise
    return [m.version for m in todo]
