"""The segment dimensions and the histogram bucket edges, declared once.

dbt reads them through dbt_project/macros/contract.sql, Cube through semantic_layer/percentiles.js
and its cube files, Python imports them from here; tests/unit/test_contract.py checks every copy.
"""

from __future__ import annotations

# The grain of marts.fct_attribution_daily (after date_day), in the marts' column order; every call
# of a conversation shares them, and fct_conversations and fct_llm_calls carry them all.
SEGMENT_DIMENSIONS: tuple[str, ...] = (
    "experiment_id", "variant", "prompt_id", "prompt_version", "config_hash", "llm_provider",
    "llm_model", "intent", "capability", "action",
)

# The dimensions forecasts and anomalies are segmented by and decomposed over: the others follow from
# these (prompt_id and config_hash from prompt_version, llm_provider from llm_model).
ANALYSIS_DIMENSIONS: tuple[str, ...] = tuple(
    name for name in SEGMENT_DIMENSIONS if name not in ("prompt_id", "config_hash", "llm_provider")
)

# Marts whose rows carry every segment dimension (and the cubes over them expose them all).
SEGMENTED_MARTS: tuple[str, ...] = ("fct_attribution_daily", "fct_conversations", "fct_llm_calls")

# Cumulative histogram edges of fct_attribution_daily: `latency_le_<edge>` counts the calls with
# latency_ms ≤ edge, `resolution_le_<edge>` the resolved conversations with resolution_time_s ≤ edge.
LATENCY_EDGES_MS: tuple[int, ...] = (
    100, 250, 500, 750, 1000, 1250, 1500, 1750, 2000, 2500, 3000, 4000, 5000, 7500, 10000, 20000, 60000,
)
RESOLUTION_EDGES_S: tuple[int, ...] = (
    30, 60, 120, 180, 300, 450, 600, 900, 1200, 1800, 2700, 3600, 7200, 14400, 86400,
)
