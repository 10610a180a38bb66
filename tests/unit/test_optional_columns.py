"""A raw table created NOT NULL by the landing takes the collector's records without optional fields."""

from __future__ import annotations

import uuid

from ingestion.sources.optional_columns import allow_nulls_where_optional, optional_columns


def test_optional_columns_are_those_intake_does_not_require_outside_the_key():
    optional = optional_columns("llm_calls")
    assert {"trace_id", "span_id", "customer_ref", "intent", "latency_ms", "cost_usd"} <= optional
    assert not optional & {"event_id", "occurred_at", "conversation_id", "llm_model", "project"}


def test_not_null_is_dropped_on_optional_columns_only_and_a_call_without_trace_id_loads(local_postgres):
    wh = local_postgres
    schema = f"ol_nn_{uuid.uuid4().hex[:8]}"
    try:
        with wh.connection() as conn, conn.cursor() as cur:
            # as dlt creates it from the demo's Arrow parts: every always-filled column NOT NULL
            # as dlt creates it from the demo's Arrow parts, and its merge staging copy beside it
            for dataset in (schema, f"{schema}_staging"):
                cur.execute(f"create schema {dataset}; create table {dataset}.llm_calls (event_id text not null, "
                            "project text not null, conversation_id text not null, llm_model text not null, "
                            "trace_id text not null, span_id text not null, demo_extra text not null)")
        relaxed = allow_nulls_where_optional(wh, ["llm_calls", "not_a_raw_table"], schema=schema)
        assert relaxed == [f"{schema}.llm_calls.span_id", f"{schema}.llm_calls.trace_id",
                           f"{schema}_staging.llm_calls.span_id", f"{schema}_staging.llm_calls.trace_id"]
        with wh.connection() as conn, conn.cursor() as cur:
            for dataset in (schema, f"{schema}_staging"):
                cur.execute(f"insert into {dataset}.llm_calls values ('e1', 'p', 'c1', 'gpt-4o', null, null, 'x')")
            cur.execute("select column_name from information_schema.columns where table_schema = %s "
                        "and is_nullable = 'NO' order by 1", (schema,))
            assert [r[0] for r in cur.fetchall()] == ["conversation_id", "demo_extra", "event_id", "llm_model",
                                                      "project"]
        assert allow_nulls_where_optional(wh, ["llm_calls"], schema=schema) == []  # nothing left to do
    finally:
        with wh.connection() as conn, conn.cursor() as cur:
            cur.execute(f"drop schema if exists {schema} cascade; drop schema if exists {schema}_staging cascade")
