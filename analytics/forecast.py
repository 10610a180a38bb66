"""Forecasts with prediction intervals: pmdarima's auto_arima and statsforecast's AutoARIMA behind one
interface, and the seasonal naive forecast they are judged against."""

from __future__ import annotations

import multiprocessing
import warnings
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timezone
from functools import partial
from statistics import NormalDist

import numpy as np
import pandas as pd

from analytics.config import ForecastConfig
from analytics.series import Series, all_series


@dataclass(frozen=True)
class Forecast:
    mean: np.ndarray
    lower: np.ndarray
    upper: np.ndarray


class Forecaster:
    name: str

    def forecast(self, y: np.ndarray, h: int, season_length: int, level: float) -> Forecast:
        raise NotImplementedError


class PmdarimaAutoArima(Forecaster):
    name = "auto_arima"

    def forecast(self, y, h, season_length, level):
        import pmdarima as pm

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # convergence chatter from statsmodels for rejected orders
            model = pm.auto_arima(
                y, seasonal=season_length > 1, m=max(season_length, 1), stepwise=True,
                suppress_warnings=True, error_action="ignore",
            )
            mean, conf = model.predict(n_periods=h, return_conf_int=True, alpha=1 - level)
        return Forecast(np.asarray(mean, float), conf[:, 0], conf[:, 1])


class StatsforecastAutoArima(Forecaster):
    """approximation: rank candidate orders by conditional sum of squares instead of exact likelihood
    (Hyndman & Khandakar's shortcut for long series), then fit the chosen one exactly; nmodels caps the
    stepwise search. benchmarks/forecast_benchmark.md measures both against the defaults."""

    name = "statsforecast_autoarima"

    def __init__(self, approximation: bool = False, nmodels: int = 94):
        self.approximation = approximation
        self.nmodels = nmodels

    def forecast(self, y, h, season_length, level):
        from statsforecast.models import AutoARIMA

        pct = round(level * 100)
        model = AutoARIMA(season_length=max(season_length, 1), approximation=self.approximation, nmodels=self.nmodels)
        out = model.forecast(y=np.asarray(y, float), h=h, level=[pct])
        return Forecast(*(np.asarray(out[k], float) for k in ("mean", f"lo-{pct}", f"hi-{pct}")))


class SeasonalNaive(Forecaster):
    """Each day repeats the same day of the last observed season; the interval widens with the number
    of seasons ahead (random walk over seasons, sd from the in-sample seasonal differences)."""

    name = "seasonal_naive"

    def forecast(self, y, h, season_length, level):
        y = np.asarray(y, float)
        m = max(season_length, 1)
        last = y[-m:]
        idx = np.arange(h)
        mean = last[idx % m] if len(last) == m else np.full(h, y[-1])
        diffs = y[m:] - y[:-m]
        sd = float(np.nanstd(diffs)) if len(diffs) > 1 else 0.0
        z = NormalDist().inv_cdf(0.5 + level / 2)
        half = z * sd * np.sqrt(idx // m + 1)
        return Forecast(mean, mean - half, mean + half)


class KnownValues(Forecaster):
    """Forecasts values known in advance for every day (e.g. the demo's planted probabilities): the
    error floor a real model is compared with. Not configurable in forecasts.yaml."""

    name = "known_values"

    def __init__(self, values):
        self.values = np.asarray(values, float)

    def forecast(self, y, h, season_length, level):
        mean = self.values[len(y): len(y) + h]
        return Forecast(mean, mean, mean)


FORECASTERS: dict[str, type[Forecaster]] = {
    c.name: c for c in (PmdarimaAutoArima, StatsforecastAutoArima, SeasonalNaive)
}


def forecaster(name: str, config: ForecastConfig | None = None) -> Forecaster:
    """The model `name`, with the search settings of `config` where it has any."""
    try:
        cls = FORECASTERS[name]
    except KeyError:
        raise ValueError(f"unknown forecast model {name!r}; expected one of {', '.join(FORECASTERS)}") from None
    if cls is StatsforecastAutoArima and config is not None:
        return cls(approximation=config.approximation, nmodels=config.nmodels)
    return cls()


def parallel_map(fn, items: list, n_jobs: int) -> list:
    """fn over items in n_jobs processes (forked: the numba-compiled code and imports come along), in
    order; one job runs in this process. Each series is independent, so the 2 cores give ~2x."""
    if n_jobs <= 1 or len(items) < 2:
        return [fn(item) for item in items]
    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(max_workers=n_jobs, mp_context=context) as pool:
        return list(pool.map(fn, items, chunksize=max(1, len(items) // (4 * n_jobs))))


def _fillna(y: np.ndarray) -> np.ndarray:
    """Days without volume have no rate: carry the last seen value so ARIMA gets a regular series."""
    return pd.Series(y).ffill().bfill().to_numpy(float)


def mae(actual: np.ndarray, predicted: np.ndarray) -> float:
    return float(np.nanmean(np.abs(np.asarray(actual) - np.asarray(predicted))))


def mase(actual, predicted, train, season_length: int) -> float:
    """MAE scaled by the in-sample MAE of the seasonal naive one-season-ahead forecast."""
    train = np.asarray(train, float)
    scale = np.nanmean(np.abs(train[season_length:] - train[:-season_length]))
    return mae(actual, predicted) / scale if scale > 0 else float("nan")


def rolling_origin_mae(y, model: Forecaster, *, end: int, origins: int, step: int, horizon: int,
                       season_length: int) -> np.ndarray:
    """Holdout MAE of `model` from `origins` forecast origins `step` days apart: the i-th forecasts
    y[end - i*step - horizon : end - i*step] from everything before it."""
    y = np.asarray(y, float)
    errors = []
    for i in range(origins):
        stop = end - i * step
        if stop - horizon < 2 * season_length:
            raise ValueError(f"origin {i} leaves {stop - horizon} days of history, fewer than two seasons")
        fc = model.forecast(y[: stop - horizon], horizon, season_length, 0.95)
        errors.append(mae(y[stop - horizon : stop], fc.mean))
    return np.asarray(errors)


def forecast_rows(series: Series, config: ForecastConfig, model: Forecaster, generated_at: datetime) -> list[dict]:
    """Rows for insights.forecasts: the holdout (fit before it, with the observed value) and the
    horizon beyond the last day (fit on everything)."""
    y = series.values
    if config.exclude_last_days:
        y = y[: -config.exclude_last_days]
    days = series.days[: len(y)]
    if np.isfinite(y).sum() < config.min_history_days + config.holdout_days:
        return []
    y = _fillna(y)
    rows = []

    def emit(fc: Forecast, at: pd.DatetimeIndex, observed, is_holdout: bool):
        for i, day in enumerate(at):
            obs = None if observed is None or not np.isfinite(observed[i]) else float(observed[i])
            rows.append({
                "metric_name": series.metric, "segment_dimension": series.segment_dimension,
                "segment_value": series.segment_value, "date_day": day.date(), "model": model.name,
                "yhat": float(fc.mean[i]), "yhat_lower": float(fc.lower[i]), "yhat_upper": float(fc.upper[i]),
                "interval_level": config.interval_level, "is_holdout": is_holdout, "observed": obs,
                "generated_at": generated_at,
            })

    hold = config.holdout_days
    if hold:
        fc = model.forecast(y[:-hold], hold, config.season_length, config.interval_level)
        emit(fc, days[-hold:], series.values[len(y) - hold: len(y)], True)
    future = pd.date_range(days[-1] + pd.Timedelta(days=1), periods=config.horizon_days, freq="D")
    if config.horizon_days:
        emit(model.forecast(y, config.horizon_days, config.season_length, config.interval_level), future, None, False)
    return rows


def run_forecasts(parts: pd.DataFrame, config: ForecastConfig, model_name: str | None = None) -> list[dict]:
    model = forecaster(model_name or config.model, config)
    generated_at = datetime.now(timezone.utc)
    series = list(all_series(parts, config.metrics, config.segment_dimensions))
    per_series = parallel_map(partial(forecast_rows, config=config, model=model, generated_at=generated_at),
                              series, config.n_jobs)
    return [row for rows in per_series for row in rows]
