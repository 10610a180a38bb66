"""`outcomelens ingest …`: the collector, the loader and CSV upload."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from ingestion.collector import service
from ingestion.collector.batches import BatchError, stamp_key
from ingestion.collector.csv_upload import parse_outcomes_csv
from ingestion.collector.keys import KeyHolder
from ingestion.collector.records import ndjson
from ingestion.sources.spool import Spool
from ingestion.sources.spool.pipeline import run_loader
from ingestion.sources.spool.source import collector_pipeline, load_cycle
from outcomelens.core import paths
from outcomelens.core.warehouse import ensure_warehouse

app = typer.Typer(help="Ingestion: run the collector and loader, upload outcome metrics from CSV.", no_args_is_help=True)
console = Console()


@app.command()
def serve(
    host: Annotated[str, typer.Option()] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="4318 is OTLP/HTTP's default port.")] = 4318,
    workers: Annotated[int, typer.Option(help="Worker processes sharing the port.")] = 2,
) -> None:
    """Run the collector HTTP API in the foreground."""
    service.serve(host=host, port=port, workers=workers)


@app.command()
def loader(interval: Annotated[float, typer.Option(help="Seconds between micro-batches.")] = 2.0) -> None:
    """Load spooled records into raw.* every few seconds, in the foreground, until stopped."""
    run_loader(interval_s=interval)


@app.command()
def csv(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True)],
    load: Annotated[bool, typer.Option(help="Load into raw.outcome_metrics now, not on the loader's next cycle.")] = True,
    project: Annotated[str, typer.Option(help="The project the rows belong to (no ingestion key is used here).")] = "default",
) -> None:
    """Ingest outcome metrics from a CSV (experiment_id, metric_name, metric_value, timestamp, intent,
    capability, action, llm_model, user_id; extra columns kept). Bad rows are reported and dead-lettered."""

    try:
        batch, _ = parse_outcomes_csv(file.read_text(encoding="utf-8-sig"))
    except BatchError as exc:
        raise typer.BadParameter(str(exc), param_hint="FILE") from None
    spool = Spool(paths.spool_dir())
    stamp_key(batch.accepted, KeyHolder(project, None))
    if batch.rejected:
        spool.append("dead_letters", ndjson(batch.dead_letters(f"cli:csv:{file.name}", project)))
    spool.append("outcome_metrics", batch.ndjson())
    for rejection in batch.rejected:
        console.print(f"[red]rejected[/red] {rejection.reason}")
    console.print(f"{len(batch.accepted)} rows accepted, {len(batch.rejected)} rejected (kept in raw.dead_letters)")
    if load:
        ensure_warehouse().export_env()
        result = load_cycle(spool, collector_pipeline(paths.pipelines_dir()))
        console.print(f"loaded {result.rows}")
    if batch.rejected:
        raise typer.Exit(code=1)
