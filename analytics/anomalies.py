"""Anomaly rules over daily metric series, each anomaly with the dimension slices behind it.

Rules are read from analytics/config/anomaly_rules.yaml (see the comments there). Contribution analysis
splits the change of a segment into the slices of each dimension: for a ratio metric a slice's
contribution is its share of the day's volume times its own change, n_v (r_v − b_v) / N, so the
contributions of one dimension add up to the mix-adjusted change. Slices are ranked by contribution
times their own relative change: a slice that merely contains the culprit (capability checkout_assist
holds 85 % of intent checkout_help) carries a similar contribution but a diluted change, and ranks below
the culprit itself.
"""

from __future__ import annotations

import hashlib
import json
import math
from datetime import datetime, timezone

import numpy as np
import pandas as pd
from scipy import stats

from analytics.config import AnomalyConfig, Metric, MetricRules, Rule
from analytics.series import ALL, Series, build_series, segments

MAD_TO_SD = 1.4826
TOP_CONTRIBUTORS = 5
# The volume reported with an anomaly: a segment's conversations of the day, whatever the metric judged.
VOLUME = Metric("conversations", "conversations")
DEFAULT_WINDOWS = (1, 3, 5, 7)  # days pooled by relative_change: one day for large drops, a week for thin segments


def anomaly_id(metric: str, dimension: str, value: str, day, rule: str) -> str:
    key = "\x1f".join([metric, dimension, value, str(pd.Timestamp(day).date()), rule])
    return hashlib.sha256(key.encode()).hexdigest()[:24]


def _same_weekday_sums(arr: np.ndarray, baseline_days: int) -> tuple[np.ndarray, np.ndarray]:
    """For each day: sum and count of the same weekday over the trailing `baseline_days`."""
    weeks = max(baseline_days // 7, 1)
    total = np.zeros_like(arr, dtype=float)
    count = np.zeros_like(arr, dtype=float)
    for k in range(1, weeks + 1):
        lag = 7 * k
        shifted = np.full_like(arr, np.nan, dtype=float)
        shifted[lag:] = arr[:-lag]
        ok = np.isfinite(shifted)
        total += np.where(ok, shifted, 0.0)
        count += ok
    return total, count


def _window_sums(arr: np.ndarray, window: int) -> np.ndarray:
    """Sum of the `window` days ending on each day (NaN before the first full window)."""
    c = np.concatenate([[0.0], np.cumsum(np.nan_to_num(arr, nan=0.0))])
    out = np.full(len(arr), np.nan)
    out[window - 1:] = c[window:] - c[:-window]
    return out


def _tail_p_values(x, n, bx, bn, ratio: bool) -> tuple[np.ndarray, np.ndarray]:
    """One-sided exact p-values (low, high) of a window's counts against its baseline's.

    Ratio metric: Fisher's exact test of the 2 × 2 table (x of n against bx of bn), i.e. the
    hypergeometric tail of x given the margins — the baseline's own noise is accounted for, so a thin
    segment needs a proportionally larger drop. Count metric: the conditional test of two Poisson
    counts, x | x + bx ~ Binomial(x + bx, 1 / (1 + weeks)), weeks being the baseline's exposure ratio.
    """
    with np.errstate(invalid="ignore", divide="ignore"):
        if ratio:
            total, successes = n + bn, x + bx
            low = stats.hypergeom.cdf(x, total, successes, n)
            high = stats.hypergeom.sf(x - 1, total, successes, n)
        else:
            share = n / (n + bn)  # here n, bn are the exposures (days) of window and baseline
            low = stats.binom.cdf(x, x + bx, share)
            high = stats.binom.sf(x - 1, x + bx, share)
    return np.nan_to_num(low, nan=1.0), np.nan_to_num(high, nan=1.0)


def per_test_alpha(rule: Rule) -> float:
    """The false-alarm budget of one series (alerts per 90 days) split over its daily tests (Bonferroni)."""
    sides = (rule.get("max_drop") is not None) + (rule.get("max_rise") is not None)
    tests = len(rule.get("windows_days", DEFAULT_WINDOWS)) * max(sides, 1)
    return float(rule.get("false_alarms_per_90_days", 1.0)) / 90 / tests


def relative_change(s: Series, rule: Rule, ratio: bool):
    """Expected, lower, upper, fired per day (rule documented in config/anomaly_rules.yaml).

    For each window of the last w days (windows_days), the pooled counts are compared with the same
    weekdays of the trailing baseline by an exact test; the day fires when some window is both
    significant at the series' budget and beyond max_drop / max_rise, and the day itself moved that way.
    """
    base_days = int(rule.get("baseline_days", 28))
    max_drop, max_rise = rule.get("max_drop"), rule.get("max_rise")
    alpha = per_test_alpha(rule)
    num_sum, n = _same_weekday_sums(s.numerator, base_days)
    den_sum, _ = _same_weekday_sums(s.denominator, base_days)
    enough = n >= max(base_days // 7 - 1, 1)  # one missing week is tolerated
    with np.errstate(invalid="ignore", divide="ignore"):
        expected = num_sum / den_sum if ratio else num_sum / n
    lower = expected * (1 - max_drop) if max_drop is not None else np.full_like(expected, -np.inf)
    upper = expected * (1 + max_rise) if max_rise is not None else np.full_like(expected, np.inf)
    drop_on, rise_on = np.zeros(len(s.days), bool), np.zeros(len(s.days), bool)
    for w in rule.get("windows_days", DEFAULT_WINDOWS):
        x, bx = _window_sums(s.numerator, w), _window_sums(num_sum, w)
        n_w, bn_w = (_window_sums(s.denominator, w), _window_sums(den_sum, w)) if ratio else (
            np.full(len(x), float(w)), _window_sums(n, w))
        low_p, high_p = _tail_p_values(x, n_w, bx, bn_w, ratio)
        with np.errstate(invalid="ignore", divide="ignore"):
            change = (x / n_w) / (bx / bn_w) - 1
        if max_drop is not None:
            drop_on |= (low_p < alpha) & (change < -max_drop)
        if max_rise is not None:
            rise_on |= (high_p < alpha) & (change > max_rise)
    with np.errstate(invalid="ignore"):
        fired = enough & ((drop_on & (s.values < expected)) | (rise_on & (s.values > expected)))
    return expected, lower, upper, fired


def _robust_zscore(s: Series, rule: Rule):
    window = int(rule.get("window_days", 28))
    threshold = float(rule.get("threshold", 4.0))
    vals = pd.Series(s.values)
    med = vals.shift(1).rolling(window, min_periods=window // 2).median().to_numpy()
    mad = (vals - pd.Series(med)).abs().shift(1).rolling(window, min_periods=window // 2).median().to_numpy()
    spread = MAD_TO_SD * mad
    if rule.get("poisson_floor", False):
        # A count's noise is at least Poisson's: a thin series whose MAD is 0 or 1 is not judged by it alone.
        spread = np.fmax(spread, np.sqrt(np.fmax(med, 1.0)))
    with np.errstate(invalid="ignore", divide="ignore"):
        z = (s.values - med) / spread
    fired = np.isfinite(z) & (np.abs(z) > threshold)
    return med, med - threshold * spread, med + threshold * spread, fired


def _forecast_interval(s: Series, forecasts: pd.DataFrame | None):
    expected = np.full(len(s.days), np.nan)
    lower, upper = expected.copy(), expected.copy()
    if forecasts is not None and len(forecasts):
        f = forecasts[
            (forecasts["metric_name"] == s.metric)
            & (forecasts["segment_dimension"] == s.segment_dimension)
            & (forecasts["segment_value"] == s.segment_value)
        ]
        if len(f):
            f = f.assign(date_day=pd.to_datetime(f["date_day"])).set_index("date_day").reindex(s.days)
            expected, lower, upper = (f[c].to_numpy(float) for c in ("yhat", "yhat_lower", "yhat_upper"))
    with np.errstate(invalid="ignore"):
        fired = np.isfinite(expected) & ((s.values < lower) | (s.values > upper))
    return expected, lower, upper, fired


def _severity(observed: float, expected: float, rule: Rule) -> str:
    if not expected:
        return "warning"
    return "critical" if abs(observed / expected - 1) >= float(rule.get("critical_at", 0.3)) else "warning"


def contributors(parts: pd.DataFrame, mr: MetricRules, s: Series, day: pd.Timestamp, baseline_days: int,
                 dimensions: tuple[str, ...]) -> list[dict]:
    """Slices of each dimension ranked by how much of the segment's change they carry (module doc)."""
    m = mr.metric
    seg = parts if s.segment_dimension == ALL else parts[parts[s.segment_dimension] == s.segment_value]
    base_days = [day - pd.Timedelta(days=7 * k) for k in range(1, max(baseline_days // 7, 1) + 1)]
    den_col = m.denominator or m.numerator
    today, base = seg[seg["date_day"] == day], seg[seg["date_day"].isin(base_days)]
    n_base_days = max(base["date_day"].nunique(), 1)
    total_now = float(today[den_col].sum())
    i = s.days.get_loc(day)
    obs_total = float(s.values[i])
    if m.is_ratio:
        exp_total = float(base[m.numerator].sum() / base[den_col].sum()) if base[den_col].sum() else obs_total
    else:
        exp_total = float(base[m.numerator].sum() / n_base_days)
    change = obs_total - exp_total
    found = []
    for dim in dimensions:
        now = today.groupby(dim)[list(dict.fromkeys([m.numerator, den_col]))].sum()
        before = base.groupby(dim)[list(dict.fromkeys([m.numerator, den_col]))].sum()
        for value in now.index.union(before.index):
            num_v = float(now[m.numerator].get(value, 0.0))
            den_v = float(now[den_col].get(value, 0.0))
            bnum, bden = float(before[m.numerator].get(value, 0.0)), float(before[den_col].get(value, 0.0))
            if m.is_ratio:
                if den_v == 0:
                    continue
                observed = num_v / den_v
                expected = bnum / bden if bden else exp_total
                contribution = den_v * (observed - expected) / total_now
            else:
                observed, expected = num_v, bnum / n_base_days
                contribution = observed - expected
            relative = observed / expected - 1 if expected else 0.0
            found.append({
                "dimension": dim, "value": str(value), "observed": observed, "expected": expected,
                "contribution": contribution, "share": contribution / change if change else 0.0,
                "_score": contribution * relative,
            })
    # Only slices moving the way the segment moved explain it; score is positive for those.
    ranked = sorted((c for c in found if c["share"] > 0 and c["_score"] > 0), key=lambda c: -c["_score"])
    for c in ranked:
        c.pop("_score")
    return ranked[:TOP_CONTRIBUTORS]


def detect(parts: pd.DataFrame, config: AnomalyConfig, *, forecasts: pd.DataFrame | None = None,
           last_days: int | None = None, with_contributors: bool = True) -> list[dict]:
    """Anomalies per contract (insights.anomalies) over the last `last_days` days (None: all days)."""
    detected_at = datetime.now(timezone.utc)
    out = []
    for mr in config.metrics:
        for dim, value in segments(parts, config.segment_dimensions):
            s = build_series(parts, mr.metric, dim, value)
            volume = build_series(parts, VOLUME, dim, value).numerator
            first = 0 if last_days is None else max(len(s.days) - last_days, 0)
            for rule in mr.rules:
                if rule.rule == "relative_change":
                    expected, lower, upper, fired = relative_change(s, rule, mr.metric.is_ratio)
                elif rule.rule == "robust_zscore":
                    expected, lower, upper, fired = _robust_zscore(s, rule)
                else:
                    expected, lower, upper, fired = _forecast_interval(s, forecasts)
                for i in np.flatnonzero(fired[first:]) + first:
                    day = s.days[i]
                    obs, exp = float(s.values[i]), float(expected[i])
                    contrib = (
                        contributors(parts, mr, s, day, int(rule.get("baseline_days", 28)), config.contribution_dimensions)
                        if with_contributors else []
                    )
                    out.append({
                        "anomaly_id": anomaly_id(mr.metric.name, dim, value, day, rule.rule),
                        "detected_at": detected_at, "metric_name": mr.metric.name,
                        "segment_dimension": dim, "segment_value": value, "date_day": day.date(),
                        "observed": obs, "expected": exp,
                        "lower": _finite(lower[i]), "upper": _finite(upper[i]),
                        "rule": rule.rule, "severity": _severity(obs, exp, rule), "volume": int(volume[i]),
                        "contributors": contrib,
                        "top_contributor_dimension": contrib[0]["dimension"] if contrib else None,
                        "top_contributor_value": contrib[0]["value"] if contrib else None,
                    })
    return out


def _finite(x: float) -> float | None:
    return float(x) if math.isfinite(x) else None


def alert_title(a: dict) -> str:
    seg = "all" if a["segment_dimension"] == ALL else f"{a['segment_dimension']}={a['segment_value']}"
    change = a["observed"] / a["expected"] - 1 if a["expected"] else float("nan")
    top = f"; top contributor {a['top_contributor_dimension']}={a['top_contributor_value']}" if a["top_contributor_value"] else ""
    return f"{a['metric_name']} {change:+.0%} on {seg} ({a['date_day']}, {a['rule']}){top}"


def dedup_key(a: dict) -> str:
    """One cool-down per (metric, segment, rule)."""
    return f"anomaly|{a['metric_name']}|{a['segment_dimension']}={a['segment_value']}|{a['rule']}"


def jsonable(a: dict) -> dict:
    return json.loads(json.dumps(a, default=str))
