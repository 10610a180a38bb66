"""The catalog a role's SQL clients read: one small Postgres database per role on the warehouse's server,
holding an empty table per view the role may see (its dimensions and measures as typed, commented
columns) and nothing else.

psql's `\\dt` and `\\d`, SQLAlchemy's inspector, Superset and Metabase read pg_catalog and
information_schema with the full breadth of Postgres's SQL (regclass casts, `OPERATOR(pg_catalog.~)`,
format_type, array functions); a real Postgres answers all of it exactly, where an imitation would
answer a subset. The tables hold no rows and are never read for data: statements naming a view are
translated to Cube (translate.py); only statements over the catalog alone come here, on a read-only
connection. One database per role, so no role sees the names of another's views or customer fields.
"""

from __future__ import annotations

import hashlib
import json
import threading

import psycopg2
import psycopg2.extensions
from psycopg2 import errors, sql

from outcomelens.core.tokens import ROLES
from outcomelens.core.warehouse import Warehouse
from sql_endpoint.model import View

MAX_NAME = 63  # Postgres's identifier length


def database_name(warehouse: Warehouse, role: str) -> str:
    suffix = f"_sql_{role}"
    return warehouse.database[: MAX_NAME - len(suffix)] + suffix


def _signature(views: dict[str, View]) -> str:
    shape = {
        name: [(c.name, c.pg_type, c.is_measure, c.aggregation, c.description) for c in view.columns.values()]
        for name, view in sorted(views.items())
    }
    return hashlib.sha256(json.dumps(shape, sort_keys=True).encode()).hexdigest()


def _column_comment(column) -> str:
    if column.is_measure:
        kind = f"measure ({column.aggregation}): read it as MEASURE({column.name})"
    else:
        kind = "dimension"
    return f"{kind}. {column.description}".strip().rstrip(".") if column.description else kind


class Catalogs:
    """The per-role catalog databases of one warehouse server, kept equal to what Cube's /v1/meta says."""

    def __init__(self, warehouse: Warehouse):
        self.warehouse = warehouse
        self._signatures: dict[str, str] = {}
        self._lock = threading.Lock()

    def ensure(self, role: str, views: dict[str, View]) -> str:
        """The role's catalog database, created or rebuilt if the views differ; returns its name."""
        name = database_name(self.warehouse, role)
        signature = _signature(views)
        with self._lock:
            if self._signatures.get(role) != signature:
                self._create_database(name)
                self._rebuild(name, views)
                self._signatures[role] = signature
        return name

    def _create_database(self, name: str) -> None:
        admin = self.warehouse.connect()
        try:
            admin.autocommit = True
            with admin.cursor() as cur:
                cur.execute("select 1 from pg_database where datname = %s", (name,))
                if cur.fetchone() is None:
                    try:
                        cur.execute(sql.SQL("create database {}").format(sql.Identifier(name)))
                    except errors.DuplicateDatabase:
                        pass  # another endpoint process made it meanwhile
        finally:
            admin.close()

    def _rebuild(self, name: str, views: dict[str, View]) -> None:
        conn = self.warehouse.connect(name)
        try:
            with conn, conn.cursor() as cur:
                cur.execute("select tablename from pg_tables where schemaname = 'public'")
                for (table,) in cur.fetchall():
                    cur.execute(sql.SQL("drop table public.{}").format(sql.Identifier(table)))
                for view in views.values():
                    self._create_table(cur, view)
        finally:
            conn.close()

    @staticmethod
    def _create_table(cur, view: View) -> None:
        table = sql.Identifier("public", view.name)
        columns = sql.SQL(", ").join(
            sql.SQL("{} {}").format(sql.Identifier(c.name), sql.SQL(c.pg_type)) for c in view.columns.values()
        )
        cur.execute(sql.SQL("create table {} ({})").format(table, columns))
        cur.execute(
            sql.SQL("comment on table {} is %s").format(table),
            (view.description or f"semantic-layer view {view.name}",),
        )
        for column in view.columns.values():
            cur.execute(
                sql.SQL("comment on column {}.{} is %s").format(table, sql.Identifier(column.name)),
                (_column_comment(column),),
            )

    def connect(self, name: str, application_name: str = "outcomelens-sql"):
        """A read-only, autocommit connection to a catalog database whose values all come back as
        Postgres's own text (so they go to the client exactly as Postgres wrote them)."""
        conn = self.warehouse.connect(name)
        conn.autocommit = True
        with conn.cursor() as cur:
            cur.execute("set default_transaction_read_only = on")
            cur.execute("set application_name = %s", (application_name,))
            cur.execute("select oid from pg_type")
            oids = tuple(oid for (oid,) in cur.fetchall())
        raw = psycopg2.extensions.new_type(oids, "PG_TEXT", lambda value, _cursor: value)
        psycopg2.extensions.register_type(raw, conn)
        return conn

    def drop_all(self) -> None:
        """Drop every role's catalog database of this warehouse (tests; `outcomelens` never needs it)."""
        admin = self.warehouse.connect()
        try:
            admin.autocommit = True
            with admin.cursor() as cur:
                for role in ROLES:
                    cur.execute(
                        sql.SQL("drop database if exists {} with (force)").format(
                            sql.Identifier(database_name(self.warehouse, role))
                        )
                    )
        finally:
            admin.close()
        self._signatures.clear()
