"""Scheduled reports (analytics/config/reports.yaml): each run prints a saved dashboard view as PDF
through the running dashboard and sends it, signed, to the report's webhook."""

import os

import dagster as dg

from analytics.report_delivery import deliver, load_reports, render_pdf
from outcomelens.core.keyring import cube_api_secret


def default_dashboard_url() -> str:
    # `outcomelens up` serves the dashboard on OUTCOMELENS_DASHBOARD_PORT (8050 by default).
    return (
        os.environ.get("OUTCOMELENS_DASHBOARD_URL")
        or f"http://127.0.0.1:{os.environ.get('OUTCOMELENS_DASHBOARD_PORT', '8050')}"
    )


class ReportsConfig(dg.Config):
    only: list[str] = []  # report names; empty: every report in the file
    dashboard_url: str = ""  # empty: default_dashboard_url()
    config_path: str = ""  # empty: analytics/config/reports.yaml


@dg.op(
    description="Print each scheduled report's saved view as PDF (the dashboard) and send it, signed, to its webhook",
    retry_policy=dg.RetryPolicy(max_retries=2, delay=30),
)
def deliver_reports(context: dg.OpExecutionContext, config: ReportsConfig) -> None:
    reports = [r for r in load_reports(config.config_path or None) if not config.only or r.name in config.only]
    missing = set(config.only) - {r.name for r in reports}
    if missing:
        raise dg.Failure(f"no such report in reports.yaml: {', '.join(sorted(missing))}")
    dashboard_url, secret = config.dashboard_url or default_dashboard_url(), cube_api_secret()
    for report in reports:
        pdf = render_pdf(report, dashboard_url, secret)
        status = deliver(report, pdf)
        context.log.info(f"report {report.name}: {len(pdf)} bytes delivered (HTTP {status})")
        context.add_output_metadata({f"{report.name}_bytes": dg.MetadataValue.int(len(pdf))})


@dg.job(description="Scheduled reports: saved dashboard views as PDF to webhooks")
def scheduled_reports_job():
    deliver_reports()
