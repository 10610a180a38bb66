"""The dashboard end to end: real chromium, the real dashboard process, a real Cube over the
synthetic world of tests/integration/cube_fixtures.py. Every figure the page shows is checked
against Cube's own REST answer for the same query and, where it is simple, against the rows the
world was built from."""

from __future__ import annotations

import csv
import datetime as dt
import io
import subprocess

import pytest

from tests.e2e.conftest import _chromium_missing
from tests.e2e.helpers import (
    ANCHOR,
    click_bar,
    count_colour,
    cube_rows,
    days,
    select_option,
    sign_in,
    truth_conversion,
    url_query,
    wait_kpi,
)

pytestmark = pytest.mark.skipif(_chromium_missing(), reason="chromium is not installed")

OV = "outcomes_overview"
LAST_30 = (ANCHOR - dt.timedelta(days=29), ANCHOR)  # the default range, 1M
LAST_7 = (ANCHOR - dt.timedelta(days=6), ANCHOR)


def conversion_from_cube(cube, token, date_range, filters=()):
    query = {"measures": [f"{OV}.conversion_rate"], "filters": list(filters),
             "timeDimensions": [{"dimension": f"{OV}.date_day", "dateRange": days(*date_range)}]}
    return cube_rows(cube, query, token)[0][f"{OV}.conversion_rate"]


def test_sign_in_and_overview_kpi_equals_cube(dashboard, cube, world, new_page, tokens, artifacts_dir):
    page = new_page()
    sign_in(page, dashboard.url, tokens("product_manager"))
    value = wait_kpi(page)
    expected = conversion_from_cube(cube, tokens("product_manager"), LAST_30)
    assert float(value) == pytest.approx(float(expected), abs=1e-12)
    assert float(value) == pytest.approx(truth_conversion(world, *LAST_30), abs=1e-9)
    assert page.inner_text("#kpi-conversion_rate .kpi-value") == f"{float(expected) * 100:.1f}%"
    # Every KPI tile is there for a product manager, each with its change to the previous period.
    for name in ("average_order_value", "revenue", "csat", "resolution_time_mean_s", "latency_p95_ms",
                 "deflection_rate", "escalation_rate", "thumbs_up_rate", "cost_per_conversion"):
        assert page.inner_text(f"#kpi-{name} .kpi-change").endswith("vs previous period")
    assert "Role: product_manager" in page.inner_text("#who")
    page.wait_for_selector("#trend-graph .main-svg")
    page.screenshot(path=artifacts_dir / "overview-desktop-1440.png", full_page=True)


def test_time_range_and_filter_change_every_widget(dashboard, cube, world, new_page, tokens):
    page, pm = new_page(), tokens("product_manager")
    sign_in(page, dashboard.url, pm)
    wait_kpi(page)
    page.click("label:has-text('7D')")
    page.wait_for_function("() => location.search.includes('range=7D')")
    page.wait_for_function(f"""() => document.querySelector('#filters-summary').innerText
                           .includes('{LAST_7[0].isoformat()}')""")
    expected = conversion_from_cube(cube, pm, LAST_7)
    page.wait_for_function(f"""() => document.querySelector('#kpi-conversion_rate')
                           .dataset.value === '{expected}'""")
    assert float(expected) == pytest.approx(truth_conversion(world, *LAST_7), abs=1e-9)

    select_option(page, "intent", "buy")
    page.wait_for_function("() => location.search.includes('intent=buy')")
    buy = conversion_from_cube(cube, pm, LAST_7, [{"member": f"{OV}.intent", "operator": "equals", "values": ["buy"]}])
    page.wait_for_function(f"() => document.querySelector('#kpi-conversion_rate').dataset.value === '{buy}'")
    assert float(buy) == pytest.approx(truth_conversion(world, *LAST_7, intent="buy"), abs=1e-9)
    assert "Intent: buy" in page.inner_text("#filters-summary")


def test_clicking_a_bar_cross_filters_the_page(dashboard, cube, world, new_page, tokens):
    page, pm = new_page(), tokens("product_manager")
    sign_in(page, dashboard.url, pm)
    wait_kpi(page)
    click_bar(page, """[id='{"key":"version","n":"overview.by_version","type":"xfilter"}']""")
    page.wait_for_function("() => location.search.includes('version=')")
    version = url_query(page)["version"][0]
    assert version in {c["prompt_version"] for c in world["conversations"]}
    expected = conversion_from_cube(cube, pm, LAST_30, [{"member": f"{OV}.prompt_version", "operator": "equals",
                                                          "values": [version]}])
    page.wait_for_function(f"() => document.querySelector('#kpi-conversion_rate').dataset.value === '{expected}'")
    assert float(expected) == pytest.approx(truth_conversion(world, *LAST_30, prompt_version=version), abs=1e-9)
    assert f"Prompt version: {version}" in page.inner_text("#filters-summary")


def test_drill_down_to_one_conversations_llm_calls(dashboard, world, new_page, tokens, artifacts_dir):
    page = new_page()
    sign_in(page, dashboard.url, tokens("admin"), "/drilldown")
    graph = """[id='{"key":"%s","n":"drilldown.level","type":"xfilter"}']"""
    for level in ("experiment", "capability", "action", "intent"):
        click_bar(page, graph % level)
        page.wait_for_function(f"() => location.search.includes('{level}=')")
    chosen = {k: v[0] for k, v in url_query(page).items() if k in ("experiment", "capability", "action", "intent")}
    page.wait_for_function("() => document.querySelector('#crumbs').innerText.includes('Intent:')")
    expected = [c for c in world["conversations"] if c["experiment_id"] == chosen["experiment"]
                and c["capability"] == chosen["capability"] and c["action"] == chosen["action"]
                and c["intent"] == chosen["intent"] and LAST_30[0] <= c["date_day"] <= LAST_30[1]]
    page.wait_for_function(f"() => document.querySelector('#conversation-count')?.dataset.count === '{len(expected)}'")
    page.wait_for_selector(".ag-row .ag-cell")
    page.locator(".ag-row[row-index='0'] .ag-cell").first.click()
    page.wait_for_function("() => location.search.includes('conv=')")
    conv = url_query(page)["conv"][0]
    page.wait_for_selector("#calls-grid .ag-row")
    truth_calls = sorted(c["event_id"] for c in world["calls"] if c["conversation_id"] == conv)
    shown = sorted(page.locator("#calls-grid .ag-row [col-id='call_event_id']").all_inner_texts())
    assert shown == truth_calls
    occurred = page.locator("#calls-grid .ag-row [col-id='call_occurred_at']").first.inner_text()
    assert len(occurred.split(".")[-1]) == 3  # milliseconds
    row = next(c for c in world["conversations"] if c["conversation_id"] == conv)
    attribution = page.inner_text("#attribution")
    assert (f"Credited deal {row['deal_id']}" in attribution) if row["converted"] else attribution.startswith("No deal")
    page.screenshot(path=artifacts_dir / "conversation-desktop-1440.png", full_page=True)


def test_csv_export_holds_cubes_rows(dashboard, cube, new_page, tokens):
    page, pm = new_page(), tokens("product_manager")
    sign_in(page, dashboard.url, pm, "/overview?range=7D")
    wait_kpi(page)
    link = """[id='{"type":"csv","widget":"overview.by_intent"}']"""
    page.wait_for_function(f"""() => document.querySelector(`{link}`).href.includes('range=7D')""")
    with page.expect_download() as download:
        page.click(link)
    exported = list(csv.DictReader(io.StringIO(open(download.value.path()).read())))
    query = {"measures": [f"{OV}.conversion_rate", f"{OV}.conversations", f"{OV}.revenue"],
             "dimensions": [f"{OV}.intent"], "order": {f"{OV}.conversations": "desc"},
             "timeDimensions": [{"dimension": f"{OV}.date_day", "dateRange": days(*LAST_7)}]}
    expected = cube_rows(cube, query, pm)
    assert len(exported) == len(expected) == 3
    assert {r[f"{OV}.intent"]: (r[f"{OV}.conversion_rate"], r[f"{OV}.conversations"]) for r in exported} == \
        {r[f"{OV}.intent"]: (str(r[f"{OV}.conversion_rate"]), str(r[f"{OV}.conversations"])) for r in expected}


def test_pdf_report_has_the_chart_and_the_filters(dashboard, new_page, tokens, artifacts_dir, tmp_path):
    page = new_page()
    sign_in(page, dashboard.url, tokens("product_manager"), "/overview?range=7D&intent=buy")
    wait_kpi(page)
    page.wait_for_function("() => document.querySelector('#pdf-link').href.includes('intent=buy')")
    with page.expect_download(timeout=120_000) as download:
        page.click("#pdf-link")
    pdf = artifacts_dir / "overview-report.pdf"
    download.value.save_as(pdf)
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    assert f"Range: 7D ({LAST_7[0].isoformat()} – {LAST_7[1].isoformat()})" in text
    assert "Intent: buy" in text and "Generated" in text and "Conversion by intent" in text
    for old in artifacts_dir.glob("report-*.png"):
        old.unlink()
    subprocess.run(["pdftoppm", "-png", "-r", "80", str(pdf), str(artifacts_dir / "report")], check=True)
    pages = sorted(artifacts_dir.glob("report-*.png"))
    assert len(pages) >= 2
    # The conversion line of the trend chart is drawn in the second series colour (#ffc857),
    # which nothing else on the overview uses as a large area.
    assert sum(count_colour(p, (255, 200, 87), tolerance=25) for p in pages) > 150


def test_shared_link_restores_the_filters_in_a_fresh_context(dashboard, new_page, tokens):
    first = new_page()
    sign_in(first, dashboard.url, tokens("product_manager"), "/experiments?range=3M&intent=buy,browse&model=gpt-4o-mini")
    first.wait_for_selector("#arms-grid .ag-row")
    shared = first.url
    summary = first.inner_text("#filters-summary")
    fresh = new_page()  # a new browser context: no cookie, no storage
    fresh.goto(shared)
    assert "/signin" in fresh.url
    fresh.fill("#token", tokens("prompt_engineer"))
    fresh.click("#signin-submit")
    fresh.wait_for_selector("#arms-grid .ag-row")
    assert fresh.url == shared
    assert fresh.inner_text("#filters-summary") == summary
    assert "Intent: buy, browse" in summary and "Model: gpt-4o-mini" in summary
    assert fresh.is_checked("input[value='3M']")
    models = fresh.locator("#arms-grid .ag-row [col-id='experiments.prompt_version']").all_inner_texts()
    assert set(models) == {"sales_agent.v1"}  # gpt-4o-mini serves only the control arm


def test_enablement_cannot_reach_the_drill_down(dashboard, new_page, tokens):
    page = new_page()
    sign_in(page, dashboard.url, tokens("enablement"), "/drilldown")
    reason = page.wait_for_selector("#forbidden-reason").inner_text()
    assert "operations_drilldown" in reason and "enablement" in reason
    page.wait_for_selector("#nav .nav-link")
    assert "Drill-down" not in page.inner_text("#nav")
    # Its overview reads standard_reports and says what it lacks instead of showing broken tiles.
    page.click("#nav >> text=Overview")
    wait_kpi(page)
    assert "Latency p95" in page.inner_text(".card-note") and "Cost per conversion" in page.inner_text(".card-note")


def test_tablet_width_and_desktop_screenshots(dashboard, new_page, tokens, artifacts_dir):
    for width, height in ((1440, 1000), (820, 1180)):
        page = new_page(width, height)
        sign_in(page, dashboard.url, tokens("admin"))
        wait_kpi(page)
        page.wait_for_selector("#trend-graph .main-svg")
        overflow = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"horizontal overflow of {overflow}px at {width}px"
        for path in ("/overview", "/experiments", "/prompts", "/drilldown", "/anomalies"):
            page.goto(dashboard.url + path)
            page.wait_for_selector(".card .widget-ready", state="attached")
            page.wait_for_timeout(500)
            page.screenshot(path=artifacts_dir / f"{path.strip('/')}-{width}.png", full_page=True)
