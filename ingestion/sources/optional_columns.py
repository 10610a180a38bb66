"""The raw tables accept what intake accepts: NULL in every contracted column a record may omit.

dlt types a table from the first rows it loads. The demo's and an export's Arrow parts mark every
column they always fill as non-null, so a warehouse first filled by the landing got NOT NULL on
columns like `trace_id`, and the collector's loader then had every live call without one refused
by Postgres (quarantined, never in the marts). Whichever loader runs drops those constraints on the
columns intake does not require (outcomelens.contract: `required`) before it loads: the landing
after each run, the loader when it starts.
"""

from __future__ import annotations

from collections.abc import Iterable

from psycopg2 import sql

from outcomelens.contract import RAW_TABLES


def optional_columns(table: str) -> set[str]:
    """The contracted columns of `table` a record may omit (never its primary key)."""
    spec = RAW_TABLES[table]
    return {c.name for c in spec.columns if not c.required and c.name not in spec.primary_key}


def allow_nulls_where_optional(warehouse, tables: Iterable[str], schema: str = "raw") -> list[str]:
    """DROP NOT NULL on the optional columns of `tables` that have one, in `schema` and in dlt's staging
    dataset beside it (`<schema>_staging`, where a merge load first copies its rows, created with the
    same columns); returns them as schema.table.column."""
    tables = sorted(set(tables) & set(RAW_TABLES))
    with warehouse.connection() as conn, conn.cursor() as cur:
        cur.execute("select table_schema, table_name, column_name from information_schema.columns "
                    "where table_schema = any(%s) and table_name = any(%s) and is_nullable = 'NO'",
                    ([schema, f"{schema}_staging"], tables))
        relaxed = sorted((s, t, c) for s, t, c in cur.fetchall() if c in optional_columns(t))
        for names in relaxed:
            cur.execute(sql.SQL("alter table {}.{} alter column {} drop not null").format(
                *(sql.Identifier(name) for name in names)))
    return [".".join(names) for names in relaxed]
