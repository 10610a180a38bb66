"""Where OutcomeLens keeps its files: the repository and a git-ignored data directory."""

from __future__ import annotations

import os
from pathlib import Path

import yaml

PROJECT_ROOT = Path(__file__).resolve().parents[2]
DBT_PROJECT_DIR = PROJECT_ROOT / "dbt_project"
SEMANTIC_LAYER_DIR = PROJECT_ROOT / "semantic_layer"


def data_dir() -> Path:
    """The private state of this checkout (embedded Postgres, Dagster home, demo files, logs).

    `OUTCOMELENS_DATA_DIR` moves it, so tests can run beside a developer's own stack.
    """
    path = Path(os.environ.get("OUTCOMELENS_DATA_DIR", PROJECT_ROOT / ".outcomelens")).resolve()
    return _private_dir(path, mode=data_dir_mode())


def data_dir_mode() -> int:
    """0700; run as root, the embedded Postgres runs as its own user (Postgres refuses root), which
    must pass through the data dir to reach pg/: then 0711, passing without listing. Everything
    inside stays 0700."""
    return 0o711 if os.geteuid() == 0 else 0o700


def _private_dir(path: Path, mode: int = 0o700) -> Path:
    """Owner-only: the data dir holds logs, secrets and copies of ingested records. chmod as well as
    mkdir's mode, so a dir made before (or by a looser umask) is tightened too."""
    path.mkdir(mode=mode, parents=True, exist_ok=True)
    path.chmod(mode)
    return path


def subdir(name: str) -> Path:
    return _private_dir(data_dir() / name)


def write_private(path: Path, text: str) -> None:
    """Write a 0600 file (created with that mode, so it is never readable by others, even briefly)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(fd, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(text)


# Sensors and automation tick every few seconds: without a purge their ticks grow storage without
# bound. Skipped ticks (nothing new) are worth a day; failures are kept longest, to be investigated.
LIVE_RUN_TAG = "outcomelens/live"
TICK_RETENTION_DAYS = {"skipped": 1, "success": 7, "failure": 30, "started": 7}


def dagster_home() -> Path:
    home = subdir("dagster_home")
    if not (home / "dagster.yaml").exists():
        write_dagster_yaml(home, storage_url=None)
    return home


def write_dagster_yaml(home: Path, *, storage_url: str | None) -> None:
    """The Dagster instance's settings: storage in Postgres at `storage_url` (None: Dagster's default
    SQLite files in the home), tick retention, no telemetry (it would try to reach the internet).

    The URL is written, not referenced through an environment variable, so that anything opening
    the instance (`DagsterInstance.get()` in a test, a script) finds its storage; the file is 0600."""
    settings: dict = {
        "telemetry": {"enabled": False},
        "retention": {kind: {"purge_after_days": TICK_RETENTION_DAYS} for kind in ("schedule", "sensor", "auto_materialize")},
        # One live micro-batch at a time (orchestration/defs/live), whatever requested it.
        "run_queue": {"tag_concurrency_limits": [{"key": LIVE_RUN_TAG, "limit": 1}]},
        # Loading the definitions (dbt's manifest, the semantic layer) takes minutes on a loaded
        # machine, past the 180 s Dagster waits for its code server by default.
        "code_servers": {"local_startup_timeout": 600},
    }
    if storage_url:
        settings["storage"] = {"postgres": {"postgres_url": storage_url}}
    write_private(home / "dagster.yaml", yaml.safe_dump(settings, sort_keys=False))


def demo_dir() -> Path:
    return subdir("demo")


def logs_dir() -> Path:
    return subdir("logs")


def restrict_logs() -> None:
    """Logs written before they were owner-only (or by a tool ignoring the umask) become 0600."""
    for log in logs_dir().rglob("*"):
        if log.is_file():
            log.chmod(0o600)


def run_dir() -> Path:
    # Also the XDG runtime dir of the embedded Postgres helper, which insists on owner-only access.
    return subdir("run")


def spool_dir() -> str:
    """The collector's durable landing: fsync'd segments waiting for the loader."""
    return str(subdir("spool"))


def pipelines_dir() -> str:
    """dlt's working directories (pipeline state, load packages)."""
    return str(subdir("dlt"))
