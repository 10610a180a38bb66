"""`outcomelens docs`: the dbt documentation site (models, columns, tests, lineage and the metric
definitions from the semantic layer), generated against the warehouse and served on 127.0.0.1."""

from __future__ import annotations

import os
import subprocess
from typing import Annotated

import typer

from outcomelens.cli import metric_docs
from outcomelens.core import paths, warehouse

app = typer.Typer(help="Generate and serve the dbt docs (with every governed metric's definition).")

DBT = paths.PROJECT_ROOT / ".venv" / "bin" / "dbt"


def _dbt(*args: str, env: dict[str, str]) -> None:
    command = [str(DBT), *args, "--project-dir", str(paths.DBT_PROJECT_DIR),
               "--profiles-dir", str(paths.DBT_PROJECT_DIR)]
    result = subprocess.run(command, env=env, cwd=paths.PROJECT_ROOT)
    if result.returncode != 0:
        raise typer.Exit(result.returncode)


@app.callback(invoke_without_command=True)
def docs(
    port: Annotated[int, typer.Option(help="Port of the docs server on 127.0.0.1.")] = 8580,
    serve: Annotated[bool, typer.Option("--serve/--no-serve", help="Serve after generating.")] = True,
) -> None:
    """Sync the metric definitions from semantic_layer/metrics.js, run `dbt docs generate` against the
    warehouse, then `dbt docs serve` on 127.0.0.1 (Ctrl-C stops it)."""

    if not 1 <= port <= 65535:
        raise typer.BadParameter(f"port must be 1–65535, got {port}", param_hint="--port")
    if metric_docs.sync():
        typer.echo(f"updated {metric_docs.METRICS_MD.relative_to(paths.PROJECT_ROOT)} from semantic_layer/metrics.js")
    wh = warehouse.ensure_warehouse()
    env = {**os.environ, **wh.env(), "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
    _dbt("docs", "generate", env=env)
    if serve:
        typer.echo(f"dbt docs on http://127.0.0.1:{port}")
        _dbt("docs", "serve", "--host", "127.0.0.1", "--port", str(port), "--no-browser", env=env)
