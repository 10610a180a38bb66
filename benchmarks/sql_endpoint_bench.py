"""A typical dashboard query over the SQL endpoint vs the same query over Cube's REST API.

    .venv/bin/python benchmarks/sql_endpoint_bench.py --repeat 200 --out benchmarks/results/sql_endpoint.json

Sets up what tests/integration/test_sql_endpoint.py uses (a throwaway database on the local Postgres
with cube_fixtures' synthetic world, the accounts service in a thread, Cube in production mode, the
endpoint), signs one product manager in, then times, alternating, the overview query "conversations,
conversion rate and revenue per variant and week of one experiment over a date range":

- REST: POST /v1/load with the user's token on a keep-alive HTTP session (what the dashboard does);
- SQL: the same query as SQL through psycopg on one open connection (what a BI tool does).

The date range moves with each repetition (50 ranges, so Cube's result cache answers some repeats,
equally for both sides), and every SQL answer is checked against REST's. Results: p50/p95/mean per
side, and the p95 difference (target: SQL within 20 ms of REST).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import psycopg  # noqa: E402
import requests  # noqa: E402

from accounts.app import AccountsSettings, create_app  # noqa: E402
from accounts.manage import add_user  # noqa: E402
from outcomelens.core import cube_server  # noqa: E402
from outcomelens.core.cube_server import CubeServer  # noqa: E402
from outcomelens.core.warehouse import ensure_warehouse  # noqa: E402
from sql_endpoint.server import SqlEndpoint  # noqa: E402
from tests.integration.cube_fixtures import create_contract_tables, load_world, synthetic_world  # noqa: E402
from tests.integration.support import serve_in_thread, throwaway_database  # noqa: E402

SECRET = "sql-bench-secret-" + "b" * 32
EMAIL, PASSWORD = "bench@example.com", "a long benchmark password"
START = dt.date(2025, 3, 1)

SQL = (
    "select variant, date_trunc('week', date_day) as week, measure(conversations), "
    "measure(conversion_rate), measure(revenue) from experiments "
    "where experiment_id = 'exp_sales_prompt' and date_day >= %s and date_day <= %s "
    "group by 1, 2 order by 2, 1"
)


def rest_query(first: dt.date, last: dt.date) -> dict:
    return {
        "measures": ["experiments.conversations", "experiments.conversion_rate", "experiments.revenue"],
        "dimensions": ["experiments.variant"],
        "timeDimensions": [
            {
                "dimension": "experiments.date_day",
                "granularity": "week",
                "dateRange": [first.isoformat(), last.isoformat()],
            }
        ],
        "filters": [{"member": "experiments.experiment_id", "operator": "equals", "values": ["exp_sales_prompt"]}],
        "order": [["experiments.date_day", "asc"], ["experiments.variant", "asc"]],
        "limit": 50000,
    }


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    k = (len(ordered) - 1) * q
    low = int(k)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (k - low)


def summary(samples: list[float]) -> dict:
    return {
        "n": len(samples),
        "p50_ms": round(percentile(samples, 0.5), 2),
        "p95_ms": round(percentile(samples, 0.95), 2),
        "mean_ms": round(statistics.fmean(samples), 2),
    }


def rest_load(http: requests.Session, api_url: str, token: str, query: dict) -> list[dict]:
    while True:
        body = http.post(
            f"{api_url}/v1/load", json={"query": query}, headers={"Authorization": f"Bearer {token}"}, timeout=60
        ).json()
        if body.get("error") != "Continue wait":
            return body["data"]
        time.sleep(0.1)


def run(repeat: int, conversations: int) -> dict:
    tmp = Path(tempfile.mkdtemp(prefix="sql-bench-"))
    cube_server.install()
    with throwaway_database("sql_bench") as database:
        load_world(create_contract_tables(database), synthetic_world(n_conversations=conversations))
        wh = ensure_warehouse(database.url(hide_password=False))
        add_user(wh.connect, "bench", "setup", email=EMAIL, name="bench", role="product_manager", password=PASSWORD)
        with (
            serve_in_thread(create_app(AccountsSettings(connect=wh.connect, secret=SECRET))) as accounts,
            CubeServer(
                wh,
                SECRET,
                log_path=tmp / "cube.log",
                port=cube_server.free_port(),
                extra_env={"OUTCOMELENS_AUTH_URL": accounts},
            ) as cube,
        ):
            endpoint = SqlEndpoint(cube.api_url, accounts, wh, port=cube_server.free_port()).start()
            try:
                return measure(cube, endpoint, accounts, repeat)
            finally:
                endpoint.stop()
                endpoint.catalogs.drop_all()


def measure(cube: CubeServer, endpoint: SqlEndpoint, accounts: str, repeat: int) -> dict:
    http = requests.Session()
    token = http.post(f"{accounts}/v1/auth/login", json={"email": EMAIL, "password": PASSWORD}, timeout=10).json()[
        "access_token"
    ]
    dsn = f"host={endpoint.host} port={endpoint.port} dbname=outcomelens user={EMAIL} password='{PASSWORD}'"
    timings: dict[str, list[float]] = {"rest": [], "sql": []}
    with psycopg.connect(dsn) as conn:
        for i in range(repeat + 10):  # the first 10 warm both sides up and are not counted
            first, last = START + dt.timedelta(days=i % 5), START + dt.timedelta(days=7 + i % 50)
            started = time.perf_counter()
            rest_rows = rest_load(http, cube.api_url, token, rest_query(first, last))
            rest_ms = (time.perf_counter() - started) * 1000
            started = time.perf_counter()
            sql_rows = conn.execute(SQL, (first.isoformat(), last.isoformat())).fetchall()
            sql_ms = (time.perf_counter() - started) * 1000
            assert len(sql_rows) == len(rest_rows) and sql_rows, (first, last, sql_rows, rest_rows)
            assert [float(r["experiments.conversations"]) for r in rest_rows] == [row[2] for row in sql_rows]
            if i >= 10:
                timings["rest"].append(rest_ms)
                timings["sql"].append(sql_ms)
    result = {name: summary(samples) for name, samples in timings.items()}
    result["p95_sql_minus_rest_ms"] = round(result["sql"]["p95_ms"] - result["rest"]["p95_ms"], 2)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=200)
    parser.add_argument("--conversations", type=int, default=2000)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    result = run(args.repeat, args.conversations)
    result["machine"] = {
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "load_average_1m": round(os.getloadavg()[0], 2),
        "when": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
    }
    result["query"] = SQL
    print(json.dumps(result, indent=2))
    if args.out:
        args.out.write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
