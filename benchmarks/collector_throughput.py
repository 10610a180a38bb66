"""Collector benchmark: sustained records/s with 1,000-record batches, and p95 time from 202 to raw.

Everything runs on this machine: a throwaway database on the local Postgres (or --warehouse-url),
the collector (`outcomelens ingest serve`, --workers processes) and the loader (`outcomelens ingest
loader`) as real processes, and the load generator in --clients processes with keep-alive connections.

    .venv/bin/python benchmarks/collector_throughput.py                # defaults below
    .venv/bin/python benchmarks/collector_throughput.py --batches 400 --clients 2 --workers 2

Phase 1 (throughput): every batch is unique (new event ids) and pre-serialised before the clock
starts; records/s = accepted records / wall time from the first request to the last 202.
Phase 2 (latency): --rate batches/s for --seconds; each batch's 202 time against the first moment
a poller (every 100 ms) sees all its 1,000 rows in raw.llm_calls.
"""

from __future__ import annotations

import argparse
import http.client
import json
import multiprocessing as mp
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

import psycopg2

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from ingestion.collector.keys import create_key  # noqa: E402
from outcomelens.core.cube_server import free_port  # noqa: E402
from outcomelens.core.warehouse import Warehouse, ensure_warehouse  # noqa: E402

OUTCOMELENS = str(ROOT / ".venv" / "bin" / "outcomelens")


def make_batch(tag: str, size: int) -> bytes:
    records = [{
        "event_id": f"{tag}-{i}", "occurred_at": "2026-03-01T12:00:00Z", "conversation_id": tag,
        "customer_ref": "ann@example.com", "experiment_id": "exp_sales_prompt", "variant": "treatment" if i % 2 else "control",
        "prompt_id": "sales_agent", "prompt_version": "sales_agent.v2", "config": {"temperature": 0.2, "max_tokens": 512},
        "llm_provider": "openai", "llm_model": "gpt-4o-mini", "intent": "buy", "capability": "recommend", "action": "reply",
        "latency_ms": 100.0 + i % 900, "time_to_first_token_ms": 40.0, "input_tokens": 800 + i, "output_tokens": 90,
        "cached_input_tokens": 512, "status": "ok",
    } for i in range(size)]
    return json.dumps(records).encode()


def _client(port: int, key: str, bodies: list[bytes], results: mp.Queue) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    headers = {"Content-Type": "application/json", "Authorization": f"Bearer {key}"}
    accepted = 0
    for body in bodies:
        conn.request("POST", "/v1/llm-calls", body=body, headers=headers)
        response = conn.getresponse()
        payload = json.loads(response.read())
        if response.status != 202:
            raise RuntimeError(f"{response.status}: {payload}")
        accepted += payload["accepted"]
    results.put((accepted, time.perf_counter()))


def wait_ready(port: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError("collector did not start")


def one_core_baseline(batch_size: int, data_dir: Path, batches: int = 50) -> dict:
    """What one core does without HTTP: the collector's own work per batch, as the handler does it."""
    from ingestion.collector.batches import validate_batch
    from ingestion.sources.spool import Spool

    spool = Spool(data_dir / "baseline_spool")
    bodies = [make_batch(f"base-{i}", batch_size) for i in range(batches)]
    started, cpu_started = time.perf_counter(), time.process_time()
    for body in bodies:
        spool.append("llm_calls", validate_batch("llm-calls", body).ndjson())
    seconds, cpu_seconds = time.perf_counter() - started, time.process_time() - cpu_started
    records = batches * batch_size
    # Wall time includes waiting for fsync and for a core on a shared machine; CPU time is the
    # collector's own cost per record.
    return {"records": records, "seconds": round(seconds, 3), "records_per_s": round(records / seconds),
            "cpu_seconds": round(cpu_seconds, 3), "records_per_cpu_s": round(records / cpu_seconds)}


def count(wh: Warehouse, sql: str):
    conn = wh.connect()
    try:
        with conn.cursor() as cur:
            cur.execute(sql)
            return cur.fetchall()
    except psycopg2.Error:
        return []
    finally:
        conn.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--batches", type=int, default=300, help="batches in the throughput phase")
    parser.add_argument("--batch-size", type=int, default=1000)
    parser.add_argument("--clients", type=int, default=4, help="load generator processes (concurrent requests)")
    parser.add_argument("--workers", type=int, default=2, help="collector worker processes")
    parser.add_argument("--rate", type=float, default=5.0, help="batches/s in the latency phase")
    parser.add_argument("--seconds", type=float, default=30.0, help="length of the latency phase")
    parser.add_argument("--warehouse-url", default=None, help="default: a throwaway database on 127.0.0.1:5432")
    parser.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "collector_latest.json"))
    args = parser.parse_args()

    admin = None
    if args.warehouse_url:
        wh = Warehouse.from_url(args.warehouse_url)
    else:
        name = f"ol_bench_{uuid.uuid4().hex[:8]}"
        admin = psycopg2.connect(host="127.0.0.1", port=5432, user="postgres", dbname="postgres")
        admin.autocommit = True
        admin.cursor().execute(f'create database "{name}"')
        wh = Warehouse(host="127.0.0.1", port=5432, user="postgres", password="", database=name)
    wh = ensure_warehouse(wh.url(hide_password=False))  # what every process does at start: migrations applied
    with wh.connection() as conn:
        _, key = create_key(conn, "bench", "benchmark")

    data_dir = Path(tempfile.mkdtemp(prefix="ol_bench_"))
    env = {**os.environ, "OUTCOMELENS_DATA_DIR": str(data_dir), "OUTCOMELENS_WAREHOUSE_URL": wh.url(hide_password=False)}
    port = free_port()
    logs = (data_dir / "collector.log").open("ab"), (data_dir / "loader.log").open("ab")
    collector = subprocess.Popen([OUTCOMELENS, "ingest", "serve", "--port", str(port), "--workers", str(args.workers)],
                                 env=env, stdout=logs[0], stderr=subprocess.STDOUT, start_new_session=True)
    loader = subprocess.Popen([OUTCOMELENS, "ingest", "loader", "--interval", "1"], env=env, stdout=logs[1],
                              stderr=subprocess.STDOUT, start_new_session=True)
    results: dict = {"batch_size": args.batch_size, "clients": args.clients, "workers": args.workers,
                     "cpus": os.cpu_count(), "load_average_at_start": os.getloadavg()}
    results["one_core_no_http"] = one_core_baseline(args.batch_size, data_dir)
    print(f"phase 0: validate + serialise + fsync on one core, no HTTP: "
          f"{results['one_core_no_http']['records_per_s']:,} records/s wall, "
          f"{results['one_core_no_http']['records_per_cpu_s']:,} records per CPU-second", flush=True)
    try:
        wait_ready(port)
        # Warm-up: every worker compiles its validators and opens its key cache.
        mp_results: mp.Queue = mp.Queue()
        _client(port, key, [make_batch(f"warm-{i}", args.batch_size) for i in range(4)], mp_results)
        mp_results.get()

        print(f"phase 1: {args.batches} batches of {args.batch_size} over {args.clients} clients …", flush=True)
        bodies = [make_batch(f"tp-{i}", args.batch_size) for i in range(args.batches)]
        shares = [bodies[i::args.clients] for i in range(args.clients)]
        procs = [mp.Process(target=_client, args=(port, key, share, mp_results)) for share in shares]
        started = time.perf_counter()
        for proc in procs:
            proc.start()
        finished = [mp_results.get() for _ in procs]
        for proc in procs:
            proc.join()
        wall = max(t for _, t in finished) - started
        accepted = sum(a for a, _ in finished)
        results["throughput"] = {"records": accepted, "seconds": round(wall, 3), "records_per_s": round(accepted / wall)}
        print(f"  {accepted} records in {wall:.2f} s = {accepted / wall:,.0f} records/s", flush=True)

        drain_start = time.perf_counter()
        expected = accepted + 4 * args.batch_size
        while True:
            rows = count(wh, "select count(*) from raw.llm_calls")
            if rows and rows[0][0] >= expected:
                break
            time.sleep(0.25)
        results["backlog_drain_s"] = round(time.perf_counter() - drain_start, 2)
        print(f"  loader drained the backlog {results['backlog_drain_s']} s after the last 202", flush=True)

        print(f"phase 2: {args.rate} batches/s for {args.seconds} s …", flush=True)
        n = int(args.rate * args.seconds)
        latency_bodies = [make_batch(f"lat-{i}", args.batch_size) for i in range(n)]
        acked: dict[str, float] = {}
        visible: dict[str, float] = {}
        stop = threading.Event()

        def poll() -> None:
            while not stop.is_set():
                for tag, rows in count(wh, "select conversation_id, count(*) from raw.llm_calls "
                                           "where conversation_id like 'lat-%' group by 1"):
                    if rows >= args.batch_size and tag not in visible:
                        visible[tag] = time.perf_counter()
                time.sleep(0.1)

        poller = threading.Thread(target=poll, daemon=True)
        poller.start()
        client = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        headers = {"Content-Type": "application/json", "Authorization": f"Bearer {key}"}
        t0 = time.perf_counter()
        for i, body in enumerate(latency_bodies):
            time.sleep(max(0.0, t0 + i / args.rate - time.perf_counter()))
            client.request("POST", "/v1/llm-calls", body=body, headers=headers)
            response = client.getresponse()
            response.read()
            assert response.status == 202
            acked[f"lat-{i}"] = time.perf_counter()
        sending_s = time.perf_counter() - t0
        deadline = time.perf_counter() + 120
        while len(visible) < n and time.perf_counter() < deadline:
            time.sleep(0.2)
        stop.set()
        poller.join()
        delays = sorted(visible[tag] - acked[tag] for tag in acked if tag in visible)
        p95 = delays[max(0, int(round(0.95 * len(delays))) - 1)] if delays else None
        results["latency"] = {
            "rate_records_per_s": args.rate * args.batch_size,
            "achieved_records_per_s": round(n * args.batch_size / sending_s), "batches": n, "visible": len(delays),
            "p50_s": round(statistics.median(delays), 2) if delays else None,
            "p95_s": round(p95, 2) if p95 is not None else None, "max_s": round(delays[-1], 2) if delays else None,
        }
        print(f"  202 → visible in raw: p50 {results['latency']['p50_s']} s, p95 {results['latency']['p95_s']} s, "
              f"max {results['latency']['max_s']} s ({len(delays)}/{n} batches seen)", flush=True)
        total = count(wh, "select count(*), count(distinct event_id) from raw.llm_calls")[0]
        results["raw_rows"], results["raw_distinct_event_ids"] = total
    finally:
        for proc in (collector, loader):
            os.killpg(proc.pid, signal.SIGTERM)
        for proc in (collector, loader):
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
        if admin is not None:
            admin.cursor().execute(f'drop database if exists "{wh.database}" with (force)')
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(results, indent=2) + "\n")
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
