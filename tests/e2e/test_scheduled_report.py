"""A scheduled report end to end: the Dagster job of orchestration/defs/reports (executed in
process) has the running dashboard print a saved view as PDF with a short-lived token of the
report's role, and posts it to a local webhook receiver that checks the signature (the alerts'
scheme) and reads the PDF: the chart's title, the filters in force and the generation time.

The same for schedules made through the accounts API (as the dashboard's "Schedule this view"
does): the report_schedules_due sensor, evaluated against the real warehouse, asks for exactly one
run per schedule and due time; the runs upload the PDF to a local Slack (Slack's Web API upload
flow, bot token checked) and post it, signed, to an alert webhook."""

from __future__ import annotations

import datetime as dt
import subprocess

import dagster as dg
import pytest
import requests

from accounts.app import AccountsSettings, create_app
from analytics.alert_delivery import verify_signature
from analytics.report_delivery import REPORT_HEADER, SLACK_API_URL_ENV, load_reports
from orchestration.defs.reports.jobs import scheduled_reports_job
from orchestration.defs.reports.schedules import report_schedule
from orchestration.defs.reports.sensors import report_schedules_due, run_key
from orchestration.defs.warehouse.resources import WarehouseResource
from outcomelens.cli.accounts_service import governance_backends
from outcomelens.core.keyring import CUBE_SECRET_ENV
from tests.e2e.conftest import SECRET, _chromium_missing
from tests.e2e.helpers import ANCHOR
from tests.integration.support import query, serve_in_thread
from tests.mocks.server import MockServer, Reply, Request
from tests.mocks.slack import MockSlack

pytestmark = pytest.mark.skipif(_chromium_missing(), reason="chromium is not installed")

REPORT_SECRET = "report-secret-for-the-e2e-receiver"
SLACK_TOKEN = "xoxb-e2e-reports-bot-token"
CHANNEL = "C0REPORTS01"


class _Receiver(MockServer):
    def answer(self, request: Request) -> Reply:
        return (200, {"ok": True})


def test_weekly_report_pdf_reaches_the_webhook_signed(dashboard, warehouse, tmp_path, monkeypatch, artifacts_dir):
    monkeypatch.setenv(CUBE_SECRET_ENV, SECRET)  # the secret the e2e Cube verifies tokens with
    monkeypatch.setenv("E2E_REPORT_SECRET", REPORT_SECRET)
    with _Receiver() as receiver:
        config = tmp_path / "reports.yaml"
        config.write_text(f"""reports:
  - name: weekly-buyers
    view: /overview?range=7D&intent=buy
    role: product_manager
    url: {receiver.url}/reports
    secret_env: E2E_REPORT_SECRET
""")
        report = load_reports(config)[0]
        schedule = report_schedule(report)
        assert schedule.cron_schedule == "0 7 * * 1"  # weekly by default
        result = scheduled_reports_job.execute_in_process(
            resources={"warehouse": WarehouseResource(url=warehouse.url(hide_password=False))},
            run_config={
                "ops": {
                    "deliver_reports": {
                        "config": {
                            "only": ["weekly-buyers"],
                            "dashboard_url": dashboard.url,
                            "config_path": str(config),
                        }
                    }
                }
            }
        )
        assert result.success
        [request] = receiver.requests
    assert request.path == "/reports" and request.headers[REPORT_HEADER] == "weekly-buyers"
    assert request.headers["Content-Type"] == "application/pdf" and request.body.startswith(b"%PDF")
    assert verify_signature(REPORT_SECRET, request.headers, request.body)
    assert not verify_signature("another secret", request.headers, request.body)
    pdf = artifacts_dir / "scheduled-report.pdf"
    pdf.write_bytes(request.body)
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    week = (ANCHOR - dt.timedelta(days=6)).isoformat(), ANCHOR.isoformat()
    assert f"Range: 7D ({week[0]} – {week[1]})" in text and "Intent: buy" in text
    assert "Generated" in text and "Conversion by intent" in text
    assert "Role: product_manager" in text


def _pdf_text(path) -> str:
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout


def test_schedules_made_from_the_page_are_sent_once_per_due_time(dashboard, accounts, warehouse, tokens,
                                                                 monkeypatch, artifacts_dir):
    monkeypatch.setenv(CUBE_SECRET_ENV, SECRET)
    resources = {"warehouse": WarehouseResource(url=warehouse.url(hide_password=False))}
    # The accounts service as `up` runs it (with the governance backends: the alert webhooks).
    app = create_app(AccountsSettings(connect=warehouse.connect, secret=SECRET, governance=governance_backends()))
    with serve_in_thread(app) as api, MockSlack(SLACK_TOKEN, {CHANNEL}) as slack, _Receiver() as receiver:
        monkeypatch.setenv(SLACK_API_URL_ENV, slack.api_url)
        admin = {"Authorization": "Bearer " + requests.post(f"{api}/v1/auth/login", timeout=10, json={
            "email": accounts["email"], "password": accounts["password"]}).json()["access_token"]}
        pm = {"Authorization": f"Bearer {tokens('product_manager')}"}
        assert requests.put(f"{api}/v1/governance/slack", headers=admin, timeout=10,
                            json={"bot_token": SLACK_TOKEN}).status_code == 200
        assert requests.post(f"{api}/v1/governance/alert-channels", headers=admin, timeout=10, json={
            "name": "e2e-reports", "kind": "webhook", "url": f"{receiver.url}/hook", "secret": REPORT_SECRET,
        }).status_code == 201
        view = requests.post(f"{api}/v1/saved-views", headers=pm, timeout=10, json={
            "name": "Buyers this week", "href": "/overview?range=7D&intent=buy"}).json()
        now = dt.datetime.now(dt.timezone.utc)
        due = now.replace(minute=0, second=0, microsecond=0) - dt.timedelta(hours=1)  # the hour before this one
        made = [requests.post(f"{api}/v1/report-schedules", headers=pm, timeout=10, json={
            "view_id": view["id"], "frequency": "daily", "hour": due.hour, "destination": destination}).json()
            for destination in ({"kind": "slack", "channel_id": CHANNEL}, {"kind": "webhook", "name": "e2e-reports"})]
        ids = [m["id"] for m in made]
        # Made two days ago (a schedule made now is first due tomorrow).
        with warehouse.connection() as conn, conn.cursor() as cur:
            cur.execute("update ops.report_schedules set created_at = now() - interval '2 days'"
                        " where schedule_id = any(%s)", (ids,))

        instance = dg.DagsterInstance.ephemeral()
        context = dg.build_sensor_context(instance=instance, resources=resources)
        requested = report_schedules_due(context)
        assert sorted(r.run_key for r in requested) == sorted(run_key(i, due) for i in ids)
        again = report_schedules_due(dg.build_sensor_context(instance=instance, resources=resources,
                                                             cursor=context.cursor))
        assert isinstance(again, dg.SkipReason)  # the same due time is not asked for twice
        for request in requested:
            config = request.run_config["ops"]["deliver_reports"]["config"]
            assert config["due_at"] == due.isoformat()
            result = scheduled_reports_job.execute_in_process(
                instance=instance, resources=resources, tags=request.tags,
                run_config={"ops": {"deliver_reports": {"config": {**config, "dashboard_url": dashboard.url}}}})
            assert result.success
        # Sent: a fresh sensor (its cursor lost) finds nothing due, the warehouse says when it was sent.
        assert isinstance(report_schedules_due(dg.build_sensor_context(instance=instance, resources=resources)),
                          dg.SkipReason)
        sent = query(warehouse, "select schedule_id, last_due_at, last_sent_at is not null, last_error"
                     " from ops.report_schedules where schedule_id = any(%s) order by schedule_id", (ids,))
        assert sent == [(i, due, True, None) for i in sorted(ids)]
        [(channel, title, comment, pdf)] = slack.shared
        [posted] = receiver.requests
    assert channel == CHANNEL and title == "Buyers this week" and pdf.startswith(b"%PDF")
    assert f"due {due:%Y-%m-%d %H:%M} UTC" in comment
    assert posted.path == "/hook" and posted.headers[REPORT_HEADER] == "Buyers this week"
    assert posted.body.startswith(b"%PDF") and verify_signature(REPORT_SECRET, posted.headers, posted.body)
    for name, body in (("slack", pdf), ("webhook", posted.body)):
        path = artifacts_dir / f"scheduled-{name}.pdf"
        path.write_bytes(body)
        text = _pdf_text(path)
        assert "Intent: buy" in text and "Role: product_manager" in text and "Conversion by intent" in text
    # The token reached Slack's API only (never the upload URL, a log or an answer).
    upload_steps = [r for r in slack.requests if r.path.startswith("/upload/")]
    assert upload_steps and all("Authorization" not in r.headers for r in upload_steps)
