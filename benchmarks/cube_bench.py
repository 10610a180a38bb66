"""Overview and experiment queries through Cube vs the same SQL straight on Postgres.

    .venv/bin/python benchmarks/cube_bench.py --size 385000 --data-dir /tmp/ol-bench-1m

1. `outcomelens demo --size N` in its own data directory (embedded Postgres; dlt, dbt through
   Dagster), unless --skip-demo and the data directory already holds the built marts;
2. a Cube server (production mode, refresh worker on) against that warehouse; the rollups are
   built before timing starts;
3. each query `--repeat` times through Cube's REST API (HTTP, JWT) and as plain SQL on the daily
   mart (psycopg2, same warehouse), p50/p95 of the wall time per query. Every Cube query asks for a
   different date range, so Cube's result cache never answers: the timings are rollup reads.
   A second Cube series repeats one identical query (what a dashboard refresh sees: cache hits).

Results go to stdout as a table and to --out as JSON. Demo size is in conversations; the generator
makes about 2.6 LLM calls per conversation (385k conversations ~ 1M calls).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def percentile(values, q):
    ordered = sorted(values)
    k = (len(ordered) - 1) * q
    low = int(k)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (k - low)


def summary(samples_ms):
    return {"n": len(samples_ms), "p50_ms": round(percentile(samples_ms, 0.5), 2),
            "p95_ms": round(percentile(samples_ms, 0.95), 2),
            "mean_ms": round(statistics.fmean(samples_ms), 2)}


def overview_query(start: date, end: date) -> dict:
    return {
        "measures": ["outcomes_overview.conversations", "outcomes_overview.conversion_rate",
                     "outcomes_overview.average_order_value", "outcomes_overview.deflection_rate",
                     "outcomes_overview.escalation_rate", "outcomes_overview.csat"],
        "timeDimensions": [{"dimension": "outcomes_overview.date_day", "granularity": "day",
                            "dateRange": [start.isoformat(), end.isoformat()]}],
        "order": {"outcomes_overview.date_day": "asc"},
    }


OVERVIEW_SQL = """
select date_day, sum(conversations) as conversations,
       1.0 * sum(conversions) / nullif(sum(conversations), 0) as conversion_rate,
       1.0 * sum(order_value_sum) / nullif(sum(conversions), 0) as average_order_value,
       1.0 * sum(deflected) / nullif(sum(conversations), 0) as deflection_rate,
       1.0 * sum(escalated) / nullif(sum(conversations), 0) as escalation_rate,
       1.0 * sum(csat_sum) / nullif(sum(csat_count), 0) as csat
from marts.fct_attribution_daily
where date_day between %s and %s
group by date_day order by date_day
"""


def experiment_query(experiment: str, start: date, end: date) -> dict:
    return {
        "measures": ["experiments.conversations", "experiments.conversion_rate",
                     "experiments.average_order_value", "experiments.csat",
                     "experiments.cost_per_conversion"],
        "dimensions": ["experiments.variant", "experiments.prompt_version"],
        "filters": [{"member": "experiments.experiment_id", "operator": "equals",
                     "values": [experiment]}],
        "timeDimensions": [{"dimension": "experiments.date_day",
                            "dateRange": [start.isoformat(), end.isoformat()]}],
    }


EXPERIMENT_SQL = """
select variant, prompt_version, sum(conversations) as conversations,
       1.0 * sum(conversions) / nullif(sum(conversations), 0) as conversion_rate,
       1.0 * sum(order_value_sum) / nullif(sum(conversions), 0) as average_order_value,
       1.0 * sum(csat_sum) / nullif(sum(csat_count), 0) as csat,
       1.0 * sum(cost_usd) / nullif(sum(conversions), 0) as cost_per_conversion
from marts.fct_attribution_daily
where experiment_id = %s and date_day between %s and %s
group by variant, prompt_version
"""


def run_demo(size: int, env: dict) -> float:
    from outcomelens.core import cube_server

    started = time.monotonic()
    result = subprocess.run(
        [str(ROOT / ".venv" / "bin" / "outcomelens"), "demo", "--size", str(size),
         "--cube-port", str(cube_server.free_port())],
        env={**env, "COLUMNS": "200"}, capture_output=True, text=True)
    if result.returncode != 0:
        raise SystemExit(f"demo failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}")
    return time.monotonic() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, required=True, help="demo conversations")
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--repeat", type=int, default=60)
    parser.add_argument("--skip-demo", action="store_true")
    parser.add_argument("--keep-running", action="store_true",
                        help="leave the embedded Postgres running afterwards")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()

    os.environ["OUTCOMELENS_DATA_DIR"] = str(args.data_dir)
    os.environ.pop("OUTCOMELENS_WAREHOUSE_URL", None)
    env = dict(os.environ)
    demo_s = None if args.skip_demo else run_demo(args.size, env)

    import psycopg2
    import requests

    from outcomelens.core import cube_server, warehouse
    from outcomelens.core.tokens import mint_token

    wh = warehouse.ensure_warehouse()
    conn = psycopg2.connect(host=wh.host, port=wh.port, user=wh.user, dbname=wh.database)
    conn.autocommit = True
    cur = conn.cursor()
    cur.execute("select count(*), sum(llm_calls), sum(conversations), min(date_day), max(date_day),"
                " min(experiment_id) from marts.fct_attribution_daily")
    mart_rows, calls, conversations, first_day, last_day, experiment = cur.fetchone()
    secret = "bench-" + os.urandom(16).hex()
    server = cube_server.CubeServer(wh, secret, log_path=args.data_dir / "cube-bench.log",
                                    port=cube_server.free_port())
    results = {"size": args.size, "llm_calls": int(calls), "conversations": int(conversations),
               "mart_rows": mart_rows, "demo_s": demo_s, "repeat": args.repeat}
    token = mint_token("admin", secret, ttl_s=7200)
    session = requests.Session()

    def timed_load(query):
        started = time.perf_counter()
        answer = cube_server.load(server.api_url, query, token, timeout_s=600)
        return (time.perf_counter() - started) * 1000, answer

    def timed_sql(statement, params):
        started = time.perf_counter()
        cur.execute(statement, params)
        cur.fetchall()
        return (time.perf_counter() - started) * 1000

    with server:
        # Build the rollups (first answers wait for them), and check the plan reads them.
        for query in (overview_query(first_day, last_day),
                      experiment_query(experiment, first_day, last_day)):
            warm_ms, _ = timed_load(query)
            plan = session.get(f"{server.api_url}/v1/sql", params={"query": json.dumps(query)},
                               headers={"Authorization": token}).json()["sql"]
            results.setdefault("rollups", []).append(
                {"rollups": [p["tableName"] for p in plan["preAggregations"]],
                 "first_answer_ms": round(warm_ms, 1)})
        days = (last_day - first_day).days
        series = {"overview_cube": [], "overview_sql": [], "experiment_cube": [],
                  "experiment_sql": [], "overview_cube_cached": []}
        for i in range(args.repeat):
            # A different range each time: no answer comes from Cube's result cache.
            start = first_day + timedelta(days=i % max(days // 2, 1))
            end = last_day - timedelta(days=(i * 7) % max(days // 3, 1))
            series["overview_cube"].append(timed_load(overview_query(start, end))[0])
            series["overview_sql"].append(timed_sql(OVERVIEW_SQL, (start, end)))
            series["experiment_cube"].append(timed_load(experiment_query(experiment, start, end))[0])
            series["experiment_sql"].append(timed_sql(EXPERIMENT_SQL, (experiment, start, end)))
            series["overview_cube_cached"].append(
                timed_load(overview_query(first_day, last_day))[0])
        results["timings"] = {name: summary(values) for name, values in series.items()}
    conn.close()
    if not args.keep_running:
        subprocess.run([str(ROOT / ".venv" / "bin" / "outcomelens"), "down"], env=env,
                       capture_output=True)

    print(json.dumps(results, indent=2, default=str))
    if args.out:
        args.out.write_text(json.dumps(results, indent=2, default=str) + "\n")


if __name__ == "__main__":
    main()
