"""Experiment statistics against known truth: planted A/A experiments, a planted covariate, hand
computations of the corrections and of the normal-posterior formulas."""

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from analytics.config import load_experiment_config
from analytics.experiment_stats import (
    ArmMoments,
    aa_peeking_false_positive_rates,
    adjusted_p_values,
    always_valid_half_width,
    bayesian_normal,
    bayesian_proportions,
    comparison_statistics,
    cuped,
    cuped_from_moments,
    days_to_detect,
    minimum_detectable_effect,
    srm_p_value,
)


def test_daily_peeking_inflates_the_fixed_interval_but_not_the_always_valid_one():
    """1,000 A/A experiments, 28 daily looks (benchmarks/experiment_peeking.md has the larger run)."""
    rates = aa_peeking_false_positive_rates(experiments=1000, days=28, daily_per_arm=100, rate=0.2, seed=5)
    assert rates.fixed_horizon > 0.15  # ~27 %: what peeking at a 5 % test does
    assert rates.always_valid <= 0.05


def test_always_valid_interval_still_finds_a_real_effect():
    rng = np.random.default_rng(1)
    n = 500 * 28  # per arm after 4 weeks at 500 a day
    pa, pb = rng.binomial(n, 0.20) / n, rng.binomial(n, 0.24) / n
    variance = pa * (1 - pa) / n + pb * (1 - pb) / n
    unit_sd = math.sqrt(((pa + pb) / 2) * (1 - (pa + pb) / 2))
    half = float(always_valid_half_width(variance, unit_sd))
    assert pb - pa > half > 1.96 * math.sqrt(variance)  # wider than fixed, still excludes 0


def test_always_valid_half_width_by_hand():
    # V = 1e-4, unit sd 0.5 → τ² = 0.05² = 2.5e-3; sqrt(V (V + τ²) / τ² (2 ln 20 + ln((V + τ²) / V)))
    v, tau2 = 1e-4, 2.5e-3
    expected = math.sqrt(v * (v + tau2) / tau2 * (2 * math.log(20) + math.log((v + tau2) / v)))
    assert float(always_valid_half_width(v, 0.5)) == pytest.approx(expected)
    assert expected == pytest.approx(0.03102, abs=1e-5)


def test_holm_and_benjamini_hochberg_by_hand():
    holm, bh = adjusted_p_values([0.01, 0.04, 0.03, 0.005, float("nan")])
    # Holm: sorted 0.005×4 = 0.02, 0.01×3 = 0.03, 0.03×2 = 0.06, 0.04×1 → 0.06 (monotone)
    assert holm[:4] == pytest.approx([0.03, 0.06, 0.06, 0.02]) and math.isnan(holm[4])
    # BH: p × m / rank = 0.02, 0.02, 0.04, 0.04 (already monotone)
    assert bh[:4] == pytest.approx([0.02, 0.04, 0.04, 0.02])


def test_bayesian_chance_to_beat_control_and_expected_loss():
    even = bayesian_normal(0.0, 0.01)
    assert even.chance_to_beat_control == pytest.approx(0.5)
    assert even.expected_loss == pytest.approx(0.01 * stats.norm.pdf(0))  # E[max(−D, 0)], D ~ N(0, se²)
    ahead = bayesian_normal(0.02, 0.01)
    assert ahead.chance_to_beat_control == pytest.approx(stats.norm.cdf(2))
    # proportions: the same counts are a coin flip; 260/1000 against 200/1000 is near certain
    same = bayesian_proportions(200, 1000, 200, 1000)
    assert same.chance_to_beat_control == pytest.approx(0.5, abs=0.01)
    better = bayesian_proportions(200, 1000, 260, 1000)
    assert better.chance_to_beat_control > 0.99 and better.expected_loss < 1e-4
    # and it agrees with the normal approximation at this size
    se = math.sqrt(0.2 * 0.8 / 1000 + 0.26 * 0.74 / 1000)
    assert better.chance_to_beat_control == pytest.approx(stats.norm.cdf(0.06 / se), abs=0.002)


def test_minimum_detectable_effect_and_days_to_reach_it():
    assert minimum_detectable_effect(0.01) == pytest.approx((1.959964 + 0.841621) * 0.01, rel=1e-5)
    # MDE twice the target: the variance must fall 4-fold, i.e. 3 × the 10 days run so far
    assert days_to_detect(0.01, 10, minimum_detectable_effect(0.01) / 2) == pytest.approx(30)
    assert days_to_detect(0.01, 10, 1.0) == 0


def test_cuped_reduces_the_variance_by_the_covariates_share():
    """y = 10 + 2 x + 0.5 (variant) + noise, x ~ N(0, 1), noise ~ N(0, 2²): corr(x, y)² = 4 / 8 = 0.5."""
    rng = np.random.default_rng(3)
    n = 20_000
    x = rng.normal(0, 1, n)
    variant = rng.random(n) < 0.5
    y = 10 + 2 * x + 0.5 * variant + rng.normal(0, 2, n)
    result = cuped(y, x, variant)
    assert result.theta == pytest.approx(2, abs=0.05)
    assert result.variance_reduction == pytest.approx(0.5, abs=0.02)
    assert result.se == pytest.approx(result.unadjusted_se * math.sqrt(0.5), rel=0.03)
    assert abs(result.difference - 0.5) < 3 * result.se


def _moments(y, x, mask) -> ArmMoments:
    return ArmMoments(float(mask.sum()), y[mask].sum(), (y[mask] ** 2).sum(), x[mask].sum(), (x[mask] ** 2).sum(),
                      (x[mask] * y[mask]).sum())


def test_cuped_from_the_arms_sums_matches_numpy_on_a_known_binary_covariate():
    """Conversion (0/1) whose probability rises with the pre-period conversions x ~ Poisson(0.6), a planted
    +3 points in the variant: the stored statistics' CUPED from the per-arm sums (what dbt gives) equals
    CUPED on the units, and its variance reduction is numpy's squared within-arm correlation of x and y."""
    rng = np.random.default_rng(7)
    n = 40_000
    x = rng.poisson(0.6, n).astype(float)
    variant = rng.random(n) < 0.5
    y = (rng.random(n) < 0.10 + 0.08 * x + 0.03 * variant).astype(float)
    got = cuped_from_moments(_moments(y, x, ~variant), _moments(y, x, variant))
    on_units = cuped(y, x, variant)
    within = lambda z: np.concatenate([z[variant] - z[variant].mean(), z[~variant] - z[~variant].mean()])  # noqa: E731
    rho = np.corrcoef(within(x), within(y))[0, 1]
    assert got.variance_reduction == pytest.approx(rho**2, rel=1e-9)
    assert got.variance_reduction == pytest.approx(on_units.variance_reduction, rel=1e-9) and got.variance_reduction > 0.02
    assert got.theta == pytest.approx(on_units.theta, rel=1e-9)
    assert got.difference == pytest.approx(on_units.difference, abs=1e-12)
    assert got.se == pytest.approx(on_units.se, rel=1e-9) and got.se < got.unadjusted_se
    assert abs(got.difference - 0.03) < 3 * got.se
    # no covariate (x constant): nothing to adjust by
    assert cuped_from_moments(_moments(y, 0 * x, ~variant), _moments(y, 0 * x, variant)) is None


def test_stored_statistics_carry_cuped_and_the_srm_p_value():
    rng = np.random.default_rng(8)
    n = 10_000
    x = rng.poisson(0.6, n).astype(float)
    variant = rng.random(n) < 0.5
    y = (rng.random(n) < 0.10 + 0.08 * x).astype(float)
    arms = pd.DataFrame([
        dict(experiment_id="e", variant=name, metric_name="conversion_rate", units=m.n, y_sum=m.y, y_sum_sq=m.yy,
             x_sum=m.x, x_sum_sq=m.xx, xy_sum=m.xy, units_with_history=int((x[mask] > 0).sum()))
        for name, mask in (("control", ~variant), ("treatment", variant)) for m in [_moments(y, x, mask)]
    ])
    pc, pv = y[~variant].mean(), y[variant].mean()
    se = math.sqrt(pc * (1 - pc) / (~variant).sum() + pv * (1 - pv) / variant.sum())
    comparisons = pd.DataFrame([dict(
        experiment_id="e", metric_name="conversion_rate", variant="treatment", control_variant="control",
        n_control=int((~variant).sum()), n_variant=int(variant.sum()), control_value=pc, variant_value=pv,
        difference=pv - pc, standard_error=se, method="newcombe_wilson", srm_chi_square=26.31578947368421,
        srm_degrees_of_freedom=1)])
    periods = pd.DataFrame([dict(experiment_id="e", first_seen_at=pd.Timestamp("2026-05-01", tz="UTC"),
                                 last_seen_at=pd.Timestamp("2026-05-10", tz="UTC"), ends_on=None)])
    (row,) = comparison_statistics(comparisons, periods, load_experiment_config(), "now", arms)
    want = cuped(y, x, variant)
    assert row["cuped_covariate"] == "pre_period_conversions"
    assert row["cuped_units_with_history"] == int((x > 0).sum())
    assert row["cuped_variance_reduction"] == pytest.approx(want.variance_reduction, rel=1e-9)
    assert row["cuped_difference"] == pytest.approx(want.difference, abs=1e-12)
    assert row["cuped_ci_high"] - row["cuped_ci_low"] == pytest.approx(2 * 1.959964 * want.se, rel=1e-5)
    # chi-square 26.3 on 1 degree of freedom (5,000 vs 4,500): p = 2.9e-7, flagged below 0.001
    assert row["srm_p_value"] == pytest.approx(stats.chi2.sf(26.31578947368421, 1)) and row["srm_p_value"] < 1e-6
    assert srm_p_value(None, 1) != srm_p_value(None, 1)  # NaN when the mart has no statistic


def test_comparison_statistics_rows_by_hand():
    se = math.sqrt(0.2 * 0.8 / 1000 + 0.26 * 0.74 / 1000)
    comparisons = pd.DataFrame(
        [
            dict(
                experiment_id="e",
                metric_name="conversion_rate",
                variant="t",
                n_control=1000,
                n_variant=1000,
                control_value=0.2,
                variant_value=0.26,
                difference=0.06,
                standard_error=se,
                method="newcombe_wilson",
            ),
            dict(
                experiment_id="e",
                metric_name="latency_mean_ms",
                variant="t",
                n_control=900,
                n_variant=900,
                control_value=800.0,
                variant_value=820.0,
                difference=20.0,
                standard_error=10.0,
                method="welch",
            ),
        ]
    )
    periods = pd.DataFrame(
        [
            dict(
                experiment_id="e",
                first_seen_at=pd.Timestamp("2026-05-01", tz="UTC"),
                last_seen_at=pd.Timestamp("2026-05-10", tz="UTC"),
                ends_on=None,
            )
        ]
    )
    rows = {r["metric_name"]: r for r in comparison_statistics(comparisons, periods, load_experiment_config(), "now")}
    conv, lat = rows["conversion_rate"], rows["latency_mean_ms"]
    p_conv, p_lat = 2 * stats.norm.sf(0.06 / se), 2 * stats.norm.sf(2.0)
    assert (conv["p_value"], lat["p_value"]) == (pytest.approx(p_conv), pytest.approx(p_lat))
    # Holm over two: the smaller × 2, the larger × 1 (kept ≥ the first)
    assert conv["p_value_holm"] == pytest.approx(2 * p_conv) and lat["p_value_holm"] == pytest.approx(p_lat)
    # latency is lower-is-better: 20 ms slower is a 2.3 % chance to beat control
    assert lat["chance_to_beat_control"] == pytest.approx(stats.norm.cdf(-2.0))
    half = float(always_valid_half_width(se**2, math.sqrt(se**2 / (2 / 1000))))
    assert conv["always_valid_ci_low"] == pytest.approx(0.06 - half) and conv["always_valid_significant"]
    assert conv["is_running"] and conv["days_run"] == pytest.approx(10)
    # target: 5 % of 0.2 = 0.01 → days 10 × ((MDE / 0.01)² − 1)
    assert conv["days_to_detect"] == pytest.approx(10 * ((minimum_detectable_effect(se) / 0.01) ** 2 - 1))
