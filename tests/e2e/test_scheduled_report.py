"""A scheduled report end to end: the Dagster job of orchestration/defs/reports (executed in
process) has the running dashboard print a saved view as PDF with a short-lived token of the
report's role, and posts it to a local webhook receiver that checks the signature (the alerts'
scheme) and reads the PDF: the chart's title, the filters in force and the generation time."""

from __future__ import annotations

import datetime as dt
import subprocess

import pytest

from analytics.alert_delivery import verify_signature
from analytics.report_delivery import REPORT_HEADER, load_reports
from orchestration.defs.reports.jobs import scheduled_reports_job
from orchestration.defs.reports.schedules import report_schedule
from outcomelens.core.keyring import CUBE_SECRET_ENV
from tests.e2e.conftest import SECRET, _chromium_missing
from tests.e2e.helpers import ANCHOR
from tests.mocks.server import MockServer, Reply, Request

pytestmark = pytest.mark.skipif(_chromium_missing(), reason="chromium is not installed")

REPORT_SECRET = "report-secret-for-the-e2e-receiver"


class _Receiver(MockServer):
    def answer(self, request: Request) -> Reply:
        return (200, {"ok": True})


def test_weekly_report_pdf_reaches_the_webhook_signed(dashboard, tmp_path, monkeypatch, artifacts_dir):
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
