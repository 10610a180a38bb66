"""The dbt project against a real Postgres: a throwaway database, a small hand-made messy raw dataset,
`dbt seed` + `dbt build`, and marts checked against values computed by hand.

Needs a local Postgres at 127.0.0.1:5432 that trusts user `postgres` (and its unix socket in
/var/run/postgresql for the socket-host run). Skipped when none is reachable.
"""

from __future__ import annotations

import json
import math
import os
import signal
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest
from scipy.stats import binomtest

from outcomelens.cli.metric_docs import METRICS, read_catalogue
from outcomelens.core.cube_server import free_port
from outcomelens.core.warehouse import Warehouse
from tests.integration.support import NEEDS_DBT, PG_PORT, PG_SOCKET_DIR, PG_USER, Dbt, query, query_dicts

# ---------------------------------------------------------------------------------------------
# Raw tables as dlt creates them (text as varchar, plus the two dlt columns) — docs/contracts.md.
# ---------------------------------------------------------------------------------------------
RAW_DDL = """
create schema raw;
create table raw.llm_calls (
    event_id varchar not null primary key, occurred_at timestamptz, conversation_id varchar,
    trace_id varchar, span_id varchar, parent_span_id varchar, customer_ref varchar,
    experiment_id varchar, variant varchar, prompt_id varchar, prompt_version varchar,
    config varchar, config_hash varchar, llm_provider varchar, llm_model varchar,
    intent varchar, capability varchar, action varchar,
    latency_ms double precision, time_to_first_token_ms double precision,
    input_tokens bigint, output_tokens bigint, cached_input_tokens bigint,
    cost_usd double precision, status varchar, error_type varchar,
    project varchar not null default 'test', ingestion_key_id varchar,
    _dlt_load_id varchar not null default 'test', _dlt_id varchar not null default md5(random()::text)
);
create table raw.conversation_events (
    event_id varchar not null primary key, conversation_id varchar, occurred_at timestamptz,
    kind varchar, customer_ref varchar,
    project varchar not null default 'test', ingestion_key_id varchar,
    _dlt_load_id varchar not null default 'test', _dlt_id varchar not null default md5(random()::text)
);
create table raw.feedback (
    event_id varchar not null primary key, occurred_at timestamptz, conversation_id varchar,
    trace_id varchar, kind varchar, value double precision, comment varchar,
    project varchar not null default 'test', ingestion_key_id varchar,
    _dlt_load_id varchar not null default 'test', _dlt_id varchar not null default md5(random()::text)
);
create table raw.hubspot_contacts (
    id varchar not null primary key, email varchar, firstname varchar, lastname varchar,
    createdate timestamptz, lastmodifieddate timestamptz,
    _dlt_load_id varchar not null default 'test', _dlt_id varchar not null default md5(random()::text)
);
create table raw.hubspot_deals (
    id varchar not null primary key, dealname varchar, amount double precision, dealstage varchar,
    pipeline varchar, closedate timestamptz, createdate timestamptz, hs_lastmodifieddate timestamptz,
    _dlt_load_id varchar not null default 'test', _dlt_id varchar not null default md5(random()::text)
);
create table raw.hubspot_deal_contact_associations (
    deal_id varchar not null, contact_id varchar not null,
    _dlt_load_id varchar not null default 'test', _dlt_id varchar not null default md5(random()::text),
    primary key (deal_id, contact_id)
);
"""

CONTROL = {
    "experiment_id": "exp_sales_prompt", "variant": "control", "prompt_id": "sales_agent",
    "prompt_version": "sales_agent.v1", "config": json.dumps({"max_tokens": 512, "temperature": 0.2}),
    "config_hash": "b074aa88ad0a",
}
TREATMENT = {
    "experiment_id": "exp_sales_prompt", "variant": "treatment", "prompt_id": "sales_agent",
    "prompt_version": "sales_agent.v2", "config": json.dumps({"max_tokens": 512, "temperature": 0.7}),
    "config_hash": "750840bae40e",
}
SALES = {"intent": "product_question", "capability": "product_search", "action": "recommend_product"}
PRICING = {"intent": "discount_request", "capability": "discount_engine", "action": "apply_discount"}
OPENAI_MINI = {"llm_provider": "openai", "llm_model": "gpt-4o-mini"}

# Conversations (customer_ref exactly as the app sent it; all times UTC unless an offset is given):
#   c1  Alice by messy e-mail, v1, 2 calls (1 priced from the seed with cache, 1 reported, 'ERROR'),
#       resolved after 300 s, thumbs up + a thumbs down given on a trace id only → not converted
#       (her deal D1 goes to c2, the later touch)
#   c2  Alice by contact id, v2, resolved after 150 s, 2 csat (latest 5), ratings 4 and 5
#       → converted D1 (100.0)
#   c3  Bob by e-mail, v1, dated Claude snapshot priced by prefix, escalated, csat 2 → his deal D2
#       closes 19 days later: outside the window
#   c4  Carol, v2, abandoned; her only closedwon deal D5 closed before the conversation, D3 is lost
#   c5  unknown e-mail, v2 gemini, starts 2024-06-01 22:00-04 = 2024-06-02 02:00 UTC (date_day is
#       the UTC date even though the database's time zone is New York), resolved after 60 s
#   c6  Bob by id, v2, an unpriced fine-tuned model → converted D2 (250.0)
#   c7  events only: started, never ended, no calls, unknown contact
#   c8  Erin by id with spaces, v2 → deal D7 (stage ' ClosedWon ') closes exactly at the end of the
#       7-day window: converted (60.0)
CALLS = [
    dict(event_id="e1", occurred_at="2024-06-01 10:00:05+00", conversation_id="c1", trace_id="t1",
         customer_ref="  alice@EXAMPLE.com", **CONTROL, **OPENAI_MINI, **SALES, latency_ms=800.0,
         time_to_first_token_ms=200.0, input_tokens=1000, output_tokens=500, cached_input_tokens=200,
         cost_usd=None, status="ok"),
    dict(event_id="e2", occurred_at="2024-06-01 10:01:00+00", conversation_id="c1", trace_id="t1b",
         customer_ref="  alice@EXAMPLE.com", **CONTROL, **OPENAI_MINI, **SALES, latency_ms=1200.0,
         time_to_first_token_ms=None, input_tokens=1500, output_tokens=300, cached_input_tokens=0,
         cost_usd=0.002, status="ERROR", error_type="timeout"),
    dict(event_id="e3", occurred_at="2024-06-02 09:00:10+00", conversation_id="c2", trace_id="t2",
         customer_ref="101", **TREATMENT, **OPENAI_MINI, **SALES, latency_ms=600.0,
         time_to_first_token_ms=150.0, input_tokens=2000, output_tokens=400, cached_input_tokens=1000,
         cost_usd=None, status="ok"),
    dict(event_id="e4", occurred_at="2024-06-01 11:00:05+00", conversation_id="c3", trace_id="t3",
         customer_ref="Bob@Example.com", **CONTROL, llm_provider="anthropic",
         llm_model="claude-3-5-haiku-20241022", **SALES, latency_ms=1500.0, input_tokens=2000,
         output_tokens=100, cached_input_tokens=0, cost_usd=None, status="ok"),
    dict(event_id="e5", occurred_at="2024-06-01 11:02:00+00", conversation_id="c3", trace_id="t3",
         customer_ref="Bob@Example.com", **CONTROL, llm_provider="anthropic",
         llm_model="claude-3-5-haiku-20241022", **SALES, latency_ms=1700.0, input_tokens=3000,
         output_tokens=200, cached_input_tokens=0, cost_usd=0.01, status="ok"),
    dict(event_id="e6", occurred_at="2024-06-02 08:00:05+00", conversation_id="c4", trace_id="t4",
         customer_ref=" carol@example.com ", **TREATMENT, **OPENAI_MINI, **SALES, latency_ms=500.0,
         input_tokens=100, output_tokens=50, cached_input_tokens=None, cost_usd=None, status="ok"),
    dict(event_id="e7", occurred_at="2024-06-02 02:00:10+00", conversation_id="c5", trace_id="t5",
         customer_ref="unknown@example.com", **TREATMENT, llm_provider="google",
         llm_model="gemini-2.0-flash", **PRICING, latency_ms=400.0, input_tokens=1000,
         output_tokens=1000, cached_input_tokens=0, cost_usd=None, status="ok"),
    dict(event_id="e8", occurred_at="2024-06-15 10:00:05+00", conversation_id="c6", trace_id="t6",
         customer_ref="102", **TREATMENT, llm_provider="openai", llm_model="ft:gpt-4o-mini:acme",
         **SALES, latency_ms=700.0, input_tokens=10, output_tokens=10, cached_input_tokens=0,
         cost_usd=None, status="ok"),
    dict(event_id="e9", occurred_at="2024-06-03 08:00:05+00", conversation_id="c8", trace_id="t8",
         customer_ref=" 105 ", **TREATMENT, **OPENAI_MINI, **SALES, latency_ms=900.0,
         input_tokens=0, output_tokens=0, cached_input_tokens=0, cost_usd=0.0, status="ok"),
]

EVENTS = [
    ("s1", "c1", "2024-06-01 10:00:00+00", "started", "  alice@EXAMPLE.com"),
    ("x1", "c1", "2024-06-01 10:05:00+00", "resolved", "  alice@EXAMPLE.com"),
    ("s2", "c2", "2024-06-02 09:00:00+00", "started", "101"),
    ("x2", "c2", "2024-06-02 09:02:30+00", "resolved", "101"),
    ("s3", "c3", "2024-06-01 11:00:00+00", "started", "Bob@Example.com"),
    ("x3", "c3", "2024-06-01 11:10:00+00", "escalated", "Bob@Example.com"),
    ("s4", "c4", "2024-06-02 08:00:00+00", "Started", " carol@example.com "),
    ("x4", "c4", "2024-06-02 08:03:00+00", "abandoned", " carol@example.com "),
    ("s5", "c5", "2024-06-01 22:00:00-04", "started", "unknown@example.com"),
    ("x5", "c5", "2024-06-02 02:01:00+00", "resolved", "unknown@example.com"),
    ("s6", "c6", "2024-06-15 10:00:00+00", "started", "102"),
    ("x6", "c6", "2024-06-15 10:01:00+00", "resolved", "102"),
    ("s7", "c7", "2024-06-02 12:00:00+00", "started", "999"),
    ("s8", "c8", "2024-06-03 08:00:00+00", "started", " 105 "),
    ("x8", "c8", "2024-06-03 08:00:45+00", "resolved", " 105 "),
]

FEEDBACK = [
    ("f1", "2024-06-01 10:06:00+00", "c1", None, "thumb", 1.0, None),
    ("f2", "2024-06-01 10:06:30+00", None, "t1b", "thumb", 0.0, "too slow"),
    ("f3", "2024-06-02 09:03:00+00", "c2", "t2", "thumb", 1.0, None),
    ("f4", "2024-06-02 09:05:00+00", "c2", None, "csat", 4.0, None),
    ("f5", "2024-06-02 09:10:00+00", "c2", None, "csat", 5.0, "changed my mind"),
    ("f6", "2024-06-02 09:04:00+00", "c2", None, "rating", 4.0, None),
    ("f7", "2024-06-02 09:04:30+00", "c2", None, "rating", 5.0, None),
    ("f8", "2024-06-01 11:11:00+00", "c3", None, "csat", 2.0, None),
    ("f9", "2024-06-02 00:00:00+00", "ghost", None, "thumb", 1.0, None),
    ("f10", "2024-06-02 00:00:00+00", None, "no-such-trace", "thumb", 1.0, None),
]

CONTACTS = [
    ("101", "  Alice@Example.COM ", "Alice", "A"),
    ("102", "bob@example.com", "Bob", "B"),
    ("103", "Carol@example.com", "Carol", "C"),
    ("104", "dave@example.com", "Dave", "D"),
    ("105", None, "Erin", "E"),
]

DEALS = [  # id, amount, stage, closedate
    ("D1", 100.0, "closedwon", "2024-06-03 12:00:00+00"),
    ("D2", 250.0, "closedwon", "2024-06-20 10:00:00+00"),
    ("D3", 999.0, "closedlost", "2024-06-03 00:00:00+00"),
    ("D4", 80.0, "closedwon", "2024-06-02 00:00:00+00"),
    ("D5", 40.0, "closedwon", "2024-05-30 00:00:00+00"),
    ("D6", 500.0, "appointmentscheduled", None),
    ("D7", 60.0, " ClosedWon ", "2024-06-10 08:00:00+00"),
]

ASSOCIATIONS = [("D1", "101"), ("D2", "102"), ("D3", "103"), ("D4", "104"), ("D5", "103"),
                ("D6", "101"), ("D7", "105")]

CALL_COLUMNS = [
    "event_id", "occurred_at", "conversation_id", "trace_id", "span_id", "parent_span_id",
    "customer_ref", "experiment_id", "variant", "prompt_id", "prompt_version", "config",
    "config_hash", "llm_provider", "llm_model", "intent", "capability", "action", "latency_ms",
    "time_to_first_token_ms", "input_tokens", "output_tokens", "cached_input_tokens", "cost_usd",
    "status", "error_type",
]

# Hand-computed LLM costs (USD per 1M tokens from seeds/model_prices.csv):
#   e1 gpt-4o-mini: (800 × 0.15 + 200 × 0.075 + 500 × 0.60) / 1e6 = 0.000435; e2 reported 0.002
#   e3 gpt-4o-mini: (1000 × 0.15 + 1000 × 0.075 + 400 × 0.60) / 1e6 = 0.000465
#   e4 claude-3-5-haiku-20241022 → claude-3-5-haiku: (2000 × 0.80 + 100 × 4.00) / 1e6 = 0.002; e5 0.01
#   e6 gpt-4o-mini, cached null: (100 × 0.15 + 50 × 0.60) / 1e6 = 0.000045
#   e7 gemini-2.0-flash: (1000 × 0.10 + 1000 × 0.40) / 1e6 = 0.0005
#   e8 ft:gpt-4o-mini:acme: not in the price table → 0; e9 reported 0.0
EXPECTED_CONVERSATIONS = {
    # id: (contact_id, date_day, converted, deal_id, order_value, resolved, escalated, abandoned,
    #      deflected, resolution_time_s, llm_calls, llm_errors, cost_usd, thumbs_up, thumbs_down,
    #      rating_mean, csat)
    "c1": ("101", "2024-06-01", False, None, None, True, False, False, True, 300.0, 2, 1, 0.002435, 1, 1, None, None),
    "c2": ("101", "2024-06-02", True, "D1", 100.0, True, False, False, True, 150.0, 1, 0, 0.000465, 1, 0, 4.5, 5.0),
    "c3": ("102", "2024-06-01", False, None, None, False, True, False, False, None, 2, 0, 0.012, 0, 0, None, 2.0),
    "c4": ("103", "2024-06-02", False, None, None, False, False, True, False, None, 1, 0, 0.000045, 0, 0, None, None),
    "c5": (None, "2024-06-02", False, None, None, True, False, False, True, 60.0, 1, 0, 0.0005, 0, 0, None, None),
    "c6": ("102", "2024-06-15", True, "D2", 250.0, True, False, False, True, 60.0, 1, 0, 0.0, 0, 0, None, None),
    "c7": (None, "2024-06-02", False, None, None, False, False, False, False, None, 0, 0, 0.0, 0, 0, None, None),
    "c8": ("105", "2024-06-03", True, "D7", 60.0, True, False, False, True, 45.0, 1, 0, 0.0, 0, 0, None, None),
}


pytestmark = NEEDS_DBT


def _load_raw(conn) -> None:
    with conn.cursor() as cur:
        cur.execute(RAW_DDL)
        for call in CALLS:
            row = [call.get(column) for column in CALL_COLUMNS]
            cur.execute(
                f"insert into raw.llm_calls ({', '.join(CALL_COLUMNS)}) "
                f"values ({', '.join(['%s'] * len(CALL_COLUMNS))})",
                row,
            )
        cur.executemany(
            "insert into raw.conversation_events (event_id, conversation_id, occurred_at, kind, customer_ref)"
            " values (%s, %s, %s, %s, %s)", EVENTS)
        cur.executemany(
            "insert into raw.feedback (event_id, occurred_at, conversation_id, trace_id, kind, value, comment)"
            " values (%s, %s, %s, %s, %s, %s, %s)", FEEDBACK)
        cur.executemany(
            "insert into raw.hubspot_contacts (id, email, firstname, lastname, createdate, lastmodifieddate)"
            " values (%s, %s, %s, %s, '2024-05-01 00:00:00+00', '2024-05-01 00:00:00+00')", CONTACTS)
        cur.executemany(
            "insert into raw.hubspot_deals (id, dealname, amount, dealstage, pipeline, closedate, createdate,"
            " hs_lastmodifieddate) values (%(id)s, 'Deal ' || %(id)s, %(amount)s, %(stage)s, 'default',"
            " %(closedate)s, '2024-05-15 00:00:00+00', '2024-06-20 00:00:00+00')",
            [dict(id=d, amount=a, stage=s, closedate=c) for d, a, s, c in DEALS])
        cur.executemany(
            "insert into raw.hubspot_deal_contact_associations (deal_id, contact_id) values (%s, %s)",
            ASSOCIATIONS)


@pytest.fixture(scope="module")
def warehouse(warehouse_db, dbt):
    """The module's throwaway database with raw data, seeded and built once."""
    # A session time zone far from UTC: date_day must still be the UTC date.
    with warehouse_db.connection() as conn, conn.cursor() as cur:
        cur.execute(f"alter database \"{warehouse_db.database}\" set timezone to 'America/New_York'")
    with warehouse_db.connection() as conn:
        _load_raw(conn)
    dbt("seed")
    build = dbt("build")
    return warehouse_db, dbt, build


def test_build_passes_and_runs_unit_tests(warehouse):
    _, _, build = warehouse
    out = build.stdout
    assert "Completed successfully" in out or "Completed with" in out, out[-3000:]
    assert "ERROR=0" in out, out[-3000:]
    assert "attributes_last_touch_within_window" in out
    assert "credits_each_deal_once_across_contacts" in out
    for unit_test in ("compares_variants_from_additive_parts", "attribution_daily_adds_up_parts_and_histograms",
                      "fct_conversations_joins_outcomes_to_conversations", "fct_llm_calls_prices_and_flags",
                      "fct_outcome_metrics_keeps_rows_and_utc_day", "dim_experiments_lists_arms_and_control",
                      "dim_models_joins_the_price_row", "dim_prompts_one_row_per_version",
                      "dim_intents_keeps_seeded_and_unseeded_values",
                      "dim_capabilities_keeps_seeded_and_unseeded_values",
                      "dim_actions_keeps_seeded_and_unseeded_values", "srm_planted_mismatch_flagged_clean_split_not",
                      "stg_llm_calls_priced_by_longest_prefix"):
        assert unit_test in out, unit_test


def test_schemas_are_used_verbatim(warehouse):
    wh, _, _ = warehouse
    tables = set(query(wh, """
        select table_schema, table_name from information_schema.tables
        where table_schema in ('staging', 'intermediate', 'marts', 'seeds')
    """))
    assert ("marts", "fct_conversations") in tables
    assert ("marts", "fct_attribution_daily") in tables
    assert ("intermediate", "int_conversations") in tables
    assert ("intermediate", "int_conversations__outcomes") in tables
    assert ("staging", "stg_outcomelens__llm_calls") in tables
    assert ("staging", "stg_hubspot__contacts") in tables
    assert ("seeds", "model_prices") in tables
    assert ("seeds", "taxonomy") in tables


def test_fct_conversations_matches_hand_computed_values(warehouse):
    wh, _, _ = warehouse
    rows = {
        r["conversation_id"]: r
        for r in query_dicts(wh, "select * from marts.fct_conversations")
    }
    assert set(rows) == set(EXPECTED_CONVERSATIONS)
    fields = ["contact_id", "date_day", "converted", "deal_id", "order_value_usd", "resolved",
              "escalated", "abandoned", "deflected", "resolution_time_s", "llm_calls", "llm_errors",
              "cost_usd", "thumbs_up", "thumbs_down", "rating_mean", "csat"]
    for conversation_id, expected in EXPECTED_CONVERSATIONS.items():
        row = rows[conversation_id]
        for field, value in zip(fields, expected):
            actual = row[field]
            if field == "date_day":
                actual = actual.isoformat()
            if isinstance(value, float):
                assert actual == pytest.approx(value, abs=1e-9), (conversation_id, field, actual)
            else:
                assert actual == value, (conversation_id, field, actual)

    assert sorted(cid for cid, r in rows.items() if r["converted"]) == ["c2", "c6", "c8"]
    # Dimensions come from the calls; a conversation without calls has none.
    assert rows["c3"]["llm_model"] == "claude-3-5-haiku-20241022"
    assert rows["c2"]["prompt_version"] == "sales_agent.v2"
    assert rows["c7"]["prompt_version"] is None and rows["c7"]["llm_calls"] == 0
    assert rows["c1"]["customer_ref"] == "  alice@EXAMPLE.com"
    assert rows["c1"]["input_tokens"] == 2500 and rows["c1"]["output_tokens"] == 800
    assert rows["c1"]["latency_ms_sum"] == pytest.approx(2000.0)


def _mart_columns(wh, table: str) -> list[str]:
    return [name for (name,) in query(wh, """
        select column_name from information_schema.columns
        where table_schema = 'marts' and table_name = %s order by ordinal_position
    """, (table,))]


def test_fct_conversations_column_contract(warehouse):
    wh, _, _ = warehouse
    assert _mart_columns(wh, "fct_conversations") == [
        "conversation_id", "project", "customer_ref", "contact_id", "started_at", "date_day", "experiment_id",
        "variant", "prompt_id", "prompt_version", "config_hash", "llm_provider", "llm_model", "intent",
        "capability", "action", "llm_calls", "llm_errors", "latency_ms_sum", "input_tokens",
        "output_tokens", "cost_usd", "resolved", "escalated", "abandoned", "deflected",
        "resolution_time_s", "converted", "deal_id", "order_value_usd", "thumbs_up", "thumbs_down",
        "rating_mean", "csat", "conversion_credit", "attributed_order_value", "attribution_reason", "last_load_id",
        "refreshed_at", "replaced_date_day",
    ]
    assert _mart_columns(wh, "fct_attribution_daily") == [
        "date_day", "experiment_id", "variant", "prompt_id", "prompt_version", "config_hash",
        "llm_provider", "llm_model", "intent", "capability", "action", "conversations", "conversions",
        "order_value_sum", "order_value_sum_sq", "resolved", "escalated", "deflected", "abandoned",
        "resolution_time_s_sum", "llm_calls", "llm_errors", "latency_ms_sum", "latency_ms_sum_sq",
        "input_tokens", "output_tokens", "cost_usd", "thumbs_up", "thumbs_total", "csat_sum",
        "csat_count",
        # added by docs/contracts.md "Contracts added for the next issues"
        "ttft_ms_sum", "cached_input_tokens", "rating_sum", "rating_count", "thumbs_down",
        *[f"latency_le_{e}" for e in (100, 250, 500, 750, 1000, 1250, 1500, 1750, 2000, 2500, 3000, 4000,
                                      5000, 7500, 10000, 20000, 60000)],
        *[f"resolution_le_{e}" for e in (30, 60, 120, 180, 300, 450, 600, 900, 1200, 1800, 2700, 3600,
                                         7200, 14400, 86400)],
        # parts for Welch intervals and the attribution_model credit (this project's additions)
        "resolution_time_s_sum_sq", "csat_sum_sq", "cost_usd_sum_sq", "conversion_credit",
        "attributed_order_value_sum", "refreshed_at",
    ]


def test_attribution_daily_reaggregates_by_prompt_version(warehouse):
    wh, _, _ = warehouse
    by_version = {
        version: (conversations, conversions, order_value_sum, order_value_sum_sq)
        for version, conversations, conversions, order_value_sum, order_value_sum_sq in query(wh, """
            select prompt_version, sum(conversations)::int, sum(conversions)::int,
                   sum(order_value_sum), sum(order_value_sum_sq)
            from marts.fct_attribution_daily
            group by prompt_version
        """)
    }
    assert by_version["sales_agent.v1"] == (2, 0, 0.0, 0.0)
    conversations, conversions, revenue, revenue_sq = by_version["sales_agent.v2"]
    assert (conversations, conversions) == (5, 3)
    assert revenue == pytest.approx(410.0)
    assert revenue_sq == pytest.approx(100.0**2 + 250.0**2 + 60.0**2)
    assert conversions / conversations == pytest.approx(0.6)  # conversion rate of v2
    assert revenue / conversions == pytest.approx(410.0 / 3)  # average order value of v2
    assert by_version[None] == (1, 0, 0.0, 0.0)  # c7: events only, no dimensions

    # The same rates from fct_conversations directly.
    direct = dict(query(wh, """
        select prompt_version, avg(case when converted then 1.0 else 0.0 end)
        from marts.fct_conversations group by prompt_version
    """))
    assert float(direct["sales_agent.v2"]) == pytest.approx(0.6)
    assert float(direct["sales_agent.v1"]) == pytest.approx(0.0)


def test_attribution_daily_parts(warehouse):
    wh, _, _ = warehouse
    rows = query_dicts(wh, "select * from marts.fct_attribution_daily order by date_day, llm_model nulls first")
    assert len(rows) == 7
    for row in rows:
        assert all(row[column] is not None for column in (
            "conversations", "conversions", "order_value_sum", "resolved", "cost_usd", "csat_sum",
            "csat_count", "thumbs_total", "latency_ms_sum_sq"))

    # c2 and c4 share day and every dimension: one row, two conversations.
    (shared,) = [r for r in rows if r["date_day"].isoformat() == "2024-06-02" and r["llm_model"] == "gpt-4o-mini"]
    assert shared["conversations"] == 2
    assert shared["conversions"] == 1
    assert shared["order_value_sum"] == pytest.approx(100.0)
    assert shared["resolved"] == 1 and shared["abandoned"] == 1 and shared["deflected"] == 1
    assert shared["resolution_time_s_sum"] == pytest.approx(150.0)
    assert shared["llm_calls"] == 2
    assert shared["latency_ms_sum"] == pytest.approx(1100.0)
    assert shared["latency_ms_sum_sq"] == pytest.approx(600.0**2 + 500.0**2)
    assert shared["cost_usd"] == pytest.approx(0.000465 + 0.000045)
    assert shared["thumbs_up"] == 1 and shared["thumbs_total"] == 1
    assert shared["csat_sum"] == pytest.approx(5.0) and shared["csat_count"] == 1

    totals = query(wh, """
        select sum(conversations)::int, sum(conversions)::int, sum(escalated)::int,
               sum(abandoned)::int, sum(deflected)::int, sum(llm_calls)::int, sum(llm_errors)::int,
               sum(thumbs_up)::int, sum(thumbs_total)::int, sum(csat_sum), sum(csat_count)::int,
               sum(cost_usd), sum(resolution_time_s_sum), sum(resolved)::int
        from marts.fct_attribution_daily
    """)[0]
    (conversations, conversions, escalated, abandoned, deflected, calls, errors, thumbs_up,
     thumbs_total, csat_sum, csat_count, cost, resolution_sum, resolved) = totals
    assert (conversations, conversions, escalated, abandoned, deflected) == (8, 3, 1, 1, 5)
    assert (calls, errors, thumbs_up, thumbs_total, csat_count) == (9, 1, 2, 3, 2)
    assert csat_sum == pytest.approx(7.0)
    assert cost == pytest.approx(0.002435 + 0.000465 + 0.012 + 0.000045 + 0.0005)
    # Mean resolution time re-aggregated: (300 + 150 + 60 + 60 + 45) / 5 resolved conversations.
    assert resolved == 5
    assert resolution_sum / resolved == pytest.approx(615.0 / 5)

    (count_fct,) = query(wh, "select count(*) from marts.fct_conversations")[0]
    assert conversations == count_fct


def test_cost_filled_from_price_seed(warehouse):
    wh, _, _ = warehouse
    costs = dict((r[0], (r[1], r[2], r[3])) for r in query(wh, """
        select event_id, cost_usd, cost_source, price_model from staging.stg_outcomelens__llm_calls
    """))
    assert costs["e1"][0] == pytest.approx(0.000435) and costs["e1"][1:] == ("price_table", "gpt-4o-mini")
    assert costs["e2"] == (pytest.approx(0.002), "reported", "gpt-4o-mini")
    assert costs["e4"][0] == pytest.approx(0.002) and costs["e4"][2] == "claude-3-5-haiku"
    assert costs["e6"][0] == pytest.approx(0.000045)
    assert costs["e7"][0] == pytest.approx(0.0005) and costs["e7"][2] == "gemini-2.0-flash"
    assert costs["e8"] == (None, "unpriced", None)
    assert costs["e9"] == (0.0, "reported", "gpt-4o-mini")


def test_contact_linkage_normalises_emails(warehouse):
    wh, _, _ = warehouse
    (email_normalized,) = query(wh, "select email_normalized from staging.stg_hubspot__contacts where contact_id = '101'")[0]
    assert email_normalized == "alice@example.com"
    links = dict(query(wh, "select conversation_id, contact_id from intermediate.int_conversations__outcomes"))
    assert links["c1"] == "101"  # '  alice@EXAMPLE.com' ↔ '  Alice@Example.COM '
    assert links["c4"] == "103"  # ' carol@example.com ' ↔ 'Carol@example.com'
    assert links["c8"] == "105"  # ' 105 ' ↔ contact id 105 (no e-mail)


def test_second_build_over_unix_socket_keeps_row_counts(warehouse):
    wh, dbt, _ = warehouse
    count_sql = """
        select (select count(*) from marts.fct_conversations),
               (select count(*) from marts.fct_attribution_daily),
               (select sum(conversations)::int from marts.fct_attribution_daily),
               (select count(*) from intermediate.int_conversations)
    """
    before = query(wh, count_sql)[0]
    if not Path(PG_SOCKET_DIR).is_dir():
        pytest.skip(f"no unix-socket directory {PG_SOCKET_DIR}")
    result = dbt("build", host=PG_SOCKET_DIR)
    assert "ERROR=0" in result.stdout
    after = query(wh, count_sql)[0]
    assert after == before == (8, 7, 8, 8)


def test_parse_needs_no_database(tmp_path):
    nowhere = Warehouse(host="nowhere.invalid", port=PG_PORT, user=PG_USER, password="", database="none")
    Dbt(nowhere, tmp_path)("parse")
    manifest = json.loads((tmp_path / "target" / "manifest.json").read_text())
    models = {node["name"] for node in manifest["nodes"].values() if node["resource_type"] == "model"}
    assert {"fct_conversations", "fct_attribution_daily", "int_conversations",
            "int_conversations__outcomes", "stg_outcomelens__llm_calls"} <= models


# ---------------------------------------------------------------------------------------------
# Marts added by issue 3 (docs/contracts.md, second half), on the same hand-made data.
# ---------------------------------------------------------------------------------------------

def test_fct_llm_calls_one_row_per_call_with_price_flag(warehouse):
    wh, _, _ = warehouse
    rows = {r["event_id"]: r for r in query_dicts(wh, "select * from marts.fct_llm_calls")}
    assert set(rows) == {f"e{i}" for i in range(1, 10)}
    assert rows["e1"]["cost_usd"] == pytest.approx(0.000435) and rows["e1"]["cost_from_price_table"]
    assert rows["e2"]["cost_from_price_table"] is False and rows["e2"]["is_error"] and rows["e2"]["status"] == "error"
    assert rows["e8"]["cost_usd"] is None and rows["e8"]["cost_from_price_table"] is False
    assert rows["e7"]["date_day"].isoformat() == "2024-06-02"


def test_attribution_daily_histograms_and_new_parts(warehouse):
    wh, _, _ = warehouse
    (le500, le1000, le60000, calls, res60, res180, res300, resolved, thumbs_down, rating_sum, rating_count,
     cached, credit) = query(wh, """
        select sum(latency_le_500)::int, sum(latency_le_1000)::int, sum(latency_le_60000)::int,
               sum(llm_calls)::int, sum(resolution_le_60)::int, sum(resolution_le_180)::int,
               sum(resolution_le_300)::int, sum(resolved)::int, sum(thumbs_down)::int, sum(rating_sum),
               sum(rating_count)::int, sum(cached_input_tokens)::int, sum(conversion_credit)
        from marts.fct_attribution_daily
    """)[0]
    # latencies 800, 1200, 600, 1500, 1700, 500, 400, 700, 900 ms
    assert (le500, le1000, le60000, calls) == (2, 6, 9, 9)
    # resolution times of the resolved conversations: 300, 150, 60, 60, 45 s
    assert (res60, res180, res300, resolved) == (3, 4, 5, 5)
    assert (thumbs_down, rating_sum, rating_count) == (1, 9.0, 2)
    assert cached == 200 + 1000  # e1 and e3; e6's null counts as 0
    assert credit == 3.0  # last touch: the three converted conversations


def test_experiment_comparison_matches_hand_computed_intervals(warehouse):
    wh, _, _ = warehouse
    rows = {r["metric_name"]: r for r in query_dicts(wh, """
        select * from marts.fct_experiment_comparison where experiment_id = 'exp_sales_prompt'
    """)}
    assert len(rows) == 9
    conversion = rows["conversion_rate"]
    # control sales_agent.v1: c1, c3 → 0 of 2; treatment v2: c2, c4, c5, c6, c8 → 3 of 5
    assert (conversion["n_control"], conversion["n_variant"]) == (2, 5)
    # Wilson score intervals of each arm, computed independently by scipy
    (l1, u1), (l2, u2) = (binomtest(x, n).proportion_ci(method="wilson") for x, n in ((0, 2), (3, 5)))
    low = 0.6 - math.sqrt((0.6 - l2) ** 2 + (u1 - 0.0) ** 2)
    high = 0.6 + math.sqrt((u2 - 0.6) ** 2 + (0.0 - l1) ** 2)
    assert conversion["difference"] == pytest.approx(0.6)
    assert (conversion["ci_low"], conversion["ci_high"]) == (pytest.approx(low), pytest.approx(high))
    assert conversion["method"] == "newcombe_wilson" and conversion["underpowered"]
    assert conversion["significant"] == (low > 0)
    latency = rows["latency_mean_ms"]
    # control calls 800, 1200, 1500, 1700 ms; treatment 600, 500, 400, 700, 900 ms
    assert (latency["n_control"], latency["n_variant"]) == (4, 5)
    assert latency["difference"] == pytest.approx(620.0 - 1300.0)
    assert latency["method"] == "welch" and latency["ci_low"] < latency["difference"] < latency["ci_high"]


def test_docs_generate_lists_every_metric_with_its_definition(warehouse):
    _, dbt, _ = warehouse
    dbt("docs", "generate")
    manifest = json.loads((dbt.workdir / "target" / "manifest.json").read_text())
    docs = {d["name"]: d["block_contents"] for d in manifest["docs"].values()}
    measures = read_catalogue()["measures"]
    for block, spec in METRICS.items():
        assert block in docs, block
        for measure in spec["measures"]:
            assert measures[measure]["description"] in docs[block], (block, measure)
    rendered = manifest["nodes"]["model.outcomelens.fct_attribution_daily"]["columns"]["conversions"]["description"]
    assert measures["conversion_rate"]["description"] in rendered
    catalog = json.loads((dbt.workdir / "target" / "catalog.json").read_text())
    assert "model.outcomelens.fct_experiment_comparison" in catalog["nodes"]


def test_outcomelens_docs_serves_on_loopback(warehouse, cli):
    port = free_port()
    proc = cli.start("docs", "--port", str(port), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 240
        manifest = None
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/manifest.json", timeout=5) as response:
                    manifest = json.loads(response.read())
                break
            except OSError:
                time.sleep(1)
        assert manifest is not None, proc.stdout.read() if proc.poll() is not None else "docs server did not answer"
        assert "doc.outcomelens.metric_conversion_rate" in manifest["docs"]
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/index.html", timeout=5) as response:
            assert response.status == 200
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=30)
