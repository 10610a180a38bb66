"""pmdarima auto_arima against statsforecast AutoARIMA (and seasonal naive) on the demo's conversion-rate
series and on the NAB series: holdout MAE and MASE, and the time to forecast 200 series.

    .venv/bin/python benchmarks/forecast_benchmark.py [--size 1000000] [--pmdarima-timed 20] [--global-sizes 1000000 3850000]

Results are written down in benchmarks/forecast_benchmark.md. The 200-series timing runs every series
through statsforecast and `--pmdarima-timed` of them through pmdarima (extrapolated to 200, said so in the
output), because pmdarima alone would take most of an hour on this machine.
"""

from __future__ import annotations

import argparse
import functools
import os
import tempfile
import time
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from analytics.config import governed_metric, load_forecast_config
from analytics.forecast import (
    KnownValues,
    PmdarimaAutoArima,
    SeasonalNaive,
    StatsforecastAutoArima,
    mae,
    mase,
    parallel_map,
    rolling_origin_mae,
)
from analytics.series import all_series
from ingestion.demo.generate import bad_release_days, daily_conversion, generate, plan
from ingestion.demo.truth import daily_parts

print = functools.partial(print, flush=True)  # noqa: A001 - progress shows while it runs

MODELS = (PmdarimaAutoArima(), StatsforecastAutoArima(), SeasonalNaive())
CONVERSION = governed_metric("conversion_rate")


def evaluate(series: list[tuple[str, np.ndarray]], h: int, m: int, pmdarima_limit: int | None = None) -> pd.DataFrame:
    rows = []
    for k, (name, y) in enumerate(series):
        train, test = y[:-h], y[-h:]
        for model in MODELS:
            if model.name == "auto_arima" and pmdarima_limit is not None and k >= pmdarima_limit:
                continue
            started = time.perf_counter()
            fc = model.forecast(train, h, m, 0.95)
            rows.append({"series": name, "model": model.name, "mae": mae(test, fc.mean),
                         "mase": mase(test, fc.mean, train, m), "seconds": time.perf_counter() - started})
    return pd.DataFrame(rows)


def demo_series(size: int, seed: int) -> tuple[list[tuple[str, np.ndarray]], pd.DataFrame, dict]:
    out = Path(tempfile.mkdtemp(prefix="forecast_bench_"))
    truth = generate(out, conversations=size, seed=seed)
    parts = daily_parts(out)
    first_bad = np.datetime64(truth["planted_effects"]["bad_release"]["start_date"])
    found = []
    for s in all_series(parts, [CONVERSION], ("intent", "llm_model", "prompt_version")):
        cut = int(np.searchsorted(s.days.values, first_bad))  # the holdout ends before the planted release
        found.append((f"{s.segment_dimension}={s.segment_value}", s.values[:cut]))
    return found, parts, truth


def global_conversion(size: int, seed: int, pmdarima: bool) -> None:
    """The demo's conversion series over all conversations, 15 rolling origins a week apart, 14-day
    horizons ending before the planted release (the windows of tests/unit/test_forecast.py)."""
    daily = daily_conversion(plan(size, seed, 180, date(2026, 11, 1)))
    y = np.array([d["conversions"] / d["conversations"] for d in daily])
    models = [StatsforecastAutoArima(), SeasonalNaive(), KnownValues([d["expected_rate"] for d in daily])]
    if pmdarima:
        models.insert(0, PmdarimaAutoArima())
    windows = dict(end=bad_release_days(180)[0], origins=15, step=7, horizon=14, season_length=7)
    errors = {}
    for model in models:
        started = time.perf_counter()
        errors[model.name] = rolling_origin_mae(y, model, **windows)
        errors[model.name + "_seconds"] = (time.perf_counter() - started) / windows["origins"]
    naive = errors["seasonal_naive"].mean()
    print(f"\nDemo conversion series, all conversations ({size:,} conversations, seed {seed}, "
          f"{sum(d['conversations'] for d in daily) / 180:,.0f} a day): 15 origins × 14 days")
    for model in models:
        e = errors[model.name]
        print(f"  {model.name:26s} MAE {e.mean():.5f}  / seasonal naive {e.mean() / naive:.3f}  "
              f"(per origin {np.min(e / errors['seasonal_naive']):.2f}–{np.max(e / errors['seasonal_naive']):.2f})  "
              f"{errors[model.name + '_seconds']:.2f} s/fit")


def nab_series(nab: Path, days: int = 10) -> list[tuple[str, np.ndarray]]:
    found = []
    for path in sorted((nab / "data").glob("*/*.csv")):
        frame = pd.read_csv(path, parse_dates=["timestamp"]).set_index("timestamp")
        hourly = frame["value"].resample("1h").mean().interpolate()
        found.append((path.stem, hourly.to_numpy()[-days * 24:]))
    return found


def two_hundred_series(parts: pd.DataFrame) -> list[np.ndarray]:
    """200 conversion-rate series of 90 days: every intent × model × prompt version slice, several windows."""
    combos = parts.groupby(["intent", "llm_model", "prompt_version"])
    daily = []
    for _, g in combos:
        d = g.groupby("date_day")[["conversions", "conversations"]].sum()
        daily.append((d["conversions"] / d["conversations"]).to_numpy())
    out = []
    offset = 0
    while len(out) < 200:
        for y in daily:
            if len(out) < 200 and offset + 90 <= len(y):
                out.append(y[offset: offset + 90])
        offset += 15
    return out


SETTINGS = {  # name → (approximation, nmodels, n_jobs)
    "default search, 1 job": (False, 94, 1),
    "approximation, 1 job": (True, 94, 1),
    "approximation, 2 jobs": (True, 94, 2),
    "default search, 2 jobs": (False, 94, 2),
}


def _fit_holdout(y: np.ndarray, model: StatsforecastAutoArima) -> float:
    """Forecast the last 14 days from the rest; the holdout MAE."""
    return mae(y[-14:], model.forecast(y[:-14], 14, 7, 0.95).mean)


def _cpu_seconds() -> float:
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


def time_settings(batch: list[np.ndarray], settings: list[str]) -> None:
    """The 200-series time and holdout MAE of each search setting, with the load average around it."""
    naive = np.mean([mae(y[-14:], SeasonalNaive().forecast(y[:-14], 14, 7, 0.95).mean) for y in batch])
    for name in settings:
        approximation, nmodels, n_jobs = SETTINGS[name]
        model = StatsforecastAutoArima(approximation=approximation, nmodels=nmodels)
        one = time.perf_counter()
        model.forecast(batch[0], 14, 7, 0.95)
        single = time.perf_counter() - one
        load_before = os.getloadavg()[0]
        cpu_before = _cpu_seconds()
        started = time.perf_counter()
        errors = parallel_map(functools.partial(_fit_holdout, model=model), batch, n_jobs)
        elapsed = time.perf_counter() - started
        cpu = _cpu_seconds() - cpu_before  # this process and its finished workers: what load does not inflate
        print(f"  {name:24s} {elapsed:6.1f} s for {len(batch)} series ({elapsed / len(batch):.3f} s/series), "
              f"CPU {cpu:.1f} s ({cpu / len(batch):.3f} s/series → {cpu / len(batch) * 200 / n_jobs:.1f} s for 200 "
              f"on {n_jobs} idle core(s)), "
              f"single series {single:.3f} s, holdout MAE {np.mean(errors):.5f} ({np.mean(errors) / naive:.3f} × "
              f"seasonal naive), load average {load_before:.1f} → {os.getloadavg()[0]:.1f}")


def summarise(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.groupby("model").agg(mae=("mae", "mean"), mase=("mase", "mean"), seconds=("seconds", "mean"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--nab", type=Path, default=Path(__file__).resolve().parents[1] / "tests" / "data" / "nab")
    parser.add_argument("--pmdarima-timed", type=int, default=10)
    parser.add_argument("--pmdarima-demo", type=int, default=None,
                        help="demo series also run through pmdarima (default: all)")
    parser.add_argument("--pmdarima-nab", type=int, default=2, help="NAB files also run through pmdarima (season 24 is slow)")
    parser.add_argument("--global-sizes", type=int, nargs="*", default=[1_000_000, 3_850_000],
                        help="demo sizes whose all-conversation conversion series is scored over rolling origins")
    parser.add_argument("--skip-pmdarima-global", action="store_true")
    parser.add_argument("--timing-only", action="store_true",
                        help="only the 200-series time (and holdout MAE) of each statsforecast search setting")
    parser.add_argument("--settings", nargs="*", default=list(SETTINGS), choices=list(SETTINGS))
    parser.add_argument("--series", type=int, default=200, help="time the first N of the 200 series (--timing-only)")
    args = parser.parse_args()

    StatsforecastAutoArima().forecast(np.random.default_rng(0).normal(size=60), 7, 7, 0.95)  # numba JIT, once
    StatsforecastAutoArima(approximation=True).forecast(np.random.default_rng(0).normal(size=60), 7, 7, 0.95)
    import warnings

    warnings.filterwarnings("ignore", message="possible convergence problem")  # statsforecast, per rejected order

    if args.timing_only:
        _, parts, _ = demo_series(args.size, args.seed)
        config = load_forecast_config()
        print(f"200 series × 90 days, horizon 14, on {os.cpu_count()} cores; forecasts.yaml: approximation="
              f"{config.approximation}, nmodels={config.nmodels}, n_jobs={config.n_jobs}")
        time_settings(two_hundred_series(parts)[: args.series], args.settings)
        return

    for size in args.global_sizes:
        global_conversion(size, args.seed, pmdarima=not args.skip_pmdarima_global)

    demo, parts, _ = demo_series(args.size, args.seed)
    d = evaluate(demo, 14, 7, pmdarima_limit=args.pmdarima_demo)
    print(f"Demo ({args.size:,} conversations, seed {args.seed}): conversion rate, {len(demo)} series, "
          "14-day holdout ending the day before the planted release, season 7")
    print(summarise(d).to_string(float_format=lambda v: f"{v:.4f}"))
    naive = d[d.model == "seasonal_naive"].set_index("series")["mae"]
    for model in ("auto_arima", "statsforecast_autoarima"):
        ran = d[d.model == model].set_index("series")["mae"]
        ratio = ran.mean() / naive[ran.index].mean()  # over the series this model ran
        print(f"  {model}: mean MAE / seasonal naive mean MAE = {ratio:.3f} ({len(ran)} series)")

    n = evaluate(nab_series(args.nab), 24, 24, pmdarima_limit=args.pmdarima_nab)
    print(f"\nNAB (8 files, hourly means of the last 10 days, 24-hour holdout, season 24; "
          f"pmdarima on the first {args.pmdarima_nab} files only)")
    print(summarise(n).to_string(float_format=lambda v: f"{v:.4f}"))
    print(n.pivot(index="series", columns="model", values="mase").to_string(float_format=lambda v: f"{v:.3f}"))

    batch = two_hundred_series(parts)
    started = time.perf_counter()
    for y in batch:
        StatsforecastAutoArima().forecast(y, 14, 7, 0.95)
    sf = time.perf_counter() - started
    started = time.perf_counter()
    for y in batch[: args.pmdarima_timed]:
        PmdarimaAutoArima().forecast(y, 14, 7, 0.95)
    pm = (time.perf_counter() - started) / args.pmdarima_timed
    print(f"\n200 series × 90 days, horizon 14: statsforecast AutoARIMA {sf:.1f} s ({sf / 200:.2f} s/series); "
          f"pmdarima auto_arima {pm:.2f} s/series over {args.pmdarima_timed} series → ≈{pm * 200:.0f} s for 200")


if __name__ == "__main__":
    main()
