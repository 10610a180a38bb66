"""Power of the relative_change rule by simulation: days until a lasting drop is alerted, and the false
alerts on clean series, for a conversion rate at a given daily volume.

Simulated series are binomial conversions of a fixed number of conversations a day (the weekday pattern
cancels in the same-weekday baseline, so it is left out). benchmarks/anomaly_power.py prints the table;
tests/unit/test_anomalies.py reproduces its calibration points.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from analytics.anomalies import relative_change
from analytics.config import Rule
from analytics.series import Series

HISTORY_DAYS = 35  # a full 28-day baseline plus the longest window before the drop starts


@dataclass(frozen=True)
class Detection:
    days_to_alert: np.ndarray  # per simulated series: 1 = alerted on the drop's first day; inf = never

    def median(self) -> float:
        return float(np.median(self.days_to_alert))

    def share_within(self, days: int) -> float:
        return float(np.mean(self.days_to_alert <= days))


def _series(conversions: np.ndarray, volume: int) -> Series:
    days = pd.date_range("2026-01-05", periods=len(conversions), freq="D")
    den = np.full(len(conversions), float(volume))
    return Series("conversion_rate", "all", "all", days, conversions.astype(float), den, conversions / den)


def days_until_alert(
    rule: Rule, *, rate: float, drop: float, volume: int, lasting: int = 14, runs: int = 200, seed: int = 0
) -> Detection:
    """A drop of `drop` (0.4 = 40 %) from `rate` lasting `lasting` days, `volume` conversations a day."""
    rng = np.random.default_rng(seed)
    p = np.r_[np.full(HISTORY_DAYS, rate), np.full(lasting, rate * (1 - drop))]
    found = np.full(runs, np.inf)
    for r in range(runs):
        _, _, _, fired = relative_change(_series(rng.binomial(volume, p), volume), rule, ratio=True)
        hits = np.flatnonzero(fired[HISTORY_DAYS:])
        if len(hits):
            found[r] = hits[0] + 1
    return Detection(found)


def false_alerts_per_90_days(
    rule: Rule, *, rate: float, volume: int, days: int = 180, runs: int = 50, seed: int = 0
) -> float:
    """Alerting days on clean series, per 90 judged series-days (every firing day counts, as if no cool-down)."""
    rng = np.random.default_rng(seed)
    fired_days = 0
    for _ in range(runs):
        _, _, _, fired = relative_change(_series(rng.binomial(volume, np.full(days, rate)), volume), rule, ratio=True)
        fired_days += int(fired[HISTORY_DAYS:].sum())
    return fired_days / (runs * (days - HISTORY_DAYS)) * 90
