"""As `outcomelens up` runs them: the collector and the loader as background processes, keys made with
the CLI, records visible in raw within seconds, a revoked key refused, `down` stopping both."""

from __future__ import annotations

import time

import pytest
import requests
from rich.console import Console

from outcomelens.cli import stack
from outcomelens.core import paths, processes
from outcomelens.core.cube_server import free_port
from tests.integration.support import query_value


@pytest.fixture()
def services(exported_warehouse, cli, monkeypatch):
    """The collector and the loader started as `up` starts them, on the CLI's data directory."""
    port = free_port()
    monkeypatch.setenv("OUTCOMELENS_DATA_DIR", str(cli.data_dir))
    monkeypatch.setenv("OUTCOMELENS_WAREHOUSE_URL", exported_warehouse.url(hide_password=False))
    monkeypatch.setenv(stack.COLLECTOR_PORT_ENV, str(port))
    try:
        stack.start_ingestion(Console(), exported_warehouse)
        yield exported_warehouse, f"http://127.0.0.1:{port}"
    finally:
        for name in (stack.COLLECTOR, stack.LOADER):
            processes.stop(name)


def test_up_services_take_records_to_raw_and_honour_revocation(services, cli):
    wh, url = services
    key = cli("keys", "ingestion", "create", "--project", "shop", "--name", "svc").stdout.strip().splitlines()[-1]
    assert key.startswith("olk_")
    listing = cli("keys", "ingestion", "list").stdout
    key_id = key.split("_")[1]
    assert key_id in listing and "shop" in listing and key.split("_", 2)[2] not in listing

    deadline = time.monotonic() + 60
    while True:
        try:
            requests.get(url + "/healthz", timeout=2)
            break
        except requests.ConnectionError:
            assert time.monotonic() < deadline, (paths.logs_dir() / "collector.log").read_text()[-2000:]
            time.sleep(0.2)
    events = [{"event_id": f"ce-{i}", "conversation_id": f"c{i // 2}", "occurred_at": "2026-03-01T12:00:00Z",
               "kind": "started" if i % 2 == 0 else "resolved"} for i in range(50)]
    sent = time.monotonic()
    answer = requests.post(url + "/v1/conversation-events", json=events, headers={"Authorization": f"Bearer {key}"}, timeout=10)
    assert answer.status_code == 202 and answer.json()["accepted"] == 50
    while True:
        try:
            if query_value(wh, "select count(*) from raw.conversation_events") == 50:
                break
        except Exception:
            pass
        assert time.monotonic() - sent < 60, (paths.logs_dir() / "loader.log").read_text()[-3000:]
        time.sleep(0.2)
    assert query_value(wh, "select count(*) from raw.conversation_events where kind = 'resolved'") == 25

    cli("keys", "ingestion", "revoke", key_id)
    time.sleep(5.5)  # the collector remembers a verified key for 5 s
    again = requests.post(url + "/v1/conversation-events", json=events, headers={"Authorization": f"Bearer {key}"}, timeout=10)
    assert again.status_code == 401
