"""Daily refund_rate and nps per experiment × variant × intent (raw.outcome_metrics, source demo).

Deterministic: the draws come from their own random stream, and event_id hashes the row's keys, so
writing them again replaces the same rows.
"""

from __future__ import annotations

import hashlib

import numpy as np
import pyarrow as pa

from ingestion.demo import world as W
from ingestion.demo._arrow import timestamps_ms
from ingestion.demo.parquet_parts import PartWriter, column_names
from ingestion.demo.period import DAY_MS
from ingestion.demo.plan import Plan
from ingestion.demo.random_draws import OUTCOME_METRICS_STREAM, stream
from ingestion.demo.schemas import SCHEMAS


def _day_arm_intent_groups(p: Plan):
    """The (day, arm, intent) groups that have conversations, and the conversations of each."""
    n_arms, n_intents = len(W.arms()), len(W.INTENTS)
    key = (p.period.day_index(p.conversations.t) * n_arms + p.conversations.arm) * n_intents + p.conversations.intent
    counts = np.bincount(key, minlength=p.period.days * n_arms * n_intents)
    groups = np.flatnonzero(counts)
    g_day, rest = np.divmod(groups, n_arms * n_intents)
    g_arm, g_intent = np.divmod(rest, n_intents)
    return g_day, g_arm, g_intent, counts[groups]


def _append_rows(p: Plan, columns: dict[str, list], metric: str, groups, value: np.ndarray) -> None:
    arm_table = W.arms()
    for d, a, i, v in zip(*groups[:3], value):
        arm = arm_table[a]
        day = p.period.day_label(d)
        intent = W.INTENTS[i]
        keys = f"demo\x1f{metric}\x1f{day}\x1f{arm['experiment_id']}\x1f{arm['variant']}\x1f{intent}"
        columns["event_id"].append(hashlib.sha256(keys.encode()).hexdigest())
        columns["occurred_at"].append(p.period.start_ms + int(d) * DAY_MS)
        columns["experiment_id"].append(arm["experiment_id"])
        columns["metric_name"].append(metric)
        columns["metric_value"].append(float(v))
        columns["intent"].append(intent)
        columns["source"].append("demo")
        columns["variant"].append(arm["variant"])


def _arrow_columns(columns: dict[str, list]) -> dict[str, pa.Array]:
    """The contract's columns; those the demo does not fill are NULL."""
    n_rows = len(columns["event_id"])
    arrays = {}
    for field in SCHEMAS["outcome_metrics"]:
        values = columns[field.name]
        if field.name == "occurred_at":
            arrays[field.name] = timestamps_ms(np.asarray(values, np.int64))
        elif not values:
            arrays[field.name] = pa.nulls(n_rows, field.type)
        else:
            arrays[field.name] = pa.array(values, field.type)
    return arrays


def write_outcome_metrics(p: Plan, writer: PartWriter) -> dict:
    """Write the rows and return truth.json's outcome_metrics section."""
    rng = stream(p.seed, OUTCOME_METRICS_STREAM)
    groups = _day_arm_intent_groups(p)
    g_intent, counts = groups[2], groups[3]
    columns: dict[str, list] = {name: [] for name in column_names("outcome_metrics")}
    summary = {}
    for metric, levels in W.OUTCOME_METRIC_LEVELS.items():
        level = np.asarray([levels[i] for i in W.INTENTS])[g_intent]
        sd = W.OUTCOME_METRIC_SD[metric] / np.sqrt(counts)
        low, high = W.OUTCOME_METRIC_RANGE[metric]
        value = np.round(np.clip(level + sd * rng.standard_normal(len(counts)), low, high), 6)
        _append_rows(p, columns, metric, groups, value)
        summary[metric] = {"rows": len(counts), "mean_value": float(value.mean()) if len(counts) else None}
    writer.write("outcome_metrics", _arrow_columns(columns))
    return {
        "source": "demo",
        "grain": "day x experiment_id x variant x intent (variant is an extra column)",
        "planted_effect": None,
        "levels": W.OUTCOME_METRIC_LEVELS,
        **summary,
    }
