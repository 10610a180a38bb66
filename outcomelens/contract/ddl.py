"""The raw tables dbt reads, created empty when a warehouse does not have them yet.

A fresh `outcomelens up` has no `raw.*` until each source's first load, and dbt's staging views
cannot be created over a table that does not exist: the first micro-batch of LLM calls would wait for
a first HubSpot sync before any mart is built. Created with the contract's columns and dlt's
`_dlt_load_id` (the loaders write it for Arrow rows too, see ingestion/sources/spool/source.py); dlt
finds them on its first load and adds whatever else it needs. A table dlt created before the loaders
wrote load ids gets the column (null for its old rows) and, everywhere, an index on it.
"""

from __future__ import annotations

from psycopg2 import sql

from outcomelens.contract.tables import POSTGRES_TYPES, RAW_TABLES, Table

RAW_SCHEMA = "raw"
LOAD_ID = "_dlt_load_id"


def create_table_sql(table: Table) -> sql.Composed:
    columns = [sql.SQL("{} {}").format(sql.Identifier(c.name), sql.SQL(POSTGRES_TYPES[c.type])) for c in table.columns]
    columns.append(sql.SQL("{} varchar").format(sql.Identifier(LOAD_ID)))
    return sql.SQL("create table if not exists {}.{} ({})").format(
        sql.Identifier(RAW_SCHEMA), sql.Identifier(table.name), sql.SQL(", ").join(columns)
    )


def create_missing_raw_tables(conn) -> list[str]:
    """Every raw table a dbt source reads, created empty if missing, with an index on its load id;
    returns the tables created."""
    created = []
    with conn.cursor() as cur:
        cur.execute(sql.SQL("create schema if not exists {}").format(sql.Identifier(RAW_SCHEMA)))
        for table in RAW_TABLES.values():
            if table.dbt_source is None:
                continue
            cur.execute("select to_regclass(%s)", (f"{RAW_SCHEMA}.{table.name}",))
            if cur.fetchone()[0] is None:
                cur.execute(create_table_sql(table))
                created.append(table.name)
            # The newest load per table is read every few seconds (freshness): an index makes it a lookup.
            cur.execute(
                sql.SQL("create index if not exists {} on {}.{} (_dlt_load_id)").format(
                    sql.Identifier(f"{table.name}__dlt_load_id"), sql.Identifier(RAW_SCHEMA), sql.Identifier(table.name)
                )
            )
    return created
