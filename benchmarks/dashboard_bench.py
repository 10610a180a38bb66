"""Dashboard benchmark: the overview page fully rendered in headless chromium.

"Fully rendered" (READY below): no Dash callback is loading; every widget card on the page has
drawn its content (its `.widget-ready` marker); every KPI tile shows a value; and every chart has
drawn its data: each `.js-plotly-plot` holds its traces (`el.data`), and each trace exists in the
chart's SVG with geometry (a bar, line or marker path). Timed from navigation start, each load a
fresh page. p50/p95 over N loads by one user, then N rounds of K users loading at once; each user
has its own token (its own `sub`, as Cube and the dashboard's answer reuse see people) and its own
browser context (warm HTTP cache, as a returning user's; `--cold`: a fresh context per load).

Before timing, one profiled load says what a page costs the server: the Dash callbacks the browser
made (and each one's time to first byte) and the Cube queries answered for it (rows Cube wrote to
ops.engagement_events for that load's user).

Usage (from the repository root, after `make setup`):

    # on this checkout's demo warehouse (after `make demo`, 50,000 conversations)
    .venv/bin/python benchmarks/dashboard_bench.py --loads 20 --users 5
    # a demo of its own size in its own data directory (built unless --skip-demo), e.g. 1M calls
    .venv/bin/python benchmarks/dashboard_bench.py --size 385000 --data-dir /tmp/ol-bench-1m
    # compare with another revision's dashboard (its `dashboard/` package, same Cube and data)
    git archive <rev> dashboard | tar -x -C /tmp/dash-rev && \\
        .venv/bin/python benchmarks/dashboard_bench.py --dashboard-root /tmp/dash-rev
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

READY = """() => {
  if (document.querySelector('[data-dash-is-loading="true"]')) return false;
  const cards = [...document.querySelectorAll('#page .card-body')];
  if (cards.length < 6 || !cards.every(c => c.querySelector('.widget-ready'))) return false;
  const tiles = [...document.querySelectorAll('#page .kpi')];
  if (!tiles.length || !tiles.every(t => (t.querySelector('.kpi-value')?.textContent || '').trim())) return false;
  const graphs = document.querySelectorAll('#page .dash-graph');
  const plots = [...document.querySelectorAll('#page .js-plotly-plot')];
  if (!plots.length || plots.length !== graphs.length) return false;
  return plots.every(gd => {
    const traces = (gd.data || []).filter(t => t.visible !== false);
    const drawn = [...gd.querySelectorAll('.main-svg .cartesianlayer .trace')];
    return traces.length > 0 && !!gd._fullLayout && drawn.length >= traces.length
      && drawn.every(g => [...g.querySelectorAll('path')].some(p => (p.getAttribute('d') || '').length > 2));
  });
}"""
# What the first load must show (product_manager on the demo data): else the timings mean nothing.
SHOWN = """() => ({
  charts: document.querySelectorAll('#page .js-plotly-plot').length,
  traces: [...document.querySelectorAll('#page .js-plotly-plot')].map(gd => gd.data.length),
  tiles: document.querySelectorAll('#page .kpi').length,
  empty_tiles: [...document.querySelectorAll('#page .kpi-value')].filter(v => v.textContent.trim() === '–').length,
  notices: [...document.querySelectorAll('#page .notice')].map(n => n.textContent.trim()),
})"""
# Steps of the load, ms from navigation start: HTML parsed, scripts run, the layout's, each script's and
# callback's end.
MARKS = """() => {
  const nav = performance.getEntriesByType('navigation')[0];
  const res = performance.getEntriesByType('resource');
  const end = pred => Math.round(Math.max(0, ...res.filter(pred).map(r => r.responseEnd)));
  return {
    dom_content_loaded: Math.round(nav.domContentLoadedEventEnd),
    scripts_fetched: end(r => r.initiatorType === 'script'),
    // the layout: since the page is drawn in it, preloaded as the HTML arrives (dashboard/app.py)
    layout_answered: end(r => r.name.endsWith('/_dash-layout')),
    first_callback_sent: Math.round(Math.min(...res.filter(r => r.name.includes('_dash-update-component'))
                                              .map(r => r.startTime))),
    last_callback_answered: end(r => r.name.includes('_dash-update-component')),
    ready: Math.round(performance.now()),
  };
}"""
URL = "/overview?range=1M"
ROLE = "product_manager"


def session_cookie(base_url: str, jwt: str) -> dict:
    import requests

    response = requests.post(base_url + "/signin", data={"token": jwt, "next": "/"}, allow_redirects=False,
                             timeout=60)
    response.raise_for_status()
    value = response.cookies["outcomelens_session"]
    return {"name": "outcomelens_session", "value": value, "url": base_url}


async def new_context(browser, cookie: dict):
    context = await browser.new_context(viewport={"width": 1440, "height": 1000})
    await context.add_cookies([cookie])
    return context


async def one_load(browser, url: str, cookie: dict, context=None) -> float:
    """One page load in `context` (its HTTP cache warm) or a fresh one (cold)."""
    own = context is None
    context = context or await new_context(browser, cookie)
    page = await context.new_page()
    started = time.perf_counter()
    await page.goto(url)
    await page.wait_for_function(READY, timeout=120_000, polling=20)
    elapsed = time.perf_counter() - started
    await page.close()
    if own:
        await context.close()
    return elapsed


async def profiled_load(browser, url: str, cookie: dict) -> dict:
    """One warm load with its Dash callbacks recorded (which outputs, time to first byte), the browser's
    main-thread work, the steps' times, and what it showed."""
    context = await new_context(browser, cookie)
    await one_load(browser, url, cookie, context)  # its cache warm, as for the timed loads
    page = await context.new_page()
    calls: list[dict] = []

    def finished(request):
        if "_dash-update-component" in request.url:
            body = json.loads(request.post_data or "{}")
            timing = request.timing
            calls.append({"output": str(body.get("output", ""))[:90],
                          "ttfb_ms": round(timing["responseStart"] - timing["requestStart"], 1),
                          "total_ms": round(timing["responseEnd"] - timing["startTime"], 1)
                          if timing["responseEnd"] > 0 else None})

    page.on("requestfinished", finished)
    cdp = await context.new_cdp_session(page)
    await cdp.send("Performance.enable")
    started = time.perf_counter()
    await page.goto(url)
    await page.wait_for_function(READY, timeout=120_000, polling=20)
    elapsed = time.perf_counter() - started
    shown = await page.evaluate(SHOWN)
    metrics = {m["name"]: m["value"] for m in (await cdp.send("Performance.getMetrics"))["metrics"]}
    marks = await page.evaluate(MARKS)
    await context.close()
    # Where the browser's time went (Chrome's own counters, seconds of main-thread work) and when the
    # page reached each step (ms from navigation start).
    work = {name: round(metrics.get(key, 0) * 1000) for name, key in (
        ("script_ms", "ScriptDuration"), ("layout_ms", "LayoutDuration"), ("style_ms", "RecalcStyleDuration"),
        ("all_tasks_ms", "TaskDuration"))}
    return {"elapsed_ms": round(elapsed * 1000), "callbacks": calls, "shown": shown, "main_thread": work,
            "marks_ms": marks}


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[max(0, int(round(0.95 * len(ordered))) - 1)]


async def run(base_url: str, cookies: list[dict], profile_cookie: dict, loads: int, cold: bool,
              count_queries) -> dict:
    from playwright.async_api import async_playwright

    from tests.e2e.stack import CHROMIUM, CHROMIUM_ARGS

    url = base_url + URL
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        await one_load(browser, url, profile_cookie)  # warm-up: Cube compiles, rollups, the server's caches
        before = count_queries()
        profile = await profiled_load(browser, url, profile_cookie)
        profile["cube_queries"] = count_queries(after=before)
        # Cold: every load in a fresh context (first visit: ~5 MB of Dash and plotly scripts);
        # warm: each user keeps one context, as a returning user's browser cache does.
        people = [None if cold else await new_context(browser, c) for c in cookies]
        for person, cookie in zip(people, cookies):
            await one_load(browser, url, cookie, person)  # each user's first visit, not timed
        alone = [await one_load(browser, url, cookies[0], people[0]) for _ in range(loads)]
        together: list[float] = []
        for _ in range(loads):
            together += await asyncio.gather(*(one_load(browser, url, c, p) for c, p in zip(cookies, people)))
        result = {"alone": alone, "together": together, "profile": profile, "chromium": browser.version}
        await browser.close()
    return result


def engagement_counter(warehouse, sub: str):
    """Rows Cube recorded in ops.engagement_events for `sub`: one per query it answered."""
    def count(after: int | None = None) -> int:
        if after is not None:
            time.sleep(2.0)  # Cube writes them after answering
        with warehouse.connection() as conn, conn.cursor() as cur:
            cur.execute("select count(*) from ops.engagement_events where user_sub = %s", (sub,))
            total = cur.fetchone()[0]
        return total - after if after is not None else total
    return count


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "?"


def build_demo(size: int) -> float:
    from outcomelens.core import cube_server

    started = time.monotonic()
    result = subprocess.run([str(ROOT / ".venv" / "bin" / "outcomelens"), "demo", "--size", str(size),
                             "--cube-port", str(cube_server.free_port())],
                            env={**os.environ, "COLUMNS": "200"}, capture_output=True, text=True)
    if result.returncode != 0:
        raise SystemExit(f"demo failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}")
    return time.monotonic() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--loads", type=int, default=20)
    parser.add_argument("--users", type=int, default=5)
    parser.add_argument("--cache-ttl", type=float, default=0.0,
                        help="the dashboard's answer reuse (0, the default here: every load asks Cube again)")
    parser.add_argument("--cold", action="store_true", help="a fresh browser context per load")
    parser.add_argument("--data-dir", type=Path,
                        help="an OUTCOMELENS_DATA_DIR of its own (default: this checkout's, after `make demo`)")
    parser.add_argument("--size", type=int, help="with --data-dir: build a demo of this many conversations first")
    parser.add_argument("--skip-demo", action="store_true", help="with --data-dir: its demo is already built")
    parser.add_argument("--keep-running", action="store_true",
                        help="with --data-dir: leave its embedded Postgres running afterwards")
    parser.add_argument("--dashboard-root", type=Path, default=ROOT,
                        help="start `python -m dashboard` here (another revision's dashboard/ to compare)")
    parser.add_argument("--out", type=Path, help="write the figures as JSON here too")
    args = parser.parse_args()
    if args.data_dir:
        os.environ["OUTCOMELENS_DATA_DIR"] = str(args.data_dir.resolve())
        os.environ.pop("OUTCOMELENS_WAREHOUSE_URL", None)
    if args.size and not args.data_dir:
        parser.error("--size builds a demo in --data-dir; give one (the checkout's own: `make demo`)")
    demo_s = build_demo(args.size) if args.size and not args.skip_demo else None

    from outcomelens.core.tokens import mint_token
    from outcomelens.core.warehouse import ensure_warehouse
    from tests.e2e.stack import Dashboard, demo_cube

    def token(role: str, secret: str, sub: str) -> str:
        return mint_token(role, secret, ttl_s=4 * 3600, sub=sub)

    load_before = os.getloadavg()
    logs = Path(tempfile.mkdtemp(prefix="dashboard-bench-"))
    cube, secret = demo_cube(logs / "cube.log")
    dashboard = Dashboard(cube.api_url, logs / "dashboard.log", cache_ttl_s=args.cache_ttl, root=args.dashboard_root)
    try:
        cookies = [session_cookie(dashboard.url, token(ROLE, secret, sub=f"bench:user-{i}"))
                   for i in range(args.users)]
        profile_sub = f"bench:profile-{os.getpid()}-{int(time.time())}"
        profile_cookie = session_cookie(dashboard.url, token(ROLE, secret, sub=profile_sub))
        result = asyncio.run(run(dashboard.url, cookies, profile_cookie, args.loads, args.cold,
                                 engagement_counter(ensure_warehouse(), profile_sub)))
    finally:
        dashboard.stop()
        cube.stop()
        if args.data_dir and not args.keep_running:
            subprocess.run([str(ROOT / ".venv" / "bin" / "outcomelens"), "down"], capture_output=True)
    load_after = os.getloadavg()
    report(args, result, demo_s, load_before, load_after, logs)


def report(args, result: dict, demo_s, load_before, load_after, logs: Path) -> None:
    profile = result["profile"]
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores ({cpu_model()}), {platform.platform()}, "
          f"chromium {result['chromium']}")
    print(f"data: {args.data_dir or 'this checkout'}" + (f", demo built in {demo_s:.0f} s" if demo_s else ""))
    print(f"dashboard: {args.dashboard_root}; answer reuse {args.cache_ttl:g} s; browser cache "
          f"{'cold' if args.cold else 'warm'}; overview {URL}, role {ROLE}")
    print(f"load average (1 min) before {load_before[0]:.1f}, after {load_after[0]:.1f}; logs {logs}")
    print(f"profiled load: {profile['elapsed_ms']} ms, {len(profile['callbacks'])} Dash callbacks, "
          f"{profile['cube_queries']} Cube queries; shown: {profile['shown']}")
    print(f"  browser main thread: {profile['main_thread']}; steps (ms from navigation): {profile['marks_ms']}")
    for call in sorted(profile["callbacks"], key=lambda c: -c["ttfb_ms"]):
        print(f"  callback {call['ttfb_ms']:>7.1f} ms to first byte  {call['output']}")
    figures = {}
    for name, values in (("1 user", result["alone"]), (f"{args.users} users at once", result["together"])):
        figures[name] = {"n": len(values), "p50_ms": round(statistics.median(values) * 1000),
                         "p95_ms": round(p95(values) * 1000), "max_ms": round(max(values) * 1000)}
        f = figures[name]
        print(f"{name}: n={f['n']} p50 {f['p50_ms']} ms, p95 {f['p95_ms']} ms, max {f['max_ms']} ms")
    if args.out:
        args.out.write_text(json.dumps({"figures": figures, "profile": profile, "load_before": load_before,
                                        "load_after": load_after, "cache_ttl_s": args.cache_ttl,
                                        "cold": args.cold, "data_dir": str(args.data_dir or ""),
                                        "chromium": result["chromium"]}, indent=2) + "\n")


if __name__ == "__main__":
    main()
