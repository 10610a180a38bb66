"""Experiment statistics beyond the fixed-horizon interval of marts.fct_experiment_comparison.

- Always-valid intervals (a confidence sequence from the mixture sequential probability ratio test,
  Johari, Pekelis & Walsh 2017; Howard et al. 2021): with the estimate d ~ N(θ, V) and a normal
  mixture N(0, τ²) over θ, the set {θ : |d − θ| ≤ sqrt(V (V + τ²) / τ² · (2 log(1/α) + log((V + τ²) / V)))}
  covers θ at every sample size at once with probability 1 − α, so a team may look every day.
  τ = mixing_effect × the per-unit standard deviation (an effect of that many sd is the one the test
  is tuned for; the coverage holds whatever it is).
- p-values of the fixed-horizon z test, adjusted across the variants × metrics of an experiment by
  Holm and by Benjamini–Hochberg (statsmodels).
- A Bayesian chance to beat control and the expected loss of shipping the variant: Beta(1 + x, 1 + n − x)
  posteriors for proportions (Monte Carlo, seeded), the normal posterior of the difference for means.
- For running experiments: the minimum detectable effect at the current sample sizes (α = 0.05 two-sided,
  power 0.8) and the days until it reaches a target effect if traffic goes on as it did.
- CUPED (Deng et al. 2013): the outcome adjusted by a pre-period covariate, θ = cov(y, x) / var(x)
  pooled over the arms; the variance falls by ρ², reported.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import stats
from statsmodels.stats.multitest import multipletests

ALPHA = 0.05
POWER = 0.8
MIXING_EFFECT = 0.1  # τ in units of the per-unit sd
BAYES_DRAWS = 200_000


def always_valid_half_width(variance, unit_sd, *, alpha: float = ALPHA, mixing_effect: float = MIXING_EFFECT):
    """Half-width of the mSPRT confidence sequence for an estimate of variance `variance` (arrays too)."""
    variance = np.asarray(variance, float)
    tau2 = (mixing_effect * np.asarray(unit_sd, float)) ** 2
    with np.errstate(invalid="ignore", divide="ignore"):
        width = np.sqrt(
            variance * (variance + tau2) / tau2 * (2 * np.log(1 / alpha) + np.log((variance + tau2) / variance))
        )
    return np.where((variance > 0) & (tau2 > 0), width, np.nan)


def fixed_half_width(variance, alpha: float = ALPHA):
    return stats.norm.ppf(1 - alpha / 2) * np.sqrt(np.asarray(variance, float))


@dataclass(frozen=True)
class PeekingRates:
    fixed_horizon: float  # share of A/A experiments whose 95 % interval excluded 0 on some day
    always_valid: float


def aa_peeking_false_positive_rates(
    *, experiments: int, days: int, daily_per_arm: int, rate: float, seed: int = 0
) -> PeekingRates:
    """A/A experiments (both arms convert at `rate`) looked at every day: how many were ever 'significant'."""
    rng = np.random.default_rng(seed)
    xa = rng.binomial(daily_per_arm, rate, (experiments, days)).cumsum(axis=1)
    xb = rng.binomial(daily_per_arm, rate, (experiments, days)).cumsum(axis=1)
    n = daily_per_arm * np.arange(1, days + 1)
    pa, pb = xa / n, xb / n
    variance = pa * (1 - pa) / n + pb * (1 - pb) / n
    pooled = (xa + xb) / (2 * n)
    unit_sd = np.sqrt(pooled * (1 - pooled))
    d = np.abs(pb - pa)
    with np.errstate(invalid="ignore"):
        fixed = (d > fixed_half_width(variance)).any(axis=1)
        valid = (d > always_valid_half_width(variance, unit_sd)).any(axis=1)
    return PeekingRates(float(fixed.mean()), float(valid.mean()))


def two_sided_p(difference: float, se: float) -> float:
    return float(2 * stats.norm.sf(abs(difference) / se)) if se > 0 else math.nan


def adjusted_p_values(p_values: list[float]) -> tuple[list[float], list[float]]:
    """(Holm, Benjamini–Hochberg) adjusted p-values, in the order given; NaN stays NaN."""
    p = np.asarray(p_values, float)
    ok = np.isfinite(p)
    holm, bh = np.full(len(p), np.nan), np.full(len(p), np.nan)
    if ok.any():
        holm[ok] = multipletests(p[ok], alpha=ALPHA, method="holm")[1]
        bh[ok] = multipletests(p[ok], alpha=ALPHA, method="fdr_bh")[1]
    return holm.tolist(), bh.tolist()


@dataclass(frozen=True)
class Bayesian:
    chance_to_beat_control: float
    expected_loss: float  # expected shortfall of the variant against control, in the metric's units


def bayesian_proportions(
    x_control: int, n_control: int, x_variant: int, n_variant: int, *, higher_is_better: bool = True, seed: int = 0
) -> Bayesian:
    rng = np.random.default_rng(seed)
    pc = rng.beta(1 + x_control, 1 + n_control - x_control, BAYES_DRAWS)
    pv = rng.beta(1 + x_variant, 1 + n_variant - x_variant, BAYES_DRAWS)
    gain = (pv - pc) if higher_is_better else (pc - pv)
    return Bayesian(float(np.mean(gain > 0)), float(np.mean(np.maximum(-gain, 0))))


def bayesian_normal(difference: float, se: float, *, higher_is_better: bool = True) -> Bayesian:
    """Flat prior: the difference's posterior is N(difference, se²)."""
    d = difference if higher_is_better else -difference
    if not se > 0:
        return Bayesian(math.nan, math.nan)
    z = d / se
    return Bayesian(float(stats.norm.cdf(z)), float(se * stats.norm.pdf(z) - d * stats.norm.sf(z)))


def minimum_detectable_effect(se: float, alpha: float = ALPHA, power: float = POWER) -> float:
    return (stats.norm.ppf(1 - alpha / 2) + stats.norm.ppf(power)) * se


def days_to_detect(
    se: float, days_run: float, target_effect: float, alpha: float = ALPHA, power: float = POWER
) -> float:
    """More days until the MDE reaches `target_effect`, traffic as so far (se ∝ 1 / √days); 0 if reached."""
    mde = minimum_detectable_effect(se, alpha, power)
    if not (mde > 0 and target_effect > 0 and days_run > 0):
        return math.nan
    return max(days_run * ((mde / target_effect) ** 2 - 1), 0.0)


@dataclass(frozen=True)
class Cuped:
    difference: float  # variant − control of the adjusted outcome
    se: float
    unadjusted_se: float
    theta: float
    variance_reduction: float  # 1 − var(adjusted) / var(unadjusted), pooled over the arms


def cuped(y: np.ndarray, x: np.ndarray, is_variant: np.ndarray) -> Cuped:
    """Difference in means of y between arms, adjusted by the pre-period covariate x."""
    y, x, v = np.asarray(y, float), np.asarray(x, float), np.asarray(is_variant, bool)
    # θ from within-arm deviations, so a treatment effect on y does not leak into it
    xc = x - np.where(v, x[v].mean(), x[~v].mean())
    yc = y - np.where(v, y[v].mean(), y[~v].mean())
    theta = float(np.dot(xc, yc) / np.dot(xc, xc)) if np.dot(xc, xc) > 0 else 0.0
    adjusted = y - theta * (x - x.mean())

    def diff_se(z: np.ndarray) -> tuple[float, float]:
        a, b = z[v], z[~v]
        return float(a.mean() - b.mean()), math.sqrt(a.var(ddof=1) / len(a) + b.var(ddof=1) / len(b))

    d, se = diff_se(adjusted)
    _, se0 = diff_se(y)
    within = lambda z: np.concatenate([z[v] - z[v].mean(), z[~v] - z[~v].mean()]).var()  # noqa: E731
    return Cuped(d, se, se0, theta, float(1 - within(adjusted) / within(y)))


STATISTICS_COLUMNS = (
    "experiment_id",
    "metric_name",
    "variant",
    "p_value",
    "p_value_holm",
    "p_value_bh",
    "chance_to_beat_control",
    "expected_loss",
    "always_valid_ci_low",
    "always_valid_ci_high",
    "always_valid_significant",
    "minimum_detectable_effect",
    "is_running",
    "days_run",
    "days_to_detect",
    "computed_at",
)


def _finite(x) -> float | None:
    x = float(x)
    return x if math.isfinite(x) else None


def comparison_statistics(comparisons, experiments, config, computed_at) -> list[dict]:
    """Rows of insights.experiment_statistics, one per row of marts.fct_experiment_comparison.

    comparisons: its columns (standard_error included); experiments: marts.dim_experiments
    (first_seen_at, last_seen_at, ends_on). An experiment is running when it has no registered end
    before the last day of data; only running ones get days_to_detect.
    """
    if not len(comparisons):
        return []
    data_end = experiments["last_seen_at"].max()
    periods = experiments.set_index("experiment_id")
    rows = []
    for experiment_id, group in comparisons.groupby("experiment_id", sort=True):
        p_values = [
            two_sided_p(d, se) if se == se else math.nan
            for d, se in zip(group["difference"], group["standard_error"], strict=True)
        ]
        holm, bh = adjusted_p_values(p_values)
        period = periods.loc[experiment_id] if experiment_id in periods.index else None
        days_run = (
            (period["last_seen_at"] - period["first_seen_at"]).total_seconds() / 86400 + 1
            if period is not None and period["first_seen_at"] == period["first_seen_at"]
            else math.nan
        )
        ends_on = None if period is None else period.get("ends_on")
        running = ends_on is None or ends_on != ends_on or str(ends_on) >= str(data_end.date())
        for (_, c), p, ph, pb in zip(group.iterrows(), p_values, holm, bh, strict=True):
            rows.append(_one(c, p, ph, pb, config, running, days_run, computed_at))
    return rows


def _one(c, p, p_holm, p_bh, config, running: bool, days_run: float, computed_at) -> dict:
    se, n_c, n_v = float(c["standard_error"] or math.nan), int(c["n_control"]), int(c["n_variant"])
    higher = c["metric_name"] not in config.lower_is_better
    if c["method"] == "newcombe_wilson" and n_c and n_v:
        bayes = bayesian_proportions(
            round(c["control_value"] * n_c), n_c, round(c["variant_value"] * n_v), n_v, higher_is_better=higher
        )
    else:
        bayes = bayesian_normal(float(c["difference"]), se, higher_is_better=higher)
    unit_sd = math.sqrt(se**2 / (1 / n_c + 1 / n_v)) if n_c and n_v and se == se else math.nan
    half = float(always_valid_half_width(se**2, unit_sd, mixing_effect=config.mixing_effect))
    d = float(c["difference"]) if c["difference"] == c["difference"] else math.nan
    target = config.target_relative_effect * abs(float(c["control_value"] or 0))
    return {
        "experiment_id": c["experiment_id"],
        "metric_name": c["metric_name"],
        "variant": c["variant"],
        "p_value": _finite(p),
        "p_value_holm": _finite(p_holm),
        "p_value_bh": _finite(p_bh),
        "chance_to_beat_control": _finite(bayes.chance_to_beat_control),
        "expected_loss": _finite(bayes.expected_loss),
        "always_valid_ci_low": _finite(d - half),
        "always_valid_ci_high": _finite(d + half),
        "always_valid_significant": bool(math.isfinite(half) and abs(d) > half),
        "minimum_detectable_effect": _finite(minimum_detectable_effect(se)) if se == se else None,
        "is_running": bool(running),
        "days_run": _finite(days_run),
        "days_to_detect": _finite(days_to_detect(se, days_run, target)) if running and se == se else None,
        "computed_at": computed_at,
    }
