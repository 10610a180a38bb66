"""Dashboard benchmark: the overview page fully rendered in headless chromium.

"Fully rendered" = every widget card on the overview has drawn its content (the `.widget-ready`
marker each widget renders with its data), the trend chart's SVG is on the page and no Dash
callback is still loading. Each load is a fresh page in a browser context that already holds a
session cookie, timed from navigation start. p50/p95 over N loads with one user, then with K
users loading at once (N rounds of K concurrent loads).

Needs `make demo` first (it reads this checkout's demo warehouse through its own Cube on a free
port). Usage:
    .venv/bin/python benchmarks/dashboard_bench.py [--loads 20] [--users 5] [--cache-ttl 0]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.e2e.stack import CHROMIUM, CHROMIUM_ARGS, Dashboard, demo_cube, token  # noqa: E402

READY = """() => {
  const cards = document.querySelectorAll('.card-body');
  return cards.length >= 5 && [...cards].every(c => c.querySelector('.widget-ready'))
    && !!document.querySelector('#trend-graph .main-svg')
    && !document.querySelector('[data-dash-is-loading="true"]');
}"""


def session_cookie(base_url: str, jwt: str) -> dict:
    response = requests.post(base_url + "/signin", data={"token": jwt, "next": "/"}, allow_redirects=False)
    response.raise_for_status()
    value = response.cookies["outcomelens_session"]
    return {"name": "outcomelens_session", "value": value, "url": base_url}


async def new_user(browser, cookie: dict):
    context = await browser.new_context(viewport={"width": 1440, "height": 1000})
    await context.add_cookies([cookie])
    return context


async def one_load(browser, url: str, cookie: dict, user=None) -> float:
    """One page load; in `user`'s browser context (its HTTP cache warm) or a fresh one (cold)."""
    context = user or await new_user(browser, cookie)
    page = await context.new_page()
    started = time.perf_counter()
    await page.goto(url)
    await page.wait_for_function(READY, timeout=60_000, polling=20)
    elapsed = time.perf_counter() - started
    await page.close()
    if user is None:
        await context.close()
    return elapsed


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[max(0, int(round(0.95 * len(ordered))) - 1)]


async def run(base_url: str, cookie: dict, loads: int, users: int, cold: bool) -> dict:
    from playwright.async_api import async_playwright

    url = base_url + "/overview?range=1M"
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        # Cold: every load in a fresh context (first visit: 5 MB of Dash and plotly scripts);
        # warm: each user keeps one context, as a returning user's browser cache does.
        people = [None] * users if cold else [await new_user(browser, cookie) for _ in range(users)]
        await one_load(browser, url, cookie, people[0])  # warm-up: Cube compiles, rollups
        alone = [await one_load(browser, url, cookie, people[0]) for _ in range(loads)]
        together: list[float] = []
        for _ in range(loads):
            together += await asyncio.gather(*(one_load(browser, url, cookie, p) for p in people))
        await browser.close()
    return {"alone": alone, "together": together}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--loads", type=int, default=20)
    parser.add_argument("--users", type=int, default=5)
    parser.add_argument("--cache-ttl", type=float, default=0.0,
                        help="the dashboard's answer reuse (0: every load asks Cube again)")
    parser.add_argument("--cold", action="store_true", help="a fresh browser context per load")
    args = parser.parse_args()
    logs = Path(tempfile.mkdtemp(prefix="dashboard-bench-"))
    cube, secret = demo_cube(logs / "cube.log")
    dashboard = Dashboard(cube.api_url, logs / "dashboard.log", cache_ttl_s=args.cache_ttl)
    try:
        cookie = session_cookie(dashboard.url, token("product_manager", secret))
        result = asyncio.run(run(dashboard.url, cookie, args.loads, args.users, args.cold))
    finally:
        dashboard.stop()
        cube.stop()
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, {platform.platform()}")
    print(f"dashboard answer reuse: {args.cache_ttl:g} s; browser cache: {'cold' if args.cold else 'warm'}; "
          f"overview, range 1M, role product_manager; load average {os.getloadavg()[0]:.1f}")
    for name, values in (("1 user", result["alone"]), (f"{args.users} users at once", result["together"])):
        print(f"{name}: n={len(values)} p50 {statistics.median(values) * 1000:.0f} ms, "
              f"p95 {p95(values) * 1000:.0f} ms, max {max(values) * 1000:.0f} ms")


if __name__ == "__main__":
    main()
