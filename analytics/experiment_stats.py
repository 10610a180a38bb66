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
  pooled over the arms; the variance falls by ρ², reported. In the stored statistics the covariate is the
  unit's contact's conversions before the experiment started (marts.fct_experiment_cuped gives the
  per-arm sums, `cuped_from_moments`); the adjusted difference gets a normal 95 % interval.
- The sample ratio mismatch p-value: chi2.sf of the statistic fct_experiment_srm computed (Postgres has
  no chi-square distribution, so the mart only flags it against a critical value).
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


@dataclass(frozen=True)
class ArmMoments:
    """Sufficient statistics of one arm: n, Σy, Σy², Σx, Σx², Σxy."""

    n: float
    y: float
    yy: float
    x: float
    xx: float
    xy: float

    def centred(self) -> tuple[float, float, float]:
        """Within-arm Σ(y−ȳ)², Σ(x−x̄)², Σ(x−x̄)(y−ȳ)."""
        return (self.yy - self.y**2 / self.n, self.xx - self.x**2 / self.n, self.xy - self.x * self.y / self.n)


def cuped_from_moments(control: ArmMoments, variant: ArmMoments) -> Cuped | None:
    """`cuped` from the arms' sums alone (the same numbers as from the units); None without a covariate
    (no within-arm variance of x) or with fewer than 2 units in an arm."""
    if control.n < 2 or variant.n < 2:
        return None
    (syy_c, sxx_c, sxy_c), (syy_v, sxx_v, sxy_v) = control.centred(), variant.centred()
    sxx, sxy, syy = sxx_c + sxx_v, sxy_c + sxy_v, syy_c + syy_v
    if not (sxx > 1e-12 and syy > 0):
        return None
    theta = sxy / sxx
    adj_ss = lambda yy, xx, xy: yy - 2 * theta * xy + theta**2 * xx  # noqa: E731 - Σ of the adjusted, centred
    difference = (variant.y / variant.n - control.y / control.n) - theta * (
        variant.x / variant.n - control.x / control.n
    )
    var_c, var_v = adj_ss(syy_c, sxx_c, sxy_c) / (control.n - 1), adj_ss(syy_v, sxx_v, sxy_v) / (variant.n - 1)
    se = math.sqrt(max(var_c / control.n + var_v / variant.n, 0.0))
    se0 = math.sqrt(syy_c / (control.n - 1) / control.n + syy_v / (variant.n - 1) / variant.n)
    reduction = 1 - adj_ss(syy, sxx, sxy) / syy
    return Cuped(float(difference), se, se0, float(theta), float(reduction))


def srm_p_value(chi_square, degrees_of_freedom) -> float:
    """P(χ²(df) ≥ statistic): the sample ratio mismatch test's p-value (NaN when either is missing)."""
    try:
        x, df = float(chi_square), float(degrees_of_freedom)
    except (TypeError, ValueError):
        return math.nan
    return float(stats.chi2.sf(x, df)) if math.isfinite(x) and df >= 1 else math.nan


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
    "srm_p_value",
    "cuped_covariate",
    "cuped_units_with_history",
    "cuped_theta",
    "cuped_variance_reduction",
    "cuped_difference",
    "cuped_ci_low",
    "cuped_ci_high",
    "computed_at",
)
CUPED_COVARIATE = "pre_period_conversions"


def _finite(x) -> float | None:
    x = float(x)
    return x if math.isfinite(x) else None


def _arm_moments(cuped_moments) -> dict[tuple[str, str, str], tuple[ArmMoments, int]]:
    """(experiment, metric, variant) → the arm's sums and its units with history."""
    if cuped_moments is None or not len(cuped_moments):
        return {}
    return {
        (r.experiment_id, r.metric_name, r.variant): (
            ArmMoments(float(r.units), r.y_sum, r.y_sum_sq, r.x_sum, r.x_sum_sq, r.xy_sum), int(r.units_with_history)
        )
        for r in cuped_moments.itertuples(index=False)
    }


def _cuped_columns(c, arms: dict) -> dict:
    control = arms.get((c["experiment_id"], c["metric_name"], c.get("control_variant")))
    variant = arms.get((c["experiment_id"], c["metric_name"], c["variant"]))
    result = cuped_from_moments(control[0], variant[0]) if control and variant else None
    if result is None:
        return {k: None for k in STATISTICS_COLUMNS if k.startswith("cuped_")}
    half = fixed_half_width(result.se**2)
    return {
        "cuped_covariate": CUPED_COVARIATE,
        "cuped_units_with_history": control[1] + variant[1],
        "cuped_theta": _finite(result.theta),
        "cuped_variance_reduction": _finite(result.variance_reduction),
        "cuped_difference": _finite(result.difference),
        "cuped_ci_low": _finite(result.difference - half),
        "cuped_ci_high": _finite(result.difference + half),
    }


def comparison_statistics(comparisons, experiments, config, computed_at, cuped_moments=None) -> list[dict]:
    """Rows of insights.experiment_statistics, one per row of marts.fct_experiment_comparison.

    comparisons: its columns (standard_error and the SRM statistic included); experiments:
    marts.dim_experiments (first_seen_at, last_seen_at, ends_on); cuped_moments: marts.fct_experiment_cuped
    (None: no CUPED). An experiment is running when it has no registered end before the last day of data;
    only running ones get days_to_detect.
    """
    if not len(comparisons):
        return []
    arms = _arm_moments(cuped_moments)
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
            row = _one(c, p, ph, pb, config, running, days_run, computed_at)
            row["srm_p_value"] = _finite(srm_p_value(c.get("srm_chi_square"), c.get("srm_degrees_of_freedom")))
            rows.append({**row, **_cuped_columns(c, arms)})
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
