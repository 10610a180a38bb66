"""As `outcomelens up` runs them: the collector and the loader supervised (`up --only collector --only
loader` against a throwaway warehouse), keys made with the CLI, records visible in raw within seconds,
a revoked key refused, `down` stopping both."""

from __future__ import annotations

import os
import subprocess
import time

import pytest
import requests

from outcomelens.core import paths, processes
from outcomelens.core.cube_server import free_port
from tests.integration.support import OUTCOMELENS, query_value, throwaway_database


@pytest.fixture()
def services(tmp_path, monkeypatch):
    with throwaway_database("ol_services") as wh:
        port = free_port()
        monkeypatch.setenv("OUTCOMELENS_DATA_DIR", str(tmp_path))
        monkeypatch.setenv("OUTCOMELENS_WAREHOUSE_URL", wh.url(hide_password=False))
        monkeypatch.setenv("OUTCOMELENS_COLLECTOR_PORT", str(port))
        env = dict(os.environ)
        try:
            out = cli(env, "up", "--only", "collector", "--only", "loader")
            assert f"http://127.0.0.1:{port}" in out
            yield wh, f"http://127.0.0.1:{port}", env
        finally:
            cli(env, "down")
            assert processes.info("collector") is None and processes.info("loader") is None


def cli(env, *args) -> str:
    result = subprocess.run([OUTCOMELENS, *args], env={**env, "COLUMNS": "200"}, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def test_up_services_take_records_to_raw_and_honour_revocation(services):
    wh, url, env = services
    key = cli(env, "keys", "ingestion", "create", "--project", "shop", "--name", "svc").strip().splitlines()[-1]
    assert key.startswith("olk_")
    listing = cli(env, "keys", "ingestion", "list")
    key_id = key.split("_")[1]
    assert key_id in listing and "shop" in listing and key.split("_", 2)[2] not in listing

    assert requests.get(url + "/healthz", timeout=5).ok  # `up` returned only once it answered
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

    cli(env, "keys", "ingestion", "revoke", key_id)
    time.sleep(5.5)  # the collector remembers a verified key for 5 s
    again = requests.post(url + "/v1/conversation-events", json=events, headers={"Authorization": f"Bearer {key}"}, timeout=10)
    assert again.status_code == 401
