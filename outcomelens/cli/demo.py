"""`outcomelens demo`: demo data → dlt → dbt → forecasts and anomalies through Dagster, then the answer from Cube."""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path

from rich.console import Console
from rich.table import Column, Table

from ingestion.demo.generate import generate
from ingestion.demo.truth import lift_effect, planted_conversion
from outcomelens.cli import stack
from outcomelens.cli.pipeline import materialize_pipeline
from outcomelens.core import cube_server, paths, processes, warehouse
from outcomelens.core.keyring import cube_api_secret
from outcomelens.core.tokens import mint_token

LANDED_SCHEMAS = ("raw", "raw_staging")
DEMO_ROLE = "product_manager"


def landing_dir() -> Path:
    return paths.subdir("landing")


def _landed_truth() -> dict | None:
    path = landing_dir() / "truth.json"
    return json.loads(path.read_text()) if path.exists() else None


def ensure_demo_data(console: Console, wh: warehouse.Warehouse, *, size: int, seed: int) -> dict:
    """Generate demo files unless the same seed and size are already landed.

    A different seed or size replaces the demo: its ids would otherwise sit beside the old ones.
    """

    truth = _landed_truth()
    if truth and truth.get("seed") == seed and truth.get("conversations") == size:
        console.print(f"demo data for seed {seed}, {size:,} conversations already landed")
        return truth
    if truth:
        console.print("replacing the earlier demo data (different seed or size)")
        reset_landed_data(wh)
    started = time.monotonic()
    truth = generate(landing_dir(), conversations=size, seed=seed, progress=True)
    console.print(f"generated {size:,} conversations in {time.monotonic() - started:.1f} s")
    return truth


def reset_landed_data(wh: warehouse.Warehouse) -> None:
    with wh.connect() as conn, conn.cursor() as cur:
        for schema in LANDED_SCHEMAS:
            cur.execute(f"drop schema if exists {schema} cascade")
    shutil.rmtree(paths.data_dir() / "dlt", ignore_errors=True)
    shutil.rmtree(landing_dir(), ignore_errors=True)


def run_demo(console: Console, *, size: int, seed: int, cube_port: int) -> None:
    wh = warehouse.ensure_warehouse()
    wh.export_env()
    console.print(f"warehouse: {wh.url()}" + (" (embedded)" if wh.embedded else ""))
    truth = ensure_demo_data(console, wh, size=size, seed=seed)

    console.print("materializing the pipeline through Dagster (dlt → dbt → forecasts and anomalies) …")

    started = time.monotonic()
    result = materialize_pipeline()
    console.print(
        f"Dagster run {result.run_id} succeeded in {time.monotonic() - started:.1f} s "
        f"(dbt's log: {paths.logs_dir() / 'pipeline.log'})"
    )

    token = mint_token(DEMO_ROLE, cube_api_secret())
    if processes.running(stack.CUBE):  # the Cube that `outcomelens up` left running
        print_answer(console, stack.processes_url(stack.CUBE) + cube_server.API_PATH, token, truth)
        return
    console.print("starting Cube (production mode, JWT required) …")
    with stack.cube_server_for(wh, cube_port) as server:
        console.print(f"Cube ready on {server.url} in {server.started_in_s:.1f} s")
        print_answer(console, server.api_url, token, truth)


def conversion_by_prompt_version(api_url: str, token: str, experiment_id: str, intent: str | None = None) -> dict:
    filters = [{"member": "prompt_variants.experiment_id", "operator": "equals", "values": [experiment_id]}]
    if intent:
        filters.append({"member": "prompt_variants.intent", "operator": "equals", "values": [intent]})
    answer = cube_server.load(
        api_url,
        {
            "measures": [
                "prompt_variants.conversations",
                "prompt_variants.conversion_rate",
                "prompt_variants.conversion_rate_ci_low",
                "prompt_variants.conversion_rate_ci_high",
            ],
            "dimensions": ["prompt_variants.prompt_version"],
            "filters": filters,
            "order": {"prompt_variants.prompt_version": "asc"},
        },
        token,
    )
    return {
        row["prompt_variants.prompt_version"]: {
            "conversations": int(row["prompt_variants.conversations"]),
            "conversion_rate": float(row["prompt_variants.conversion_rate"]),
            "ci_low": float(row["prompt_variants.conversion_rate_ci_low"]),
            "ci_high": float(row["prompt_variants.conversion_rate_ci_high"]),
        }
        for row in answer["data"]
    }


def print_answer(console: Console, api_url: str, token: str, truth: dict) -> None:
    experiment_id = truth["main_experiment"]
    lift = lift_effect(truth)
    for intent in (None, lift["intent"]):
        measured = conversion_by_prompt_version(api_url, token, experiment_id, intent)
        scope = f"intent {intent}" if intent else "all intents"
        table = Table(
            Column("prompt version", no_wrap=True),
            Column("conversations", justify="right"),
            Column("conversion, from Cube", justify="right"),
            Column("95% CI", no_wrap=True),
            Column("planted truth", justify="right"),
            title=f"Conversion rate by prompt version — {experiment_id}, {scope}",
        )
        for version, figures in measured.items():
            planted = planted_conversion(truth, experiment_id, version, intent)
            table.add_row(
                version,
                f"{figures['conversations']:,}",
                f"{figures['conversion_rate']:.2%}",
                f"{figures['ci_low']:.1%} – {figures['ci_high']:.1%}",
                f"{planted:.2%}" if planted is not None else "—",
            )
        console.print(table)
        if intent:
            control, treatment = lift["baseline_prompt_version"], lift["prompt_version"]
            seen = measured[treatment]["conversion_rate"] - measured[control]["conversion_rate"]
            console.print(
                f"{treatment} vs {control} on {intent}: {seen * 100:+.1f} points measured, "
                f"{lift['lift_points'] * 100:+.1f} planted"
            )
