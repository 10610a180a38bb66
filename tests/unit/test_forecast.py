import numpy as np
import pytest

from analytics.config import ConfigError, Metric, load_forecast_config
from analytics.forecast import (
    PmdarimaAutoArima,
    SeasonalNaive,
    StatsforecastAutoArima,
    forecast_rows,
    mae,
    mase,
)
from analytics.series import all_series


def test_seasonal_naive_repeats_last_season_and_widens_per_season():
    y = np.array([1, 2, 3, 4, 5, 6, 7, 2, 3, 4, 5, 6, 7, 8], float)  # every seasonal difference is +1
    fc = SeasonalNaive().forecast(y, 9, 7, 0.95)
    assert fc.mean.tolist() == [2, 3, 4, 5, 6, 7, 8, 2, 3]
    # sd of the seasonal differences is 0 here: a degenerate interval
    assert np.allclose(fc.lower, fc.mean) and np.allclose(fc.upper, fc.mean)
    y2 = np.array([0, 0, 0, 0, 0, 0, 0, 1, -1, 1, -1, 1, -1, 1], float)  # differences +1,-1,…,+1: population sd √(48/49)
    fc2 = SeasonalNaive().forecast(y2, 8, 7, 0.95)
    assert fc2.upper[0] - fc2.mean[0] == pytest.approx(1.959964 * np.sqrt(48 / 49), abs=1e-5)
    assert fc2.upper[7] - fc2.mean[7] == pytest.approx(1.959964 * np.sqrt(48 / 49) * np.sqrt(2), abs=1e-5)


def test_mae_and_mase_by_hand():
    assert mae([1, 2, 3], [2, 2, 5]) == pytest.approx(1.0)
    train = [1, 2, 4, 7]  # lag-1 naive errors: 1, 2, 3 → scale 2
    assert mase([1, 2, 3], [2, 2, 5], train, 1) == pytest.approx(0.5)


@pytest.mark.parametrize("model, n_series", [(StatsforecastAutoArima(), 4), (PmdarimaAutoArima(), 1)])
def test_arima_backends_learn_a_weekly_pattern(model, n_series):
    """A few series of a weekly pattern (spread 10) plus noise (sd 0.3): the forecast is close and the 95%
    interval holds most of the held-out weeks (ARIMA intervals ignore parameter uncertainty, so a little
    under 95 % is expected)."""
    pattern = np.array([10, 12, 11, 13, 15, 20, 18], float)
    inside = []
    for seed in range(n_series):
        y = np.tile(pattern, 9) + np.random.default_rng(seed).normal(0, 0.3, 63)
        fc = model.forecast(y[:-7], 7, 7, 0.95)
        assert mae(y[-7:], fc.mean) < 1.0
        assert np.all(fc.lower < fc.mean) and np.all(fc.mean < fc.upper)
        inside += list((y[-7:] >= fc.lower) & (y[-7:] <= fc.upper))
    if n_series >= 4:  # pmdarima runs one series (minutes each on a loaded 2-core machine): coverage
        assert np.mean(inside) >= 0.75  # of a single week says little, the benchmark measures it


def test_forecast_config_errors_name_the_field(tmp_path):
    bad = tmp_path / "f.yaml"
    bad.write_text("metrics: {conversion_rate: {numerator: conversions}}\nmodel: prophet\n")
    with pytest.raises(ConfigError, match="model must be one of"):
        load_forecast_config(bad)
    bad.write_text("metrics: {x: {numerator: a}}\nsegment_dimensions: [country]\n")
    with pytest.raises(ConfigError, match="segment_dimensions: unknown dimension 'country'"):
        load_forecast_config(bad)
    bad.write_text("metrics: {x: {denominator: a}}\n")
    with pytest.raises(ConfigError, match=r"metrics.x.numerator is required"):
        load_forecast_config(bad)


def test_forecast_rows_follow_the_contract(big_demo):
    _, _, parts = big_demo
    config = load_forecast_config()
    s = all_series(parts, [Metric("conversion_rate", "conversions", "conversations")], ())[0]
    rows = forecast_rows(s, config, SeasonalNaive(), generated_at=None)
    holdout = [r for r in rows if r["is_holdout"]]
    future = [r for r in rows if not r["is_holdout"]]
    assert len(holdout) == config.holdout_days and len(future) == config.horizon_days
    assert [r["observed"] for r in holdout] == pytest.approx(list(s.values[-config.holdout_days:]))
    assert all(r["observed"] is None for r in future)
    assert future[0]["date_day"] == (s.days[-1] + np.timedelta64(1, "D")).date()
    assert all(r["yhat_lower"] <= r["yhat"] <= r["yhat_upper"] for r in rows)


def test_demo_conversion_forecast_beats_seasonal_naive(big_demo):
    """Holdout MAE over the demo's conversion-rate series (all + each intent, model, prompt version),
    six 14-day holdouts ending before the planted bad release (an anomaly is not what a forecast is
    judged on). The demo's conversion rate is a constant plus binomial noise, so no forecast can beat
    1/√2 ≈ 0.707 of seasonal naive in expectation; AutoARIMA measures 0.76 here (0.67–0.84 per holdout
    window; benchmarks/forecast_benchmark.md). The issue's 0.7 target is below that floor."""
    _, truth, parts = big_demo
    config = load_forecast_config()
    series = all_series(parts, [Metric("conversion_rate", "conversions", "conversations")], config.segment_dimensions)
    first_bad = np.datetime64(truth["planted_effects"]["bad_release"]["start_date"])
    model, naive = StatsforecastAutoArima(), SeasonalNaive()
    errors = {"model": [], "naive": []}
    for s in series:
        cut = int(np.searchsorted(s.days.values, first_bad))
        for end in range(cut, cut - 6 * 14, -14):
            train, test = s.values[: end - 14], s.values[end - 14 : end]
            errors["model"].append(mae(test, model.forecast(train, 14, 7, 0.95).mean))
            errors["naive"].append(mae(test, naive.forecast(train, 14, 7, 0.95).mean))
    ratio = np.mean(errors["model"]) / np.mean(errors["naive"])
    print(f"holdout MAE ratio AutoARIMA / seasonal naive: {ratio:.3f}")
    assert ratio <= 0.80
