"""A load the warehouse refuses stops neither the loader nor the records behind it.

raw.llm_calls.intent is altered by hand to varchar(3), so Postgres refuses a call with a longer intent —
a failure the collector cannot see (it checks records against the contract, not against the table).
The loader tries the batch, then the refused segment alone MAX_ATTEMPTS times, quarantines it into
raw.dead_letters with Postgres' reason, and loads the good batch sent after it. The collector's
/healthz counts the quarantined segment, and no completed dlt load package stays on disk.
"""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import requests

from ingestion.collector.keys import create_key
from ingestion.sources.spool.source import MAX_ATTEMPTS
from tests.integration.support import query, query_value

AT = datetime.now(timezone.utc).replace(microsecond=0).isoformat()


def calls(prefix: str, n: int, **fields) -> list[dict]:
    return [
        {
            "event_id": f"{prefix}-{i}",
            "conversation_id": f"{prefix}-conv",
            "occurred_at": AT,
            "llm_model": "gpt-4o-mini",
            **fields,
        }
        for i in range(n)
    ]


def post(url: str, key: str, records: list[dict]) -> None:
    answer = requests.post(url + "/v1/llm-calls", json=records, headers={"Authorization": f"Bearer {key}"}, timeout=10)
    assert answer.status_code == 202 and answer.json()["accepted"] == len(records), answer.text


def loaded_packages(collector) -> list:
    return [p for p in (Path(collector.pipeline.working_dir) / "load" / "loaded").glob("*") if p.is_dir()]


def test_a_refused_segment_is_quarantined_and_later_batches_still_load(exported_warehouse, collector):
    wh, url = exported_warehouse, collector.url
    with wh.connection() as conn:
        _, key = create_key(conn, "shop", "app")
    post(url, key, calls("first", 3, intent="buy"))
    collector.load()
    assert query_value(wh, "select count(*) from raw.llm_calls") == 3
    assert loaded_packages(collector) == []  # the completed package (a copy of the records) is gone

    with wh.connection() as conn, conn.cursor() as cur:
        cur.execute("alter table raw.llm_calls alter column intent type varchar(3)")
    post(url, key, calls("refused", 2, intent="purchase"))  # 8 characters: Postgres refuses the value
    post(url, key, calls("good", 4, intent="buy"))
    cycles = [collector.load() for _ in range(1 + MAX_ATTEMPTS)]

    # the batch once, then the refused segment alone MAX_ATTEMPTS times; the good one loaded after it
    assert [len(c.quarantined) for c in cycles] == [0] * MAX_ATTEMPTS + [1]
    assert sorted(query(wh, "select event_id from raw.llm_calls where event_id like 'good-%'")) == [
        (f"good-{i}",) for i in range(4)
    ]
    assert query_value(wh, "select count(*) from raw.llm_calls where event_id like 'refused-%'") == 0
    dead = query(
        wh,
        """select endpoint, project, reason, raw_record::json->>'event_id' from raw.dead_letters
                        order by record_index""",
    )
    assert [(endpoint, project, event_id) for endpoint, project, _, event_id in dead] == [
        ("loader:llm_calls", "shop", "refused-0"),
        ("loader:llm_calls", "shop", "refused-1"),
    ]
    assert all("value too long for type character varying(3)" in reason for _, _, reason, _ in dead), dead[0][2]

    health = requests.get(url + "/healthz", timeout=5).json()
    assert health["quarantined_segments"] == 1
    assert health["spooled_segments"] == 0 and health["loader_lag_s"] == 0
    assert loaded_packages(collector) == []
