"""The durable spool survives a warehouse outage: with Postgres stopped for 60 s while events keep
arriving, the collector keeps answering 202 from the last key set it read (never 500), the loader
keeps the segments it cannot load, and once Postgres is back every accepted event is in raw exactly once.

Runs its own embedded Postgres (in a temporary data dir) so that stopping it touches nobody else.
"""

from __future__ import annotations

import time
import uuid

import pytest
import requests

from ingestion.collector.app import CollectorSettings, create_app
from ingestion.collector.keys import create_key
from ingestion.sources.spool import Spool
from ingestion.sources.spool.source import collector_pipeline, load_cycle
from outcomelens.core import warehouse as warehouse_module
from tests.integration.support import environment, query_value, serve_in_thread

OUTAGE_S = 60


def calls(n: int) -> list[dict]:
    return [{"event_id": f"e-{uuid.uuid4().hex}", "occurred_at": "2026-03-01T12:00:00Z",
             "conversation_id": f"c-{i}", "llm_provider": "openai", "llm_model": "gpt-4o-mini",
             "latency_ms": 100.0 + i, "status": "ok"} for i in range(n)]


@pytest.fixture
def embedded(tmp_path, monkeypatch):
    monkeypatch.setenv("OUTCOMELENS_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv(warehouse_module.WAREHOUSE_URL_ENV, raising=False)
    wh = warehouse_module.ensure_warehouse()
    try:
        yield wh
    finally:
        warehouse_module.stop_embedded()


def post(url: str, key: str, records: list[dict]) -> requests.Response:
    return requests.post(f"{url}/v1/llm-calls", json=records, headers={"Authorization": f"Bearer {key}"}, timeout=30)


def test_an_outage_loses_nothing_and_counts_nothing_twice(embedded, tmp_path):
    with embedded.connection() as conn:
        _, key = create_key(conn, "shop", "outage")
    spool = Spool(tmp_path / "spool")
    pipeline = collector_pipeline(str(tmp_path / "dlt"))
    settings = CollectorSettings(spool_dir=str(spool.root), connect=embedded.connect)
    accepted, statuses = [], []
    with serve_in_thread(create_app(settings)) as url:
        before = calls(50)
        assert post(url, key, before).status_code == 202
        accepted += before
        warehouse_module.stop_embedded()
        deadline = time.monotonic() + OUTAGE_S
        while time.monotonic() < deadline:
            batch = calls(20)
            response = post(url, key, batch)
            statuses.append(response.status_code)
            if response.status_code == 202:
                accepted += batch
            time.sleep(1)
        with pytest.raises(Exception), environment(**embedded.env()):
            load_cycle(spool, pipeline)  # the loader cannot load now; its segments must stay
        assert post(url, "olk_unknown_key", calls(1)).status_code == 401
    assert set(statuses) == {202}, statuses
    back = warehouse_module.ensure_warehouse()
    with environment(**back.env()):  # where dlt's postgres destination reads its credentials
        load_cycle(spool, pipeline)
    assert spool.pending_count() == 0
    assert query_value(back, "select count(*) from raw.llm_calls") == len(accepted)
    assert query_value(back, "select count(distinct event_id) from raw.llm_calls") == len(accepted)
