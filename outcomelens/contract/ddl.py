"""The raw tables dbt reads, created empty when a warehouse does not have them yet.

A fresh `outcomelens up` has no `raw.*` until each source's first load, and dbt's staging views
cannot be created over a table that does not exist: the first micro-batch of LLM calls would wait for
a first HubSpot sync before any mart is built. Created with the contract's columns and dlt's
`_dlt_load_id` (the loaders write it for Arrow rows too, see ingestion/sources/spool/source.py); dlt
finds them on its first load and adds whatever else it needs. A table dlt created before the loaders
wrote load ids gets the column (null for its old rows) and, everywhere, an index on it.

The conversation tables also get indexes on the ids int_conversations looks their records up by:
an incremental run rebuilds the conversations new loads touched from all of their records, which
without them is a scan of every call ever loaded, each micro-batch. Built once, on a table dlt may
already have filled (seconds per million rows).
"""

from __future__ import annotations

from psycopg2 import sql

from outcomelens.contract.tables import POSTGRES_TYPES, RAW_TABLES, Table

RAW_SCHEMA = "raw"
LOAD_ID = "_dlt_load_id"
LOOKUP_COLUMNS = {
    "llm_calls": (LOAD_ID, "conversation_id", "trace_id"),
    "conversation_events": (LOAD_ID, "conversation_id"),
    "feedback": (LOAD_ID, "conversation_id", "trace_id"),
}


def create_table_sql(table: Table) -> sql.Composed:
    columns = [sql.SQL("{} {}").format(sql.Identifier(c.name), sql.SQL(POSTGRES_TYPES[c.type])) for c in table.columns]
    columns.append(sql.SQL("{} varchar").format(sql.Identifier(LOAD_ID)))
    return sql.SQL("create table if not exists {}.{} ({})").format(
        sql.Identifier(RAW_SCHEMA), sql.Identifier(table.name), sql.SQL(", ").join(columns)
    )


def create_missing_raw_tables(conn) -> list[str]:
    """Every raw table a dbt source reads, created empty if missing, with its lookup indexes (the
    load id, and the conversation tables' ids); returns the tables created."""
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
            present = existing_columns(cur, table.name)
            for column in LOOKUP_COLUMNS.get(table.name, (LOAD_ID,)):
                if column in present:
                    cur.execute(create_index_sql(table.name, column))
    return created


def existing_columns(cur, table: str) -> set[str]:
    # dlt creates a column only once a load carries it (a table it made may lack trace_id yet).
    cur.execute(
        "select column_name from information_schema.columns where table_schema = %s and table_name = %s",
        (RAW_SCHEMA, table),
    )
    return {name for (name,) in cur.fetchall()}


def create_index_sql(table: str, column: str) -> sql.Composed:
    # The load id's index keeps the name it had before the other lookups were added.
    name = f"{table}_{column}" if column.startswith("_") else f"{table}__{column}"
    return sql.SQL("create index if not exists {} on {}.{} ({})").format(
        sql.Identifier(name), sql.Identifier(RAW_SCHEMA), sql.Identifier(table), sql.Identifier(column)
    )
