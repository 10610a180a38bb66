"""Power table of the shipped relative_change rule: drop size × daily volume → days until alerted.

Run: .venv/bin/python benchmarks/anomaly_power.py > benchmarks/results/anomaly_power.txt
Simulation in analytics/anomaly_power.py (25 % baseline conversion, binomial days, a drop lasting 14
days after 35 clean ones); 200 series per cell.
"""

from __future__ import annotations

import os
import platform
import time

from analytics.anomaly_power import days_until_alert, false_alerts_per_90_days
from analytics.config import load_anomaly_config

RATE = 0.25
VOLUMES = (10, 20, 40, 100, 200, 400, 1000)
DROPS = (0.1, 0.2, 0.3, 0.4, 0.5)
RUNS = 200


def _cell(rule, drop: float, volume: int) -> str:
    d = days_until_alert(rule, rate=RATE, drop=drop, volume=volume, runs=RUNS, seed=volume * 100 + int(drop * 100))
    median = "—" if d.median() == float("inf") else f"{d.median():g}"
    return f"{median} ({d.share_within(14):.0%})"


def main() -> None:
    started = time.time()
    rule = load_anomaly_config().metrics[0].rules[0]
    print(f"rule: {rule.params}")
    print(f"median days until alerted (share alerted within 14 days); {RUNS} series per cell, baseline {RATE:.0%}")
    print("drop \\ conversations/day " + "".join(f"{v:>12}" for v in VOLUMES))
    for drop in DROPS:
        print(f"{drop:>24.0%} " + "".join(f"{_cell(rule, drop, v):>12}" for v in VOLUMES))
    fa = "  ".join(
        f"{v}/day {false_alerts_per_90_days(rule, rate=RATE, volume=v, runs=100, seed=v):.2f}" for v in VOLUMES
    )
    print(f"false alerting days per 90 series-days on clean series (100 × 145 judged days each): {fa}")
    print(
        f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}; "
        f"{time.time() - started:.0f} s"
    )


if __name__ == "__main__":
    main()
