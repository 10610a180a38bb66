"""Freshness of the live path (docs/live.md): a steady event rate into the collector while `outcomelens
up` runs; for sampled batches, the time from the collector's 202 to the batch counted in a Cube REST
answer (operations_drilldown.call_count over the batch's event ids, an admin token). Prints and writes
p50/p95/max, and at the end checks that every accepted call is in Cube's answer exactly once.
With --time-queries, the overview and experiment queries of cube_bench.py are timed through the same
Cube while the events stream in (issue #12: p95 <= 100 ms at 10M calls under 1,000 events/s).

    .venv/bin/python benchmarks/live_freshness.py --data-dir /tmp/ol-live --rate 1000 --duration 300 \
        --out benchmarks/results/live_freshness.json

It starts the stack in --data-dir (`outcomelens up`, embedded Postgres), creates an ingestion key,
waits for the first micro-batch (which builds every model), then posts. `--down` stops the stack after.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import statistics
import threading
import time
import uuid
from pathlib import Path

import requests
from cube_bench import experiment_query, overview_query, summary
from live_stack import job_runs, machine, start_stack

from outcomelens.core.keyring import cube_api_secret
from outcomelens.core.tokens import mint_token
from tests.integration.support import synthetic_calls

BATCHES_PER_S = 10  # the rate is posted as 10 batches a second


class Cube:
    def __init__(self, api_url: str, token: str):
        self.url, self.headers = api_url + "/v1/load", {"Authorization": f"Bearer {token}"}

    def count(self, prefix: str | None = None) -> int | None:
        query = {"measures": ["operations_drilldown.call_count"]}
        if prefix:
            query["filters"] = [
                {"member": "operations_drilldown.call_event_id", "operator": "startsWith", "values": [prefix + "-"]}
            ]
        try:
            body = requests.post(self.url, json={"query": query}, headers=self.headers, timeout=30).json()
        except requests.RequestException:
            return None
        if "data" not in body:
            return None
        return int(body["data"][0]["operations_drilldown.call_count"] or 0)


class QueryTimer(threading.Thread):
    """Overview and experiment queries, alternating, each over a different date range (no result-cache
    hits), timed end to end through Cube's REST API while the posting runs."""

    def __init__(self, cube: Cube, stop: threading.Event):
        super().__init__(daemon=True)
        self.cube, self.stop, self.timings = cube, stop, {"overview": [], "experiment": []}
        self.continue_waits = 0
        self.warm_up_s: float | None = None

    def load(self, query: dict) -> dict:
        """The answer, asking again while Cube says "Continue wait" (a rollup still building), as the
        dashboard's client does: a timing is the whole wait a user would see."""
        while True:
            response = requests.post(self.cube.url, json={"query": query}, headers=self.cube.headers, timeout=60)
            body = response.json()
            if body.get("error") == "Continue wait":
                self.continue_waits += 1
                time.sleep(0.2)
                continue
            if "data" not in body:
                raise RuntimeError(f"Cube refused a timed query: {body}")
            return body

    def run(self) -> None:
        experiments = self.load({"dimensions": ["experiments.experiment_id"], "limit": 1})["data"]
        experiment = experiments[0]["experiments.experiment_id"] if experiments else None
        today, i = dt.date.today(), 0
        # Not timed: each query once, so that Cube has compiled the schema and built its rollups
        # (after `up` on a 10M warehouse that takes minutes, with "Continue wait" meanwhile).
        began = time.perf_counter()
        self.load(overview_query(today - dt.timedelta(days=60), today))
        if experiment:
            self.load(experiment_query(experiment, today - dt.timedelta(days=60), today))
        self.warm_up_s = round(time.perf_counter() - began, 1)
        while not self.stop.is_set():
            start, end = today - dt.timedelta(days=60 + i % 30), today - dt.timedelta(days=i % 7)
            kind = "experiment" if experiment and i % 2 else "overview"
            query = experiment_query(experiment, start, end) if kind == "experiment" else overview_query(start, end)
            began = time.perf_counter()
            self.load(query)
            self.timings[kind].append((time.perf_counter() - began) * 1000)
            i += 1
            time.sleep(0.2)


def rows_in_marts(prefix: str) -> tuple[int, int]:
    """(rows, distinct event ids) of this run's calls in marts.fct_llm_calls: the lambda view hides a
    micro-batch that lags or double-writes, the mart itself does not."""
    from outcomelens.core.warehouse import ensure_warehouse

    with ensure_warehouse().connection() as conn, conn.cursor() as cur:
        cur.execute(
            "select count(*), count(distinct event_id) from marts.fct_llm_calls where event_id like %s",
            (prefix + "-%",),
        )
        rows, distinct = cur.fetchone()
    return rows, distinct


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", required=True)
    parser.add_argument("--rate", type=int, default=1000, help="events per second")
    parser.add_argument("--duration", type=int, default=300, help="seconds of posting")
    parser.add_argument("--sample-every", type=int, default=10, help="time every Nth batch")
    parser.add_argument("--out")
    parser.add_argument("--down", action="store_true")
    parser.add_argument("--time-queries", action="store_true", help="time overview/experiment queries meanwhile")
    args = parser.parse_args()

    stack = start_stack(args.data_dir)
    cube = Cube(stack.url("cube") + "/cubejs-api", mint_token("admin", cube_api_secret(), ttl_s=7200))
    collector = stack.url("collector")
    session = stack.session()

    def post(prefix: str, n: int) -> None:
        answer = session.post(collector + "/v1/llm-calls", json=synthetic_calls(prefix, n), timeout=30)
        answer.raise_for_status()

    run = uuid.uuid4().hex[:6]
    post(f"{run}-warmup", 1)
    started = time.monotonic()
    while cube.count(f"{run}-warmup") != 1:
        time.sleep(0.5)
    print(f"first micro-batch visible after {time.monotonic() - started:.0f}s")

    per_batch = max(1, args.rate // BATCHES_PER_S)
    pending: dict[str, float] = {}
    latencies: list[float] = []
    accepted = 1
    lock = threading.Lock()
    posting_done = threading.Event()

    def sampler() -> None:
        while not (posting_done.is_set() and not pending):
            with lock:
                waiting = list(pending.items())
            for prefix, sent in waiting:
                if cube.count(prefix) == per_batch:
                    with lock:
                        latencies.append(time.monotonic() - sent)
                        del pending[prefix]
            time.sleep(0.1)

    thread = threading.Thread(target=sampler, daemon=True)
    thread.start()
    timer = QueryTimer(cube, posting_done) if args.time_queries else None
    if timer:
        timer.start()
    t0 = time.monotonic()
    batch = 0
    while time.monotonic() - t0 < args.duration:
        due = t0 + batch / BATCHES_PER_S
        time.sleep(max(0.0, due - time.monotonic()))
        prefix = f"{run}-b{batch}"
        post(prefix, per_batch)
        accepted += per_batch
        if batch % args.sample_every == 0:
            with lock:
                pending[prefix] = time.monotonic()
        batch += 1
    posted_s = time.monotonic() - t0
    posting_done.set()
    thread.join(timeout=600)

    deadline = time.monotonic() + 600
    while (total := cube.count(run)) != accepted and time.monotonic() < deadline:
        time.sleep(1)
    while (in_marts := rows_in_marts(run)) != (accepted, accepted) and time.monotonic() < deadline + 600:
        time.sleep(5)  # the micro-batch after the last post has to finish first
    q = statistics.quantiles(latencies, n=100) if len(latencies) > 1 else latencies * 99
    runs = [
        r["wall_s"]
        for r in job_runs("live_micro_batch", since=time.time() - (time.monotonic() - t0))
        if r["status"] == "SUCCESS"
    ]
    result = {
        "rate_requested_per_s": args.rate,
        "rate_achieved_per_s": round((accepted - 1) / posted_s, 1),
        "duration_s": args.duration,
        "accepted": accepted,
        "in_cube_at_end": total,
        "exactly_once_in_cube": total == accepted,
        "in_marts_at_end": {"rows": in_marts[0], "distinct_event_ids": in_marts[1]},
        "exactly_once_in_marts": in_marts == (accepted, accepted),
        "samples": len(latencies),
        "unmeasured": len(pending),
        "p50_s": round(q[49], 2),
        "p95_s": round(q[94], 2),
        "max_s": round(max(latencies), 2),
        "micro_batches": len(runs),
        "micro_batch_p50_s": round(statistics.median(runs), 1) if runs else None,
        "micro_batch_max_s": round(max(runs), 1) if runs else None,
        "queries_while_posting": {k: summary(v) for k, v in timer.timings.items() if v} if timer else None,
        "queries_warm_up_s": timer.warm_up_s if timer else None,
        "queries_continue_waits": timer.continue_waits if timer else None,
        **machine(),
    }
    print(json.dumps(result, indent=2))
    if args.out:
        Path(args.out).write_text(json.dumps(result, indent=2) + "\n")
    if args.down:
        stack.down()


if __name__ == "__main__":
    main()
