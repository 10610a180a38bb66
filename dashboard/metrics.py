"""How the dashboard labels and formats the semantic layer's metrics (the definitions live in Cube)."""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class Metric:
    name: str  # member name in the views
    label: str
    kind: str  # percent | usd | seconds | ms | rating | count | tokens
    better: str = "up"  # which direction is good, for colouring changes and naming winners


KPIS = (
    Metric("conversion_rate", "Conversion", "percent"),
    Metric("average_order_value", "Average order value", "usd"),
    Metric("revenue", "Revenue", "usd"),
    Metric("csat", "CSAT", "rating"),
    Metric("resolution_time_mean_s", "Resolution time", "seconds", "down"),
    Metric("latency_p95_ms", "Latency p95", "ms", "down"),
    Metric("deflection_rate", "Deflection", "percent"),
    Metric("escalation_rate", "Escalation", "percent", "down"),
    Metric("thumbs_up_rate", "Thumbs-up rate", "percent"),
    Metric("cost_per_conversion", "Cost per conversion", "usd", "down"),
)
BY_NAME = {m.name: m for m in KPIS} | {
    m.name: m for m in (
        Metric("conversations", "Conversations", "count"),
        Metric("conversions", "Conversions", "count"),
        Metric("latency_mean_ms", "Latency mean", "ms", "down"),
        Metric("latency_p50_ms", "Latency p50", "ms", "down"),
        Metric("ttft_mean_ms", "Time to first token", "ms", "down"),
        Metric("error_rate", "Error rate", "percent", "down"),
        Metric("llm_calls", "LLM calls", "count"),
        Metric("total_tokens", "Tokens", "tokens"),
        Metric("cost", "Cost", "usd", "down"),
        Metric("cost_per_conversation", "Cost per conversation", "usd", "down"),
        Metric("average_rating", "Rating", "rating"),
        Metric("revenue_per_conversation", "Revenue per conversation", "usd"),
    )
}


def number(value) -> float | None:
    """Cube sends numbers as strings; None and NaN stay None."""
    if value is None or value == "":
        return None
    try:
        result = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(result) else result


def fmt(value, kind: str) -> str:
    v = number(value)
    if v is None:
        return "–"
    if kind == "percent":
        return f"{v * 100:.1f}%"
    if kind == "usd":
        return f"${v:,.2f}" if abs(v) < 1000 else f"${v:,.0f}"
    if kind == "seconds":
        return f"{v:,.0f} s"
    if kind == "ms":
        return f"{v:,.0f} ms"
    if kind == "rating":
        return f"{v:.2f}"
    return f"{v:,.0f}"


def fmt_change(current, previous, kind: str) -> tuple[str, str, float | None]:
    """(absolute change, relative change, signed delta) of current against previous."""
    c, p = number(current), number(previous)
    if c is None or p is None:
        return "–", "no previous data", None
    delta = c - p
    if kind == "percent":
        absolute = f"{delta * 100:+.1f} pts"
    else:
        absolute = ("+" if delta >= 0 else "−") + fmt(abs(delta), kind)
    relative = f"{delta / p * 100:+.1f}%" if p else "n/a"
    return absolute, relative, delta
