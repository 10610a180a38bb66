"""Late data and projects, the real way: records through the collector with two projects' keys, the
loader into raw, `dbt run` (incremental, never --full-refresh) into the marts, and Cube on top.

  * 20 recent conversations (one call each) are built first; then 20 conversations dated 30 days
    before the newest are backfilled. The incremental run must take all 20 backfilled calls into
    fct_llm_calls and their conversations into fct_conversations (an event-time lookback skipped
    every one of them), and Cube's drill-down must count them.
  * The same event_id sent with the keys of projects `shop` and `beta` is two rows, in raw and in
    the marts; sent again with `shop`'s key (a retry) it stays one row for `shop`. Cube filters by project.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
import requests

from ingestion.collector.keys import create_key
from outcomelens.core.tokens import mint_token
from tests.integration.support import HUBSPOT_RAW_DDL, NEEDS_DBT, number, query, query_value, running_cube

pytestmark = NEEDS_DBT

SECRET = "late-data-secret-" + "l" * 32
NOW = datetime.now(timezone.utc).replace(microsecond=0)
BACKFILL_AT = NOW - timedelta(days=30)


def conversation(prefix: str, index: int, at: datetime) -> tuple[dict, list[dict]]:
    """One call and its conversation's start and end events, `index` minutes after `at`."""
    conversation_id, started = f"{prefix}-{index:02d}", at + timedelta(minutes=index)
    call = {
        "event_id": f"{conversation_id}-call",
        "conversation_id": conversation_id,
        "llm_model": "gpt-4o-mini",
        "occurred_at": started.isoformat(),
        "latency_ms": 100.0 + index,
        "input_tokens": 10,
        "output_tokens": 5,
    }
    events = [
        {
            "event_id": f"{conversation_id}-{kind}",
            "conversation_id": conversation_id,
            "kind": kind,
            "occurred_at": (started + timedelta(seconds=seconds)).isoformat(),
        }
        for kind, seconds in (("started", -1), ("resolved", 60))
    ]
    return call, events


def send(url: str, key: str, calls: list[dict], events: list[dict] = ()) -> None:
    headers = {"Authorization": f"Bearer {key}"}
    answer = requests.post(url + "/v1/llm-calls", json=calls, headers=headers, timeout=10).json()
    assert answer["accepted"] == len(calls), answer
    if events:
        answer = requests.post(url + "/v1/conversation-events", json=list(events), headers=headers, timeout=10).json()
        assert answer["accepted"] == len(events), answer


def send_conversations(url: str, key: str, prefix: str, at: datetime) -> None:
    pairs = [conversation(prefix, index, at) for index in range(20)]
    send(url, key, [call for call, _ in pairs], [event for _, events in pairs for event in events])


@pytest.fixture(scope="module")
def built(exported_warehouse, collector, dbt):
    """Recent conversations built, then a backfill and the two projects' calls run incrementally."""
    wh, url = exported_warehouse, collector.url
    with wh.connection() as conn:
        _, shop = create_key(conn, "shop", "app")
        _, beta = create_key(conn, "beta", "app")
    send_conversations(url, shop, "recent", NOW - timedelta(hours=2))
    thumb = {
        "event_id": "recent-thumb",
        "occurred_at": NOW.isoformat(),
        "conversation_id": "recent-00",
        "kind": "thumb",
        "value": 1,
    }
    assert (
        requests.post(
            url + "/v1/feedback", json=[thumb], headers={"Authorization": f"Bearer {shop}"}, timeout=10
        ).json()["accepted"]
        == 1
    )
    collector.load()
    with wh.connection() as conn, conn.cursor() as cur:
        cur.execute(HUBSPOT_RAW_DDL)
    dbt("seed")
    dbt("run", "--select", "+fct_llm_calls", "+fct_conversations", "live_llm_calls")
    first_build = query_value(wh, "select count(*) from marts.fct_llm_calls")

    send_conversations(url, shop, "backfill", BACKFILL_AT)
    twin = {"event_id": "twin-call", "occurred_at": NOW.isoformat(), "llm_model": "gpt-4o-mini"}
    send(url, shop, [{**twin, "conversation_id": "shop-twin", "latency_ms": 10.0}])
    send(url, beta, [{**twin, "conversation_id": "beta-twin", "latency_ms": 20.0}])
    send(url, shop, [{**twin, "conversation_id": "shop-twin", "latency_ms": 10.0}])  # a client's retry
    collector.load()
    dbt("run", "--select", "+fct_llm_calls", "+fct_conversations", "live_llm_calls")
    return {"wh": wh, "first_build": first_build}


def test_backfilled_calls_reach_the_marts_without_full_refresh(built):
    wh = built["wh"]
    assert built["first_build"] == 20
    backfilled = query(
        wh,
        """select count(*), min(occurred_at), max(occurred_at) from marts.fct_llm_calls
                              where conversation_id like 'backfill-%'""",
    )[0]
    assert backfilled == (20, BACKFILL_AT, BACKFILL_AT + timedelta(minutes=19))
    conversations = query(
        wh,
        """select count(*), sum(llm_calls), bool_and(resolved) from marts.fct_conversations
                                 where conversation_id like 'backfill-%'""",
    )[0]
    assert conversations == (20, 20, True)
    # every row once: 20 recent + 20 backfilled calls + the twin event id in two projects
    assert query_value(wh, "select count(*) from marts.fct_llm_calls") == 42


def test_the_same_event_id_from_two_projects_is_two_rows(built):
    wh = built["wh"]
    raw = query(
        wh,
        """select project, conversation_id, latency_ms, ingestion_key_id is not null
                       from raw.llm_calls where event_id = 'twin-call' order by project""",
    )
    assert raw == [("beta", "beta-twin", 20.0, True), ("shop", "shop-twin", 10.0, True)]
    mart = query(
        wh,
        """select project, conversation_id, latency_ms from marts.fct_llm_calls
                        where event_id = 'twin-call' order by project""",
    )
    assert mart == [("beta", "beta-twin", 20.0), ("shop", "shop-twin", 10.0)]
    assert query(
        wh,
        """select conversation_id, project from marts.fct_conversations
                        where conversation_id like '%-twin' order by 1""",
    ) == [("beta-twin", "beta"), ("shop-twin", "shop")]
    keys = dict(query(wh, "select project, key_id from ops.ingestion_keys"))
    stamped = dict(query(wh, "select project, min(ingestion_key_id) from raw.llm_calls group by project"))
    assert stamped == keys


def test_cube_counts_backfilled_calls_and_filters_by_project(built, cube_packages, tmp_path_factory):
    def call_count(member: str, values: list[str], operator: str = "equals") -> float:
        query_body = {
            "measures": ["operations_drilldown.call_count"],
            "filters": [{"member": f"operations_drilldown.{member}", "operator": operator, "values": values}],
        }
        return number(
            cube.load(query_body, mint_token("engineer", SECRET))["data"][0]["operations_drilldown.call_count"]
        )

    with running_cube(built["wh"], SECRET, tmp_path_factory.mktemp("cube") / "cube.log") as cube:
        assert call_count("conversation_id", ["backfill-"], "startsWith") == 20
        assert call_count("conversation_id", ["recent-"], "startsWith") == 20
        assert call_count("call_project", ["beta"]) == 1
        assert call_count("call_project", ["shop"]) == 41
        assert call_count("call_event_id", ["twin-call"]) == 2
