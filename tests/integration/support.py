"""What the integration tests share, defined once: throwaway databases on the local Postgres and rows
read back from them, the dbt CLI pointed at one, a dlt load of landed files, the collector served in a
thread, a Cube server and what its answers must look like, and the `outcomelens` command line. The fixtures built on these are in conftest.py; the local
HTTP mocks are in tests/mocks."""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import subprocess
import sys
import threading
import time
import uuid
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterator

import dlt
import psycopg2
import psycopg2.extras
import pytest
import requests
import uvicorn

from ingestion.collector.app import CollectorSettings, create_app
from ingestion.sources.landing import landing_source
from ingestion.sources.spool import Spool
from ingestion.sources.spool.source import collector_pipeline, load_cycle
from outcomelens.contract.ddl import create_missing_raw_tables
from outcomelens.core import cube_server, migrations, paths
from outcomelens.core.cube_server import CubeServer, free_port
from outcomelens.core.warehouse import EMBEDDED_DATABASE, WAREHOUSE_URL_ENV, Warehouse

# The local Postgres the tests make their databases on (trust auth); each can be moved by a variable.
PG_HOST = os.environ.get("OUTCOMELENS_TEST_PG_HOST", "127.0.0.1")
PG_PORT = int(os.environ.get("OUTCOMELENS_TEST_PG_PORT", "5432"))
PG_USER = os.environ.get("OUTCOMELENS_TEST_PG_USER", "postgres")
# The same server's unix socket (Debian's default directory), for the socket-host runs.
PG_SOCKET_DIR = os.environ.get("OUTCOMELENS_TEST_PG_SOCKET_DIR", "/var/run/postgresql")

OUTCOMELENS = paths.PROJECT_ROOT / ".venv" / "bin" / "outcomelens"
DBT = Path(sys.executable).parent / "dbt"


# --- databases and rows ---------------------------------------------------------------------

def postgres_available() -> bool:
    try:
        psycopg2.connect(host=PG_HOST, port=PG_PORT, user=PG_USER, dbname="postgres", connect_timeout=3).close()
        return True
    except psycopg2.OperationalError:
        return False


NEEDS_DBT = [
    pytest.mark.skipif(not DBT.exists(), reason=f"dbt not installed at {DBT}"),
    pytest.mark.skipif(not postgres_available(), reason=f"no Postgres trusting {PG_USER} at {PG_HOST}:{PG_PORT}"),
]


@contextlib.contextmanager
def throwaway_database(prefix: str) -> Iterator[Warehouse]:
    """A database with a unique name on the local Postgres, with the product's tables migrated as every
    process migrates its warehouse at start; dropped afterwards whatever happens."""
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    admin = psycopg2.connect(host=PG_HOST, port=PG_PORT, user=PG_USER, dbname="postgres")
    admin.autocommit = True
    with admin.cursor() as cur:
        cur.execute(f'create database "{name}"')
    try:
        warehouse = Warehouse(host=PG_HOST, port=PG_PORT, user=PG_USER, password="", database=name)
        with warehouse.connection() as conn:
            migrations.apply(conn)
        yield warehouse
    finally:
        with admin.cursor() as cur:
            cur.execute(f'drop database if exists "{name}" with (force)')
        admin.close()


def query(warehouse: Warehouse, sql: str, params=None) -> list[tuple]:
    with warehouse.connection() as conn, conn.cursor() as cur:
        cur.execute(sql, params)
        return cur.fetchall()


def query_dicts(warehouse: Warehouse, sql: str, params=None) -> list[dict]:
    with warehouse.connection() as conn, conn.cursor(cursor_factory=psycopg2.extras.RealDictCursor) as cur:
        cur.execute(sql, params)
        return [dict(row) for row in cur.fetchall()]


def query_value(warehouse: Warehouse, sql: str, params=None):
    return query(warehouse, sql, params)[0][0]


@contextlib.contextmanager
def environment(**values: str):
    """os.environ with these values for the block, restored as it was afterwards."""
    saved = {key: os.environ.get(key) for key in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


# --- dbt and dlt ----------------------------------------------------------------------------

class Dbt:
    """The dbt CLI against one warehouse (dbt_project/profiles.yml reads its variables), with its own
    target and log directories; the duration of each command is kept in `timings`."""

    def __init__(self, warehouse: Warehouse, workdir: Path):
        self.warehouse = warehouse
        self.workdir = workdir
        self.timings: dict[str, float] = {}

    def __call__(self, *args: str, dbt_vars: dict | None = None, check: bool = True,
                 host: str | None = None) -> subprocess.CompletedProcess:
        """host: another way to the same server, such as a unix-socket directory."""
        warehouse = dataclasses.replace(self.warehouse, host=host) if host else self.warehouse
        command = [
            str(DBT), *args,
            "--project-dir", str(paths.DBT_PROJECT_DIR),
            "--profiles-dir", str(paths.DBT_PROJECT_DIR),
            "--target-path", str(self.workdir / "target"),
            "--log-path", str(self.workdir / "logs"),
        ]
        if dbt_vars:
            command += ["--vars", json.dumps(dbt_vars)]
        env = {**os.environ, **warehouse.env(), "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
        if args and args[0] in ("build", "run", "test", "seed"):
            # As the product's dbt asset does: sources nothing loaded are empty tables, not errors.
            with self.warehouse.connection() as conn:
                create_missing_raw_tables(conn)
        started = time.monotonic()
        result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=900)
        self.timings[" ".join(args)] = time.monotonic() - started
        if check:
            assert result.returncode == 0, (
                f"{' '.join(command)} failed ({result.returncode}):\n{result.stdout[-8000:]}\n{result.stderr[-3000:]}"
            )
        return result


def dlt_load(landing_dir: Path, warehouse: Warehouse, pipelines_dir: Path) -> None:
    """Load landed parquet files into the warehouse's raw schema with the project's dlt landing source."""
    pipeline = dlt.pipeline(
        pipeline_name=f"test_landing_{warehouse.database}",
        destination=dlt.destinations.postgres(credentials=warehouse.dlt_credentials()),
        dataset_name="raw",
        pipelines_dir=str(pipelines_dir),
    )
    pipeline.run(landing_source(landing_dir))


# HubSpot's raw tables as dlt creates them, empty: for a test without CRM data whose models read them.
HUBSPOT_RAW_DDL = """
create table raw.hubspot_contacts (id varchar not null primary key, email varchar, firstname varchar, lastname varchar,
    createdate timestamptz, lastmodifieddate timestamptz, _dlt_load_id varchar not null, _dlt_id varchar not null);
create table raw.hubspot_deals (id varchar not null primary key, dealname varchar, amount double precision,
    dealstage varchar, pipeline varchar, closedate timestamptz, createdate timestamptz, hs_lastmodifieddate timestamptz,
    _dlt_load_id varchar not null, _dlt_id varchar not null);
create table raw.hubspot_deal_contact_associations (deal_id varchar not null, contact_id varchar not null,
    _dlt_load_id varchar not null, _dlt_id varchar not null);
"""


# --- synthetic records ----------------------------------------------------------------------

def synthetic_call(event_id: str, conversation_id: str, occurred_at: str | None = None, **fields) -> dict:
    """One LLM call as a client posts it to /v1/llm-calls (occurred_at: now unless given; `fields`
    add or replace contracted fields)."""
    return {
        "event_id": event_id,
        "conversation_id": conversation_id,
        "occurred_at": occurred_at or datetime.now(timezone.utc).isoformat(),
        "llm_model": "gpt-4o-mini",
        "llm_provider": "openai",
        "latency_ms": 500,
        "input_tokens": 100,
        "output_tokens": 20,
        **fields,
    }


def synthetic_calls(prefix: str, n: int) -> list[dict]:
    """n calls happening now, four to a conversation, event ids `<prefix>-<i>`."""
    now = datetime.now(timezone.utc).isoformat()
    return [synthetic_call(f"{prefix}-{i}", f"{prefix}-c{i // 4}", now, latency_ms=400 + i % 500) for i in range(n)]


# --- the collector --------------------------------------------------------------------------

@contextlib.contextmanager
def serve_in_thread(app) -> Iterator[str]:
    """A real uvicorn server for an ASGI app on a free port, in a thread; yields its base URL."""
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", access_log=False))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@dataclasses.dataclass
class Collector:
    """The collector's HTTP intake at `url`, its spool, and the loader's dlt pipeline into raw."""

    url: str
    spool: Spool
    pipeline: dlt.Pipeline

    def load(self):
        """One loader cycle: everything spooled so far into the warehouse's raw tables."""
        return load_cycle(self.spool, self.pipeline)


@contextlib.contextmanager
def running_collector(warehouse: Warehouse, root: Path, **settings) -> Iterator[Collector]:
    """The collector app (CollectorSettings' other fields as keywords) served in a thread, spooling
    under root; the loader's pipeline reads the destination from the exported warehouse variables."""
    spool = Spool(root / "spool")
    app = create_app(CollectorSettings(spool_dir=str(spool.root), connect=warehouse.connect, **settings))
    with serve_in_thread(app) as url:
        yield Collector(url, spool, collector_pipeline(str(root / "dlt")))


# --- Cube -----------------------------------------------------------------------------------

@contextlib.contextmanager
def running_cube(warehouse: Warehouse, secret: str, log_path: Path, **options) -> Iterator[CubeServer]:
    """A Cube server (production mode) on the warehouse, on a free port, stopped afterwards; its
    packages must be installed (the `cube_packages` fixture)."""
    with CubeServer(warehouse, secret, log_path=log_path, port=cube_server.free_port(), **options) as server:
        print(f"Cube ready in {server.started_in_s:.1f}s")
        yield server


def number(value):
    """A number as Cube's JSON gives it (often a string), or None."""
    return None if value is None else float(value)


def assert_no_stack_trace(response) -> None:
    """An error body of Cube's says what went wrong, never where in its code."""
    text = response.text
    assert "    at " not in text and "node_modules" not in text, text[:500]
    if text.startswith("{"):
        assert "stack" not in response.json(), text[:500]


# --- the command line -----------------------------------------------------------------------

class Cli:
    """`.venv/bin/outcomelens` as a user runs it: its own data directory, and the warehouse given by
    URL or, with none, the embedded Postgres in that data directory."""

    def __init__(self, data_dir: Path, warehouse: Warehouse | None = None):
        self.data_dir = data_dir
        self.env = {**os.environ, "OUTCOMELENS_DATA_DIR": str(data_dir), "COLUMNS": "200",
                    "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
        self.env.pop(WAREHOUSE_URL_ENV, None)
        if warehouse is not None:
            self.env[WAREHOUSE_URL_ENV] = warehouse.url(hide_password=False)

    def __call__(self, *args: str, check: bool = True, input: str | None = None,
                 timeout: float = 120) -> subprocess.CompletedProcess:
        result = subprocess.run([str(OUTCOMELENS), *args], env=self.env, input=input, capture_output=True,
                                text=True, timeout=timeout)
        if check:
            assert result.returncode == 0, (
                f"outcomelens {' '.join(args)} failed ({result.returncode}):\n"
                f"{result.stdout[-4000:]}\n{result.stderr[-4000:]}"
            )
        return result

    def start(self, *args: str, **popen) -> subprocess.Popen:
        """A long-running command in a session of its own, so that killing its group kills it all."""
        return subprocess.Popen([str(OUTCOMELENS), *args], env=self.env, start_new_session=True, **popen)

    def embedded_warehouse(self) -> Warehouse:
        """The embedded Postgres of this data directory, as `outcomelens` starts it."""
        return Warehouse(host=str(self.data_dir / "pg"), port=5432, user="postgres", password="",
                         database=EMBEDDED_DATABASE)


def assert_docs_served_locally(base_url: str) -> None:
    """`/docs` answers with Swagger UI whose every script and stylesheet comes from the service itself
    (FastAPI's default page loads them from a CDN and is blank offline)."""
    page = requests.get(f"{base_url}/docs", timeout=10)
    assert page.status_code == 200
    links = [part.split('"')[0] for part in page.text.split('src="')[1:] + page.text.split('href="')[1:]]
    assets = [link for link in links if link.endswith((".js", ".css"))]
    assert assets and all(a.startswith("/docs/assets/") for a in assets), links
    for asset in assets:
        served = requests.get(f"{base_url}{asset}", timeout=10)
        assert served.status_code == 200 and len(served.content) > 10_000
    assert "cdn" not in page.text.lower()


# --- the whole stack ------------------------------------------------------------------------

@dataclasses.dataclass
class Stack:
    """`outcomelens up` in `data_dir`: its environment, ports and what `up` printed."""

    env: dict[str, str]
    data_dir: Path
    ports: dict[str, int]
    out: str

    def url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.ports[name]}"


@contextlib.contextmanager
def running_stack(data_dir: Path, **settings: str) -> Iterator[Stack]:
    """`outcomelens up` on the embedded Postgres of `data_dir`, every service on a free port, the
    variables `settings` added to its environment; `outcomelens down` at the end."""
    env = {**os.environ, "OUTCOMELENS_DATA_DIR": str(data_dir), "COLUMNS": "200", **settings}
    env.pop(WAREHOUSE_URL_ENV, None)
    ports = {name: free_port() for name in ("cube", "dagster", "collector", "dashboard", "accounts", "sql")}
    for name in ("collector", "dashboard", "accounts", "sql"):
        env[f"OUTCOMELENS_{name.upper()}_PORT"] = str(ports[name])
    # The Dagster webserver loads the definitions (dbt's manifest, the semantic layer) before it
    # answers: over 300 s on the shared CI machine under load.
    up = subprocess.run(
        [str(OUTCOMELENS), "up", "--cube-port", str(ports["cube"]), "--dagster-port", str(ports["dagster"]),
         "--timeout", "540"],
        env=env, capture_output=True, text=True, timeout=660,
    )
    try:
        assert up.returncode == 0, up.stdout + up.stderr
        yield Stack(env, data_dir, ports, up.stdout)
    finally:
        subprocess.run([str(OUTCOMELENS), "down"], env=env, timeout=180)
