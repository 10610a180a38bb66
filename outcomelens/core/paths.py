"""Where OutcomeLens keeps its files: the repository and a git-ignored data directory."""

from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]
DBT_PROJECT_DIR = PROJECT_ROOT / "dbt_project"
SEMANTIC_LAYER_DIR = PROJECT_ROOT / "semantic_layer"


def data_dir() -> Path:
    """The private state of this checkout (embedded Postgres, Dagster home, demo files, logs).

    `OUTCOMELENS_DATA_DIR` moves it, so tests can run beside a developer's own stack.
    """
    path = Path(os.environ.get("OUTCOMELENS_DATA_DIR", PROJECT_ROOT / ".outcomelens")).resolve()
    path.mkdir(parents=True, exist_ok=True)
    return path


def subdir(name: str) -> Path:
    path = data_dir() / name
    path.mkdir(parents=True, exist_ok=True)
    return path


def dagster_home() -> Path:
    home = subdir("dagster_home")
    dagster_yaml = home / "dagster.yaml"
    if not dagster_yaml.exists():
        # Telemetry would try to reach the internet from a machine that may have none.
        dagster_yaml.write_text("telemetry:\n  enabled: false\n")
    return home


def demo_dir() -> Path:
    return subdir("demo")


def logs_dir() -> Path:
    return subdir("logs")


def run_dir() -> Path:
    path = subdir("run")
    # Also the XDG runtime dir of the embedded Postgres helper, which insists on owner-only access.
    path.chmod(0o700)
    return path


def spool_dir() -> str:
    """The collector's durable landing: fsync'd segments waiting for the loader."""
    return str(subdir("spool"))


def pipelines_dir() -> str:
    """dlt's working directories (pipeline state, load packages)."""
    return str(subdir("dlt"))
