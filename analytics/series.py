"""Daily metric series per segment, re-aggregated from additive parts (sums, never means of rates)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from analytics.config import Metric

ALL = "all"


@dataclass(frozen=True)
class Series:
    metric: str
    segment_dimension: str
    segment_value: str
    days: pd.DatetimeIndex
    numerator: np.ndarray
    denominator: np.ndarray  # conversations for ratios; the volume of the day otherwise
    values: np.ndarray  # NaN where the denominator is 0


def segments(parts: pd.DataFrame, dimensions: tuple[str, ...]) -> list[tuple[str, str]]:
    found = [(ALL, ALL)]
    for dim in dimensions:
        found += [(dim, str(v)) for v in sorted(parts[dim].dropna().unique())]
    return found


def build_series(parts: pd.DataFrame, metric: Metric, dimension: str, value: str) -> Series:
    """One metric's daily series for one segment, every day from the first to the last present."""
    frame = parts if dimension == ALL else parts[parts[dimension] == value]
    cols = [metric.numerator] + ([metric.denominator] if metric.denominator else []) + ["conversations"]
    daily = frame.groupby("date_day")[list(dict.fromkeys(cols))].sum()
    days = pd.date_range(parts["date_day"].min(), parts["date_day"].max(), freq="D")
    daily = daily.reindex(days, fill_value=0)
    num = daily[metric.numerator].to_numpy(float)
    den = daily[metric.denominator or "conversations"].to_numpy(float)
    if metric.is_ratio:
        with np.errstate(invalid="ignore", divide="ignore"):
            values = np.where(den > 0, num / np.where(den > 0, den, 1), np.nan)
    else:
        values = num
    return Series(metric.name, dimension, value, days, num, den, values)


def all_series(parts: pd.DataFrame, metrics, dimensions: tuple[str, ...]) -> list[Series]:
    return [build_series(parts, m, d, v) for m in metrics for d, v in segments(parts, dimensions)]
