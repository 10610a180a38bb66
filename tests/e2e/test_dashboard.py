"""The dashboard end to end: real chromium, the real dashboard process, a real Cube over the
synthetic world of tests/integration/cube_fixtures.py. Every figure the page shows is checked
against Cube's own REST answer for the same query and, where it is simple, against the rows the
world was built from."""

from __future__ import annotations

import csv
import datetime as dt
import io
import subprocess
import time
from urllib.parse import urlparse

import pytest
import requests

from tests.e2e.conftest import _chromium_missing
from tests.e2e.helpers import (
    ANCHOR,
    choose,
    click_bar,
    count_colour,
    cube_rows,
    days,
    paste_token,
    select_option,
    sign_in,
    sign_in_with_password,
    truth_conversion,
    url_query,
    wait_kpi,
)
from tests.integration.support import query

pytestmark = pytest.mark.skipif(_chromium_missing(), reason="chromium is not installed")

OV = "outcomes_overview"
DV = "operations_drilldown"
REASON_WORDS = {"no_contact": "no CRM contact matched", "outside_window": "outside this conversation's attribution window",
                "credited_to_later_conversation": "credited to a later conversation",
                "no_deal": "the contact has no closed-won deal"}
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
    assert page.is_hidden("#conversations-link")  # a product manager has no drill-down


def test_drill_down_to_one_conversations_llm_calls(dashboard, world, new_page, tokens, artifacts_dir):
    page = new_page()
    sign_in(page, dashboard.url, tokens("admin"), "/overview?range=1M")
    wait_kpi(page)
    page.click("#conversations-link")  # the conversations behind the overview's figures
    page.wait_for_function("() => location.pathname === '/drilldown' && location.search.includes('range=1M')")
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
    assert (f"Credited deal {row['deal_id']}" in attribution) if row["converted"] else \
        REASON_WORDS[row["attribution_reason"]] in attribution
    page.screenshot(path=artifacts_dir / "conversation-desktop-1440.png", full_page=True)
    # The audit sample (the list's CSV): every conversation under the path with its credited deal
    # or the reason it has none, as the world has them.
    query = "?" + urlparse(page.url).query.replace(f"conv={conv}", "")
    sample = list(csv.DictReader(io.StringIO(page.request.get(
        f"{dashboard.url}/export/csv/drilldown.conversations{query}").text())))
    assert sorted((r[f"{DV}.conversation_id"], r[f"{DV}.deal_id"], r[f"{DV}.attribution_reason"]) for r in sample) == \
        sorted((c["conversation_id"], c["deal_id"] or "", c["attribution_reason"]) for c in expected)
    assert {r[f"{DV}.attribution_reason"] for r in sample} - {"credited"}  # not only credited ones


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
    paste_token(fresh, tokens("prompt_engineer"))
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
    assert "Drill-down" not in page.inner_text("#nav") and "Admin" not in page.inner_text("#nav")
    page.goto(dashboard.url + "/admin")
    assert "for the admin role" in page.wait_for_selector("#forbidden-reason").inner_text()
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


def test_outcome_metric_type_filter(dashboard, cube, world, new_page, tokens):
    page, pm = new_page(), tokens("product_manager")
    sign_in(page, dashboard.url, pm)
    wait_kpi(page)
    select_option(page, "mtype", "nps")
    page.wait_for_function("() => location.search.includes('mtype=nps')")
    page.wait_for_function("() => document.querySelector('#filters-summary').innerText.includes('Outcome metric type: nps')")
    # The outcome-record widget follows it, checked against Cube and the world's rows ...
    exported = list(csv.DictReader(io.StringIO(page.request.get(
        f"{dashboard.url}/export/csv/overview.outcome_metrics?{urlparse(page.url).query}").text())))
    nps = [m["metric_value"] for m in world["outcome_metrics"] if m["metric_name"] == "nps"
           and LAST_30[0] <= m["date_day"] <= LAST_30[1]]
    assert [(r[f"{OV}.outcome_metric_name"], int(r[f"{OV}.outcome_events"])) for r in exported] == [("nps", len(nps))]
    assert float(exported[0][f"{OV}.outcome_value_mean"]) == pytest.approx(sum(nps) / len(nps))
    cube_mean = cube_rows(cube, {"measures": [f"{OV}.outcome_value_mean"], "filters": [
        {"member": f"{OV}.outcome_metric_name", "operator": "equals", "values": ["nps"]}], "timeDimensions": [
        {"dimension": f"{OV}.outcome_date_day", "dateRange": days(*LAST_30)}]}, pm)[0][f"{OV}.outcome_value_mean"]
    assert float(cube_mean) == float(exported[0][f"{OV}.outcome_value_mean"])
    # ... and the per-conversation widgets say they cannot, instead of showing unfiltered figures.
    page.wait_for_function("""() => document.querySelector('#w-overview-trend').innerText
                           .includes('cannot follow the outcome metric type filter')""")


GOVERNANCE = {"ingestion-keys": "/v1/governance/ingestion-keys", "provider-keys": "/v1/governance/provider-keys",
              "alert-channels": "/v1/governance/alert-channels", "hubspot": "/v1/governance/hubspot",
              "rules": "/v1/governance/rules"}


def test_admin_manages_users_and_reads_the_audit_log(dashboard, accounts, cube, warehouse, new_page, tokens,
                                                    artifacts_dir):
    api = accounts["url"]
    admin = {"Authorization": "Bearer " + requests.post(f"{api}/v1/auth/login", timeout=10, json={
        "email": accounts["email"], "password": accounts["password"]}).json()["access_token"]}
    users = lambda: {u["email"]: u for u in requests.get(f"{api}/v1/users", headers=admin, timeout=10).json()}  # noqa: E731
    page = new_page()
    sign_in_with_password(page, dashboard.url, accounts["email"], accounts["password"], "/admin")
    page.wait_for_selector("#admin-users-grid .ag-row")
    assert accounts["email"] in page.inner_text("#admin-users-grid")
    assert "Admin" in page.inner_text("#nav")

    email = "pm-e2e@example.com"
    page.fill("#admin-user-email", email)
    page.fill("#admin-user-name", "PM from the e2e test")
    choose(page, "admin-user-role", "product_manager")
    page.click("#admin-user-add")
    page.wait_for_function("() => document.querySelector('#admin-message').innerText.includes('One-time password')")
    assert users()[email]["role"] == "product_manager"
    page.wait_for_function(f"() => document.querySelector('#admin-users-grid').innerText.includes('{email}')")

    choose(page, "admin-target", email)
    choose(page, "admin-target-role", "prompt_engineer")
    page.click("#admin-set-role")
    page.wait_for_function("() => document.querySelector('#admin-message').innerText.startsWith('Role set')")
    assert users()[email]["role"] == "prompt_engineer"
    page.click("#admin-disable")
    page.wait_for_function("() => document.querySelector('#admin-message').innerText.startsWith('User disabled')")
    assert users()[email]["status"] == "disabled"

    # The audit log shows the three changes, made by the signed-in admin (newest first).
    page.wait_for_function("() => document.querySelector('#admin-audit-grid').innerText.includes('user.disable')")
    logged = requests.get(f"{api}/v1/audit", headers=admin, timeout=10).json()
    mine = [e["action"] for e in logged if e["target"] == users()[email]["user_id"]]
    assert mine == ["user.disable", "user.set_role", "user.add"]
    audit_text = page.inner_text("#admin-audit-grid")
    assert all(action in audit_text for action in mine)
    # Governance endpoints this accounts service lacks say so; the others show what they answer.
    for key, path in GOVERNANCE.items():
        text = page.inner_text(f"#admin-{key}")
        if requests.get(api + path, headers=admin, timeout=10).status_code == 404:
            assert f"Not available: this accounts service has no {path}" in text
        else:
            assert text.strip()
    # Engagement by role is read from the semantic layer's engagement view, where there is one.
    views = {c["name"] for c in requests.get(f"{cube.api_url}/v1/meta", timeout=30, headers={
        "Authorization": f"Bearer {tokens('admin')}"}).json()["cubes"]}
    page.wait_for_selector("#w-admin-engagement .widget-ready", state="attached")
    engagement = page.inner_text("#w-admin-engagement")
    if "engagement" in views:
        assert "refused" not in engagement, engagement  # answered: a grid by role, or no events yet
    else:
        assert "Not available: the semantic layer has no engagement view yet." in engagement
    for width, height in ((1440, 1000), (820, 1180)):
        page.set_viewport_size({"width": width, "height": height})
        page.wait_for_timeout(300)
        page.screenshot(path=artifacts_dir / f"admin-{width}.png", full_page=True)

    # Every page view is reported to the engagement record; where the accounts service does not
    # have it yet, the page rendered all the same and the dashboard logged why nothing was sent.
    page.goto(dashboard.url + "/overview")
    wait_kpi(page)
    recorded = query(warehouse, "select to_regclass('ops.engagement_events') is not null")[0][0]
    sql = "select count(*) from ops.engagement_events where page = 'overview' and role = 'admin'"
    log = artifacts_dir / "dashboard.log"
    deadline = time.monotonic() + 10  # sent from a background thread after the page is answered
    while not (query(warehouse, sql)[0][0] if recorded else "engagement record not sent for overview" in log.read_text()):
        assert time.monotonic() < deadline, "the page view was neither recorded nor reported as not sent"
        time.sleep(0.2)


def test_saved_views_live_on_the_server_and_say_why_a_role_cannot_open_one(dashboard, accounts, new_page, tokens):
    page, name = new_page(), "Team drill-down e2e"
    sign_in(page, dashboard.url, tokens("admin"), "/drilldown?range=7D")
    page.wait_for_selector(".card .widget-ready", state="attached")
    page.fill("#view-name", name)
    page.check("#view-shared input")
    page.click("#save-view")
    page.wait_for_function("() => document.querySelector('#saved-view-message').innerText.includes('shared with the team')")
    # Kept by the accounts API for this user (the token's subject), nothing of it in the browser.
    listed = requests.get(f"{accounts['url']}/v1/saved-views", timeout=10,
                          headers={"Authorization": f"Bearer {tokens('admin')}"}).json()
    [saved] = [v for v in listed if v["name"] == name]
    assert saved["href"].startswith("/drilldown?range=7D") and saved["shared"] and saved["owner"] == "dev:admin"
    assert page.evaluate("() => Object.keys(localStorage).filter(k => k.includes('saved-views')).length") == 0
    # "Schedule this view": weekly to a Slack channel (an admin set the bot token), listed, deleted.
    admin_api = {"Authorization": "Bearer " + requests.post(f"{accounts['url']}/v1/auth/login", timeout=10, json={
        "email": accounts["email"], "password": accounts["password"]}).json()["access_token"]}
    assert requests.put(f"{accounts['url']}/v1/governance/slack", headers=admin_api, timeout=10,
                        json={"bot_token": "xoxb-e2e-dashboard-token"}).status_code == 200
    choose(page, "saved-views-menu", name)
    page.click("#schedule-panel summary")
    choose(page, "schedule-weekday", "Tuesday")
    choose(page, "schedule-hour", "08:00 UTC")
    choose(page, "schedule-destination", "A Slack channel")
    page.fill("#schedule-slack-channel", "C0DASHBOARD1")
    page.click("#schedule-create")
    page.wait_for_function("() => document.querySelector('#schedule-message').innerText.includes('next report')")
    assert "T08:00" not in page.inner_text("#schedule-message")  # shown as "YYYY-MM-DD 08:00 UTC"
    mine = lambda: [s for s in requests.get(f"{accounts['url']}/v1/report-schedules", timeout=10, headers={  # noqa: E731
        "Authorization": f"Bearer {tokens('admin')}"}).json() if s["view_id"] == saved["id"]]
    [made] = mine()
    assert (made["frequency"], made["weekday"], made["hour"]) == ("weekly", "tuesday", 8)
    assert made["destination"] == {"kind": "slack", "name": "C0DASHBOARD1"}
    assert "every Tuesday at 08:00 UTC to slack C0DASHBOARD1" in page.inner_text("#schedule-list")
    page.click("#schedule-list button")
    page.wait_for_function("() => document.querySelector('#schedule-message').innerText.includes('deleted')")
    assert mine() == []
    # Another role, in a fresh browser: the team's view is in its menu, marked; opened, the page says why.
    other = new_page()
    sign_in(other, dashboard.url, tokens("enablement"))
    wait_kpi(other)
    choose(other, "saved-views-menu", name)
    other.wait_for_function("() => location.pathname === '/drilldown'")
    reason = other.wait_for_selector("#forbidden-reason").inner_text()
    assert "operations_drilldown" in reason and "enablement" in reason
    assert "closed to your role" in other.inner_text("#saved-view-message")
    # Only its owner deletes it: the enablement user's attempt is refused with the reason.
    other.click("#delete-view")
    other.wait_for_function("() => document.querySelector('#saved-view-message').innerText.includes('only its owner')")
    assert any(v["name"] == name for v in requests.get(f"{accounts['url']}/v1/saved-views", timeout=10, headers={
        "Authorization": f"Bearer {tokens('admin')}"}).json())
