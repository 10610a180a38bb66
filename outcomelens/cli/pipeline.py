"""Run the Dagster pipeline job in this process, recorded in the project's Dagster home, whose
storage is the `dagster` database beside the warehouse's (the same one `outcomelens up`'s webserver
and daemon use)."""

from __future__ import annotations

import contextlib
import dataclasses
import os
import subprocess
from pathlib import Path

from outcomelens.core import paths, warehouse

DBT = paths.PROJECT_ROOT / ".venv" / "bin" / "dbt"
DAGSTER_DATABASE = "dagster"


def configure_dagster_instance(wh: warehouse.Warehouse) -> Path:
    """The Dagster home, its dagster.yaml pointing at the `dagster` database of the warehouse's server
    (created if missing): runs, events and ticks in Postgres, as in a deployment."""
    storage = dataclasses.replace(wh, database=DAGSTER_DATABASE)
    warehouse.create_database(storage)
    home = paths.dagster_home()
    # SQLAlchemy's plain postgresql:// means psycopg 3 now; the project has psycopg2.
    url = storage.url(hide_password=False).replace("postgresql://", "postgresql+psycopg2://", 1)
    paths.write_dagster_yaml(home, storage_url=url)
    return home


def prepare_dbt() -> None:
    """dbt deps + parse, so dagster-dbt finds manifest.json when definitions import."""
    env = {**os.environ, "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
    # parse needs a profile but no connection; unset variables would fail it, so give defaults.
    for name, default in (
        ("OUTCOMELENS_PG_HOST", "localhost"),
        ("OUTCOMELENS_PG_PORT", "5432"),
        ("OUTCOMELENS_PG_USER", "postgres"),
        ("OUTCOMELENS_PG_DATABASE", "outcomelens"),
    ):
        env.setdefault(name, default)
    args = ["--project-dir", str(paths.DBT_PROJECT_DIR), "--profiles-dir", str(paths.DBT_PROJECT_DIR)]
    for command in (["deps"], ["parse"]):
        subprocess.run([str(DBT), *command, *args, "--quiet"], check=True, env=env, cwd=paths.PROJECT_ROOT)


def materialize_pipeline(log_level: str = "WARNING", wh: warehouse.Warehouse | None = None):
    """Materialize every asset through the pipeline job; raises if any step fails.

    The run's full event log stays in the Dagster instance (see it in the UI); the console gets
    `log_level` and above.
    """
    os.environ["DAGSTER_HOME"] = str(configure_dagster_instance(wh or warehouse.ensure_warehouse()))
    # Imported here, not at the top: the definitions load dbt's manifest, which `prepare` (a command
    # of this same CLI) creates on a fresh clone, and importing Dagster costs every other command ~10 s.
    import dagster as dg

    from orchestration.definitions import PIPELINE_JOB_NAME, defs

    job = defs.resolve_job_def(PIPELINE_JOB_NAME)
    log_path = paths.logs_dir() / "pipeline.log"
    # dagster-dbt echoes dbt's own log to stdout; it belongs in a file next to the other logs.
    with dg.DagsterInstance.get() as instance, log_path.open("a") as log, contextlib.redirect_stdout(log):
        result = job.execute_in_process(
            instance=instance,
            raise_on_error=True,
            run_config={"loggers": {"console": {"config": {"log_level": log_level}}}},
        )
    return result
