"""The conversation chain incremental by dlt load, the real way: records through the collector and the
loader into raw, `dbt run` twice (a full build, then an incremental run after a second load and a
deal closing in HubSpot), and the result compared with a full refresh of the same data.

  * first load (three days back, two back, the day before yesterday's conversation `c`):
    `a` has two calls (trace `t-a`), `b` one call, `c` one call two days earlier;
  * second load: a third call of `a`, a thumb on trace `t-a` naming no conversation, a `started`
    event of `b` a day before its call (its day moves), a new conversation `d`; then a closedwon deal
    of `b`'s contact closes in HubSpot (written to raw as the sync would, outside any dlt load).

The incremental run must rewrite `a`, `b` and `d` and leave `c`'s row as it was (same row version),
rebuild only the days those conversations are on or left, and end equal to a full refresh.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
import requests

from ingestion.collector.keys import create_key
from tests.integration.support import HUBSPOT_RAW_DDL, NEEDS_DBT, query, query_dicts, synthetic_call

pytestmark = NEEDS_DBT

TODAY = datetime.now(timezone.utc).replace(hour=12, minute=0, second=0, microsecond=0)
DAY = TODAY - timedelta(days=3)
CHAIN = ("+fct_attribution_daily", "+fct_conversations")
# The runs follow each other within seconds: without this, the lookback for a load whose commit
# raced the previous run (30 s) would take the first load again, and rewrite `c` too.
NO_LOOKBACK = {"load_lookback_seconds": 0}
# Columns that say when a row was written, not what it holds.
WRITE_STAMPS = {"refreshed_at", "replaced_date_day"}


def post(url: str, key: str, path: str, records: list[dict]) -> None:
    answer = requests.post(f"{url}/v1/{path}", json=records, headers={"Authorization": f"Bearer {key}"}, timeout=10)
    assert answer.json()["accepted"] == len(records), answer.text


def call(event_id: str, conversation_id: str, at: datetime, latency_ms: float, **fields) -> dict:
    return synthetic_call(event_id, conversation_id, at.isoformat(), latency_ms=latency_ms, **fields)


def snapshot(wh, table: str) -> list[dict]:
    rows = query_dicts(wh, f"select * from {table}")
    content = [{k: v for k, v in row.items() if k not in WRITE_STAMPS} for row in rows]
    return sorted(content, key=repr)


def row_versions(wh) -> dict[str, str]:
    return dict(query(wh, "select conversation_id, xmin::text from intermediate.int_conversations"))


@pytest.fixture(scope="module")
def runs(exported_warehouse, collector, dbt):
    wh, url = exported_warehouse, collector.url
    with wh.connection() as conn:
        _, key = create_key(conn, "shop", "app")
    post(url, key, "llm-calls", [
        call("a-1", "a", DAY, 90.0, trace_id="t-a"),
        call("a-2", "a", DAY + timedelta(minutes=1), 400.0, trace_id="t-a"),
        call("b-1", "b", DAY + timedelta(hours=1), 200.0, customer_ref="B@example.com "),
        call("c-1", "c", DAY - timedelta(days=2), 300.0),
    ])
    collector.load()
    with wh.connection() as conn, conn.cursor() as cur:
        cur.execute(HUBSPOT_RAW_DDL)
        cur.execute("insert into raw.hubspot_contacts (id, email, _dlt_load_id, _dlt_id) "
                    "values ('101', 'b@example.com', 'hubspot-1', 'h1')")
    dbt("seed")
    dbt("run", "--select", *CHAIN, dbt_vars=NO_LOOKBACK)
    before = {"versions": row_versions(wh), "daily": dict(query(
        wh, "select date_day, refreshed_at from marts.fct_attribution_daily"))}

    post(url, key, "llm-calls", [
        call("a-3", "a", DAY + timedelta(minutes=2), 1100.0, trace_id="t-a"),
        call("d-1", "d", TODAY, 50.0),
    ])
    post(url, key, "feedback", [
        {"event_id": "thumb-a", "occurred_at": TODAY.isoformat(), "trace_id": "t-a", "kind": "thumb", "value": 1},
    ])
    post(url, key, "conversation-events", [
        {"event_id": "b-started", "conversation_id": "b", "kind": "started",
         "occurred_at": (DAY - timedelta(days=1)).isoformat()},
    ])
    collector.load()
    with wh.connection() as conn, conn.cursor() as cur:
        cur.execute("insert into raw.hubspot_deals (id, amount, dealstage, closedate, _dlt_load_id, _dlt_id) "
                    "values ('deal-b', 50, 'closedwon', %s, 'hubspot-2', 'h2')", (DAY + timedelta(days=1),))
        cur.execute("insert into raw.hubspot_deal_contact_associations values ('deal-b', '101', 'hubspot-2', 'h3')")
    dbt("run", "--select", *CHAIN, dbt_vars=NO_LOOKBACK)
    incremental = {table: snapshot(wh, table) for table in (
        "intermediate.int_conversations", "marts.fct_conversations", "marts.fct_attribution_daily")}
    after = {"versions": row_versions(wh), "daily": dict(query(
        wh, "select date_day, refreshed_at from marts.fct_attribution_daily"))}
    conversations = {row["conversation_id"]: row for row in query_dicts(wh, "select * from marts.fct_conversations")}

    dbt("run", "--select", *CHAIN, "--full-refresh")
    full = {table: snapshot(wh, table) for table in incremental}
    return {"before": before, "after": after, "incremental": incremental, "full": full,
            "conversations": conversations}


def test_the_incremental_run_equals_a_full_refresh(runs):
    for table, rows in runs["incremental"].items():
        assert rows == runs["full"][table], table


def test_touched_conversations_are_rebuilt_from_all_their_records(runs):
    a, b, d = (runs["conversations"][c] for c in "abd")
    assert (a["llm_calls"], a["latency_ms_sum"], a["thumbs_up"]) == (3, 90.0 + 400.0 + 1100.0, 1)
    assert b["started_at"] == DAY - timedelta(days=1)
    assert b["replaced_date_day"] == DAY.date()
    assert (b["contact_id"], b["converted"], b["deal_id"], b["order_value_usd"]) == ("101", True, "deal-b", 50.0)
    assert d["llm_calls"] == 1


def test_only_the_touched_conversations_and_their_days_are_rewritten(runs):
    before, after = runs["before"]["versions"], runs["after"]["versions"]
    assert after["c"] == before["c"]
    assert all(after[c] != before[c] for c in "ab")
    assert set(after) == {"a", "b", "c", "d"}
    days_before, days_after = runs["before"]["daily"], runs["after"]["daily"]
    untouched = (DAY - timedelta(days=2)).date()
    assert days_after[untouched] == days_before[untouched]
    rebuilt = {day for day, at in days_after.items() if at != days_before.get(day)}
    # a's day (which b left), b's new day, d's day
    assert rebuilt == {DAY.date(), (DAY - timedelta(days=1)).date(), TODAY.date()}
