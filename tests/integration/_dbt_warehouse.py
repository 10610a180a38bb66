"""Shared by the dbt and data-quality integration tests: a throwaway database on the local Postgres,
the dbt CLI pointed at it, and a dlt load of landed files into its `raw` schema."""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import psycopg2

PROJECT_ROOT = Path(__file__).resolve().parents[2]
DBT_PROJECT_DIR = PROJECT_ROOT / "dbt_project"
DBT = Path(sys.executable).parent / "dbt"

PG_HOST = os.environ.get("OUTCOMELENS_TEST_PG_HOST", "127.0.0.1")
PG_PORT = int(os.environ.get("OUTCOMELENS_TEST_PG_PORT", "5432"))
PG_USER = os.environ.get("OUTCOMELENS_TEST_PG_USER", "postgres")


def postgres_available() -> bool:
    try:
        psycopg2.connect(host=PG_HOST, port=PG_PORT, user=PG_USER, dbname="postgres", connect_timeout=3).close()
        return True
    except psycopg2.OperationalError:
        return False


def _admin():
    conn = psycopg2.connect(host=PG_HOST, port=PG_PORT, user=PG_USER, dbname="postgres")
    conn.autocommit = True
    return conn


@contextlib.contextmanager
def throwaway_database(prefix: str):
    """Create a database with a unique name; drop it afterwards whatever happens."""
    database = f"{prefix}_{uuid.uuid4().hex[:10]}"
    admin = _admin()
    with admin.cursor() as cur:
        cur.execute(f'create database "{database}"')
    try:
        yield database
    finally:
        with admin.cursor() as cur:
            cur.execute(f'drop database if exists "{database}" with (force)')
        admin.close()


def connect(database: str):
    return psycopg2.connect(host=PG_HOST, port=PG_PORT, user=PG_USER, dbname=database)


def warehouse_env(database: str, host: str = PG_HOST) -> dict[str, str]:
    """dbt's connection (dbt_project/profiles.yml); host may also be a unix-socket directory."""
    return {
        "OUTCOMELENS_PG_HOST": host,
        "OUTCOMELENS_PG_PORT": str(PG_PORT),
        "OUTCOMELENS_PG_USER": PG_USER,
        "OUTCOMELENS_PG_PASSWORD": "",
        "OUTCOMELENS_PG_DATABASE": database,
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    }


class Dbt:
    """The dbt CLI against one database, with its own target and log directories."""

    def __init__(self, database: str, workdir: Path):
        self.database = database
        self.workdir = workdir
        self.timings: dict[str, float] = {}

    def __call__(self, *args: str, dbt_vars: dict | None = None, check: bool = True,
                 host: str = PG_HOST) -> subprocess.CompletedProcess:
        command = [
            str(DBT), *args,
            "--project-dir", str(DBT_PROJECT_DIR),
            "--profiles-dir", str(DBT_PROJECT_DIR),
            "--target-path", str(self.workdir / "target"),
            "--log-path", str(self.workdir / "logs"),
        ]
        if dbt_vars:
            command += ["--vars", json.dumps(dbt_vars)]
        started = time.monotonic()
        result = subprocess.run(command, env={**os.environ, **warehouse_env(self.database, host)},
                                capture_output=True, text=True, timeout=900)
        self.timings[" ".join(args)] = time.monotonic() - started
        if check:
            assert result.returncode == 0, (
                f"{' '.join(command)} failed ({result.returncode}):\n{result.stdout[-8000:]}\n{result.stderr[-3000:]}"
            )
        return result


def dlt_load(landing_dir: Path, database: str, pipelines_dir: Path) -> None:
    """Load landed parquet files into <database>.raw with the project's dlt landing source."""
    import dlt

    from ingestion.sources.landing import landing_source

    pipeline = dlt.pipeline(
        pipeline_name=f"test_landing_{database}",
        destination=dlt.destinations.postgres(
            credentials=f"postgresql://{PG_USER}:unused@{PG_HOST}:{PG_PORT}/{database}"
        ),
        dataset_name="raw",
        pipelines_dir=str(pipelines_dir),
    )
    pipeline.run(landing_source(landing_dir))
