"""What the live-path benchmarks share (live_freshness.py, alert_latency.py): `outcomelens up` in a data
directory on free ports, an ingestion key, the embedded warehouse, the Dagster instance's runs and
materializations, and the machine the figures were measured on."""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import os
import platform
import subprocess
from pathlib import Path

import psutil
import requests

from outcomelens.core.cube_server import free_port
from outcomelens.core.warehouse import EMBEDDED_DATABASE, WAREHOUSE_URL_ENV, Warehouse

ROOT = Path(__file__).resolve().parents[1]

OUTCOMELENS = ROOT / ".venv" / "bin" / "outcomelens"
SERVICES = ("cube", "dagster", "collector", "dashboard", "accounts", "sql")


@dataclasses.dataclass
class LiveStack:
    """`outcomelens up` in `data_dir`: its environment, every service's port, an ingestion key."""

    data_dir: Path
    env: dict[str, str]
    ports: dict[str, int]
    ingestion_key: str = ""

    def url(self, service: str) -> str:
        return f"http://127.0.0.1:{self.ports[service]}"

    def cli(self, *args: str, env: dict | None = None, timeout: float = 900) -> str:
        return subprocess.run(
            [str(OUTCOMELENS), *args],
            env={**self.env, **(env or {})},
            capture_output=True,
            text=True,
            check=True,
            timeout=timeout,
        ).stdout

    def warehouse(self) -> Warehouse:
        """The embedded Postgres of the data directory, over its unix socket."""
        return Warehouse(
            host=str(self.data_dir / "pg"), port=5432, user="postgres", password="", database=EMBEDDED_DATABASE
        )

    def query(self, sql: str, params=None) -> list[tuple]:
        with self.warehouse().connection() as conn, conn.cursor() as cur:
            cur.execute(sql, params)
            return cur.fetchall()

    def session(self) -> requests.Session:
        """Requests to the collector with the ingestion key."""
        session = requests.Session()
        session.headers["Authorization"] = f"Bearer {self.ingestion_key}"
        return session

    def down(self) -> None:
        subprocess.run([str(OUTCOMELENS), "down"], env=self.env, timeout=300, check=False)


def start_stack(data_dir: str | Path, project: str = "bench", timeout_s: int = 900, **settings: str) -> LiveStack:
    """`outcomelens up` on the embedded Postgres of data_dir, every service on a free port (other stacks
    may hold the defaults), `settings` added to its environment; then an ingestion key for `project`.
    This process is pointed at the same data directory and Dagster home (Cube's secret, the instance)."""
    data_dir = Path(data_dir)
    env = {
        **os.environ,
        "OUTCOMELENS_DATA_DIR": str(data_dir),
        "COLUMNS": "200",
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        **settings,
    }
    env.pop(WAREHOUSE_URL_ENV, None)
    ports = {name: free_port() for name in SERVICES}
    for name in ("collector", "dashboard", "accounts", "sql"):
        env[f"OUTCOMELENS_{name.upper()}_PORT"] = str(ports[name])
    stack = LiveStack(data_dir, env, ports)
    stack.cli(
        "up",
        "--cube-port",
        str(ports["cube"]),
        "--dagster-port",
        str(ports["dagster"]),
        "--timeout",
        str(timeout_s),
        timeout=timeout_s + 120,
    )
    os.environ.update(OUTCOMELENS_DATA_DIR=str(data_dir), DAGSTER_HOME=str(data_dir / "dagster_home"))
    name = f"bench-{os.getpid()}"
    stack.ingestion_key = (
        stack.cli("keys", "ingestion", "create", "--project", project, "--name", name).strip().splitlines()[-1]
    )
    return stack


@contextlib.contextmanager
def dagster_instance():
    """The stack's Dagster instance (DAGSTER_HOME set by start_stack); imported late: Dagster is slow to load."""
    import dagster as dg

    with dg.DagsterInstance.get() as instance:
        yield instance


def job_runs(job_name: str, since: float) -> list[dict]:
    """Each run of the job created since `since` (unix seconds): when it was requested, started and
    ended, its status and the sensor that asked for it, oldest first."""
    import dagster as dg

    with dagster_instance() as instance:
        records = instance.get_run_records(dg.RunsFilter(job_name=job_name), limit=1000)
    runs = []
    for r in records:
        created = r.create_timestamp.timestamp()
        if created < since:
            continue
        runs.append(
            {
                "run_id": r.dagster_run.run_id,
                "status": r.dagster_run.status.value,
                "sensor": r.dagster_run.tags.get("dagster/sensor_name"),
                "requested_at": created,
                "started_at": r.start_time,
                "ended_at": r.end_time,
                "wall_s": round(r.end_time - r.start_time, 1) if r.start_time and r.end_time else None,
            }
        )
    return sorted(runs, key=lambda run: run["requested_at"])


def materializations_since(asset_path: list[str], since: float) -> list[float]:
    """When each materialization of the asset was reported since `since` (unix seconds), oldest first."""
    import dagster as dg

    with dagster_instance() as instance:
        records = instance.fetch_materializations(dg.AssetKey(asset_path), limit=100).records
    return sorted(r.timestamp for r in records if r.timestamp >= since)


def machine() -> dict:
    """The machine and how loaded it was when the figures were taken."""
    return {
        "machine": f"{platform.node()}: {psutil.cpu_count()} cores, {psutil.virtual_memory().total / 2**30:.0f} GiB",
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
    }
