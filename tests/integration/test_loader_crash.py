"""kill -9 of the loader while it loads, then a restart: nothing lost, nothing doubled.

The loader runs as a real subprocess (`outcomelens ingest loader`) against a throwaway database; it is
SIGKILLed once its dlt load package is under way, and again during a later run, then left to finish.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

from ingestion.collector.batches import stamp_key, validate_batch
from ingestion.collector.keys import KeyHolder
from ingestion.sources.spool import Spool
from tests.integration.support import Cli, query_value

SEGMENTS = 60
PER_SEGMENT = 1_000
T0 = datetime(2026, 3, 1, tzinfo=timezone.utc)


def spool_records(spool: Spool) -> set[str]:
    ids = set()
    for s in range(SEGMENTS):
        # Every 10th segment repeats the previous one, as a client retrying a request would.
        base = (s - 1 if s % 10 == 9 else s) * PER_SEGMENT
        records = [
            {"event_id": f"e{base + i}", "occurred_at": (T0 + timedelta(seconds=base + i)).isoformat(),
             "llm_model": "gpt-4o-mini", "llm_provider": "openai", "input_tokens": i, "latency_ms": 1.5 * i,
             "conversation_id": f"c{(base + i) // 3}"}
            for i in range(PER_SEGMENT)
        ]
        batch = validate_batch("llm-calls", json.dumps(records).encode())
        stamp_key(batch.accepted, KeyHolder("shop", "key-1"))  # as the collector does before spooling
        spool.append("llm_calls", batch.ndjson())
        ids.update(r["event_id"] for r in records)
    return ids


def has_table(wh) -> bool:
    return query_value(wh, "select to_regclass('raw.llm_calls') is not null")


def start_loader(cli: Cli, log: Path) -> subprocess.Popen:
    return cli.start("ingest", "loader", "--interval", "0.3", stdout=log.open("ab"), stderr=subprocess.STDOUT)


def wait_for_load_in_flight(pipeline_dir: Path, proc: subprocess.Popen, started: float, timeout: float = 120) -> str:
    """Wait until this loader process is loading: a package's job folders changed after it started
    (a job moved to started_jobs or completed_jobs; the package is not yet committed)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.poll() is None, "loader exited on its own"
        for package in (pipeline_dir / "load" / "normalized").glob("*"):
            for stage in ("started_jobs", "completed_jobs"):
                folder = package / stage
                try:
                    if folder.stat().st_mtime > started:
                        return stage
                except FileNotFoundError:
                    pass
        time.sleep(0.005)
    raise AssertionError("the loader never started loading a package")


def test_sigkill_mid_batch_then_restart_loses_and_doubles_nothing(cli, warehouse_db, tmp_path):
    wh, data_dir = warehouse_db, cli.data_dir
    spool = Spool(data_dir / "spool")
    expected = spool_records(spool)
    log = tmp_path / "loader.log"
    pipeline_dir = data_dir / "dlt" / "outcomelens_collector"

    kills = []
    for _ in range(2):
        started = time.time()
        proc = start_loader(cli, log)
        stage = wait_for_load_in_flight(pipeline_dir, proc, started)
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
        rows_at_kill = query_value(wh, "select count(*) from raw.llm_calls") if has_table(wh) else 0
        kills.append((stage, spool.pending_count(), rows_at_kill))
    print("kills (stage, pending segments):", kills)
    # Killed before the commit each time, so its segments are all still in the spool.
    assert all(pending > 0 for _, pending, _ in kills), kills

    proc = start_loader(cli, log)
    try:
        deadline = time.monotonic() + 300
        while spool.pending_count() and time.monotonic() < deadline:
            assert proc.poll() is None, log.read_text()[-3000:]
            time.sleep(0.3)
        assert spool.pending_count() == 0, log.read_text()[-3000:]
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=60)

    assert query_value(wh, "select count(*) from raw.llm_calls") == len(expected)
    assert query_value(wh, "select count(distinct event_id) from raw.llm_calls") == len(expected)
    # Values survive intact: the sum of input tokens is known by construction.
    assert query_value(wh, "select sum(input_tokens) from raw.llm_calls") == (SEGMENTS - SEGMENTS // 10) * sum(range(PER_SEGMENT))
