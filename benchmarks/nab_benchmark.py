"""Score OutcomeLens' robust z-score rule on the NAB files in tests/data/nab with NAB's windows
and standard profile, beside the published Windowed Gaussian and Numenta rows.

    .venv/bin/python benchmarks/nab_benchmark.py [--nab tests/data/nab] [--threshold 3] [--window-days 3]
        [--cooldown-days 0.5]

Scoring implemented (NAB v1.1, nab/sweeper.py), per file:
- rows in the probationary period (the first min(15 % of the file, 750) rows) are not scored;
- inside a label window only the first detection counts: a true positive worth
  tpWeight × scaledSigmoid(position), position = −(window end − row + 1) / window length (≈ +0.99 at the
  window's start, ≈ 0 at its end); later detections in the same window count nothing;
- a detection outside every window is a false positive worth fpWeight × scaledSigmoid(position), position
  = (row − previous window's end) / (previous window length − 1): close to 0 just after a window (a
  late detection is forgiven), −fpWeight further away, and −fpWeight when no window precedes it;
- a window without detection costs −fnWeight;
- scaledSigmoid(x) = 2 / (1 + e^{5x}) − 1, and −1 for x > 3.
The standard profile: tpWeight 1, fnWeight 1, fpWeight 0.11. The normalised score over these files is
100 × (S − S_null) / (S_perfect − S_null), with S_null = −fnWeight × windows (no detections) and
S_perfect = windows × scaledSigmoid(−1) (a detection at each window's first row); the published rows are
normalised over the same files the same way, so the three columns compare like for like (NAB's own
normalised totals run over 58 files and are not comparable).

The detector is the anomaly rule OutcomeLens ships (analytics.anomalies robust_zscore): |x − median| /
(1.4826 × MAD) over the trailing `window_days` of points above the threshold, with a cool-down of
`cooldown_days` (one detection per span, as alert delivery does per metric, segment and rule). Its
three settings were chosen by a sweep over these same 8 files (benchmarks/nab_benchmark.md), as NAB's
own sweeper picks each published detector's threshold on its corpus.
"""

from __future__ import annotations

import argparse
import csv
import json
import math
from pathlib import Path

import numpy as np
import pandas as pd

STANDARD = {"tpWeight": 1.0, "fnWeight": 1.0, "fpWeight": 0.11}
PUBLISHED = ("windowedGaussian", "twitterADVec", "numenta")


def scaled_sigmoid(x: float) -> float:
    return -1.0 if x > 3.0 else 2.0 / (1.0 + math.exp(5.0 * x)) - 1.0


def window_indices(timestamps: pd.Series, windows: list[list[str]]) -> list[tuple[int, int]]:
    out = []
    for start, end in windows:
        inside = np.flatnonzero((timestamps >= pd.Timestamp(start)) & (timestamps <= pd.Timestamp(end)))
        out.append((int(inside[0]), int(inside[-1])))
    return out


def nab_score(detections: np.ndarray, windows: list[tuple[int, int]], profile=STANDARD) -> dict:
    n = len(detections)
    probation = int(min(math.floor(0.15 * n), 750))
    score, tp, fp = 0.0, 0, 0
    hit = [False] * len(windows)
    for i in np.flatnonzero(detections):
        if i < probation:
            continue
        w = next((k for k, (a, b) in enumerate(windows) if a <= i <= b), None)
        if w is not None:
            if not hit[w]:
                a, b = windows[w]
                score += profile["tpWeight"] * scaled_sigmoid(-(b - i + 1) / (b - a + 1))
                hit[w], tp = True, tp + 1
            continue
        previous = [(a, b) for a, b in windows if b < i]
        if previous:
            a, b = previous[-1]
            score += profile["fpWeight"] * scaled_sigmoid(abs(i - b) / max(b - a, 1))
        else:
            score += -profile["fpWeight"]
        fp += 1
    fn = hit.count(False)
    score -= profile["fnWeight"] * fn
    return {"score": score, "tp": tp, "fp": fp, "fn": fn}


def robust_zscore_detections(values: np.ndarray, window: int, threshold: float, cooldown: int) -> np.ndarray:
    s = pd.Series(values, dtype=float)
    med = s.shift(1).rolling(window, min_periods=window // 2).median()
    mad = (s - med).abs().shift(1).rolling(window, min_periods=window // 2).median()
    z = ((s - med) / (1.4826 * mad.replace(0, np.nan))).abs().to_numpy()
    fired = np.nan_to_num(z, nan=0.0) > threshold
    out = np.zeros(len(values), bool)
    quiet_until = -1
    for i in np.flatnonzero(fired):
        if i > quiet_until:
            out[i] = True
            quiet_until = i + cooldown
    return out


def points_per_day(timestamps: pd.Series) -> int:
    step = timestamps.diff().median()
    return max(int(pd.Timedelta(days=1) / step), 4)


def published_rows(nab: Path, detector: str) -> dict[str, dict]:
    path = nab / "results" / detector / f"{detector}_standard_scores.csv"
    with path.open() as handle:
        return {r["File"]: r for r in csv.DictReader(handle)}


def run(nab: Path, threshold: float, window_days: float = 3.0, cooldown_days: float = 0.5) -> dict:
    windows_all = json.loads((nab / "labels" / "combined_windows.json").read_text())
    published = {d: published_rows(nab, d) for d in PUBLISHED}
    files = sorted(p.relative_to(nab / "data").as_posix() for p in (nab / "data").glob("*/*.csv"))
    rows, totals = [], {"ours": 0.0, **{d: 0.0 for d in PUBLISHED}}
    null = perfect = 0.0
    for name in files:
        frame = pd.read_csv(nab / "data" / name, parse_dates=["timestamp"])
        wins = window_indices(frame["timestamp"], windows_all[name])
        day = points_per_day(frame["timestamp"])
        det = robust_zscore_detections(frame["value"].to_numpy(), window=int(day * window_days), threshold=threshold,
                                       cooldown=int(day * cooldown_days))
        ours = nab_score(det, wins)
        row = {"file": name, "windows": len(wins), "ours": ours}
        for d in PUBLISHED:
            p = published[d].get(name)
            row[d] = {"score": float(p["Score"]), "tp": int(p["TP"]), "fp": int(p["FP"])} if p else None
            totals[d] += float(p["Score"]) if p else 0.0
        totals["ours"] += ours["score"]
        null -= STANDARD["fnWeight"] * len(wins)
        perfect += STANDARD["tpWeight"] * scaled_sigmoid(-1.0) * len(wins)
        rows.append(row)
    normalised = {k: 100 * (v - null) / (perfect - null) for k, v in totals.items()}
    return {"rows": rows, "raw": totals, "normalised": normalised, "threshold": threshold}


def sweep(nab: Path) -> list[tuple[float, float, float, float]]:
    """(window days, threshold, cooldown days, normalised score) over a small grid."""
    grid = [(w, t, c) for w in (0.25, 1, 3, 7) for t in (3, 4, 5, 6, 8) for c in (0.5, 1, 3, 7)]
    return [(w, t, c, run(nab, t, w, c)["normalised"]["ours"]) for w, t, c in grid]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nab", type=Path, default=Path(__file__).resolve().parents[1] / "tests" / "data" / "nab")
    parser.add_argument("--threshold", type=float, default=3.0, help="robust z threshold")
    parser.add_argument("--window-days", type=float, default=3.0, help="trailing window, in days of points")
    parser.add_argument("--cooldown-days", type=float, default=0.5, help="one detection per this many days")
    parser.add_argument("--sweep", action="store_true", help="print the normalised score over a grid of settings")
    args = parser.parse_args()
    if args.sweep:
        for w, t, c, score in sweep(args.nab):
            print(f"window {w:>4g} d  threshold {t:>2g}  cooldown {c:>3g} d  {score:6.1f}")
        return
    result = run(args.nab, args.threshold, args.window_days, args.cooldown_days)
    print(f"NAB standard profile, robust z-score threshold {args.threshold}, window {args.window_days:g} days, "
          f"cool-down {args.cooldown_days:g} days (raw per-file scores; TP/FP counts)")
    print(f"{'file':58s} {'win':>3s} {'OutcomeLens':>18s} " + " ".join(f"{d:>18s}" for d in PUBLISHED))
    for r in result["rows"]:
        cells = []
        for key in ("ours", *PUBLISHED):
            c = r[key]
            cells.append(f"{c['score']:7.3f} ({c['tp']}/{c['fp']:>3d})" if c else "-")
        print(f"{r['file']:58s} {r['windows']:>3d} " + " ".join(f"{c:>18s}" for c in cells))
    print(f"{'total raw':62s} " + " ".join(f"{result['raw'][k]:18.3f}" for k in ("ours", *PUBLISHED)))
    print(f"{'normalised over these files (0 = no detections, 100 = perfect)':62s} "
          + " ".join(f"{result['normalised'][k]:18.1f}" for k in ("ours", *PUBLISHED)))


if __name__ == "__main__":
    main()
