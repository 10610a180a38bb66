"""Readers for `truth.json` written by the demo generator, and the daily attribution parts of a landed
demo (the demo's own truth, for tests and benchmarks; never product code)."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pandas as pd

from ingestion.demo import truth_counts
from ingestion.demo.plan import plan
from ingestion.demo.truth_document import GENERATOR_VERSION


def load_truth(out_dir: str | Path) -> dict:
    return json.loads((Path(out_dir) / "truth.json").read_text())


def daily_parts(out_dir: str | Path) -> pd.DataFrame:
    """date_day × the contract's analysis dimensions with conversations and conversions, as
    marts.fct_attribution_daily should have them for the demo landed in out_dir.

    Computed from the generator's plan (rebuilt from truth.json's seed, size and period, so no parquet
    file is read): conversions are those of the generator's own attribution rule, the truth the
    pipeline is tested against. Benchmarks and detector tests use it to reach demo sizes (≈1M
    conversations) that a lean test cannot push through dlt + dbt.
    """
    truth = load_truth(out_dir)
    if truth["generator"] != GENERATOR_VERSION:
        raise ValueError(f"{out_dir} holds a demo of {truth['generator']}, not of {GENERATOR_VERSION}")
    landed = plan(truth["conversations"], truth["seed"], truth["days"], date.fromisoformat(truth["end_date"]))
    return truth_counts.daily_parts(landed)


def lift_effect(truth: dict) -> dict:
    """The planted prompt-version uplift: experiment_id, intent, baseline_prompt_version,
    prompt_version and lift_points (absolute, e.g. 0.05 = +5 percentage points)."""
    eff = truth["planted_effects"]["prompt_uplift"]
    return {
        "experiment_id": eff["experiment_id"],
        "intent": eff["intent"],
        "baseline_prompt_version": eff["baseline_prompt_version"],
        "prompt_version": eff["prompt_version"],
        "lift_points": eff["absolute_uplift"],
    }


def _row(truth: dict, experiment_id: str, prompt_version: str, intent: str | None) -> dict | None:
    expected = truth["expected_conversion"]
    rows = expected["by_experiment_prompt_version_intent" if intent else "by_experiment_prompt_version"]
    for row in rows:
        if (
            row["experiment_id"] == experiment_id
            and row["prompt_version"] == prompt_version
            and (intent is None or row["intent"] == intent)
        ):
            return row
    return None


def planted_conversion(truth: dict, experiment_id: str, prompt_version: str, intent: str | None = None) -> float | None:
    """Mean planted conversion probability of the group (None when the group has no conversations)."""
    row = _row(truth, experiment_id, prompt_version, intent)
    return row["expected_rate"] if row else None


def realized_conversion(truth: dict, experiment_id: str, prompt_version: str, intent: str | None = None) -> dict | None:
    """Realised conversations and conversions of the group, by the contract's attribution rule."""
    row = _row(truth, experiment_id, prompt_version, intent)
    if row is None:
        return None
    return {k: row[k] for k in ("conversations", "conversions", "realized_rate")}
