"""A/A experiments peeked at every day: false-positive rates of the fixed-horizon 95 % interval and of
the always-valid one (analytics/experiment_stats.py). Both arms convert at the same rate, so every
'significant' look is a false positive; an experiment counts once, at its first.

Run: .venv/bin/python benchmarks/experiment_peeking.py > benchmarks/results/experiment_peeking.txt
"""

from __future__ import annotations

import os
import platform
import time

from analytics.experiment_stats import aa_peeking_false_positive_rates

SCENARIOS = (  # (experiments, days peeked, conversations per arm per day, conversion rate)
    (1000, 28, 100, 0.20),
    (10000, 28, 100, 0.20),
    (10000, 28, 500, 0.05),
    (10000, 56, 50, 0.25),
    (10000, 14, 2000, 0.10),
)


def main() -> None:
    started = time.time()
    print(
        f"{'experiments':>11} {'days':>5} {'per arm/day':>11} {'rate':>5}  {'fixed-horizon FPR':>17}  {'always-valid FPR':>16}"
    )
    for experiments, days, per_day, rate in SCENARIOS:
        r = aa_peeking_false_positive_rates(
            experiments=experiments, days=days, daily_per_arm=per_day, rate=rate, seed=days
        )
        print(
            f"{experiments:>11} {days:>5} {per_day:>11} {rate:>5.2f}  {r.fixed_horizon:>17.3f}  {r.always_valid:>16.3f}"
        )
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}; {time.time() - started:.1f} s"
    )


if __name__ == "__main__":
    main()
