"""Scheduled reports: each run prints a saved dashboard view as PDF through the running dashboard and
sends it. Two kinds, one job: the reports of analytics/config/reports.yaml (to their signed webhook,
one Dagster schedule each: schedules.py), and the schedules people make from the dashboard
(ops.report_schedules, to an alert webhook or a Slack channel: sensors.py requests one run per
schedule and due time, with `schedule_id` and `due_at` in the run config)."""

import os
from datetime import datetime

import dagster as dg

from accounts import report_schedules
from accounts.governance import slack_token
from accounts.saved_views import SavedViewError
from analytics.alert_delivery import slack_text, stored_channels, yaml_channels
from analytics.report_delivery import deliver, load_reports, post_signed, render_pdf, render_view_pdf, upload_to_slack
from orchestration.defs.warehouse.resources import WarehouseResource
from outcomelens.core import keyring
from outcomelens.core.keyring import cube_api_secret
from outcomelens.core.warehouse import transaction


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
    schedule_id: int = 0  # set: this one report schedule of ops.report_schedules, and no YAML report
    due_at: str = ""  # the schedule's due time this run serves (ISO 8601, UTC)


@dg.op(
    description="Print each scheduled report's saved view as PDF (the dashboard) and send it: signed to its "
    "webhook, or to a Slack channel",
    retry_policy=dg.RetryPolicy(max_retries=2, delay=30),
)
def deliver_reports(context: dg.OpExecutionContext, config: ReportsConfig, warehouse: WarehouseResource) -> None:
    dashboard_url, secret = config.dashboard_url or default_dashboard_url(), cube_api_secret()
    if config.schedule_id:
        _deliver_schedule(context, config, warehouse, dashboard_url, secret)
        return
    reports = [r for r in load_reports(config.config_path or None) if not config.only or r.name in config.only]
    missing = set(config.only) - {r.name for r in reports}
    if missing:
        raise dg.Failure(f"no such report in reports.yaml: {', '.join(sorted(missing))}")
    for report in reports:
        pdf = render_pdf(report, dashboard_url, secret)
        status = deliver(report, pdf)
        context.log.info(f"report {report.name}: {len(pdf)} bytes delivered (HTTP {status})")
        context.add_output_metadata({f"{report.name}_bytes": dg.MetadataValue.int(len(pdf))})


def _deliver_schedule(
    context, config: ReportsConfig, warehouse: WarehouseResource, dashboard_url: str, secret: str
) -> None:
    connect, due = warehouse.warehouse.connect, datetime.fromisoformat(config.due_at)
    with transaction(connect) as conn, conn.cursor() as cur:
        schedule = report_schedules.get(cur, config.schedule_id)
        if schedule is None:
            context.log.info(f"report schedule {config.schedule_id} was deleted: nothing to send")
            return
        try:
            role = report_schedules.rendering_role(cur, schedule)
            report_schedules.still_visible(cur, schedule)
        except SavedViewError as exc:
            report_schedules.record_sent(connect, schedule.schedule_id, due, str(exc))
            raise dg.Failure(str(exc), allow_retries=False) from None
        token = slack_token(cur, keyring.fernet()) if schedule.destination_kind == "slack" else None
        channels = stored_channels(conn) + yaml_channels() if schedule.destination_kind == "webhook" else []
    try:
        pdf = render_view_pdf(schedule.view_name, schedule.href, role, dashboard_url, secret)
        sent = _send(schedule, pdf, due, token, channels)
    except Exception as exc:  # recorded for the page's list, then Dagster retries or fails the run
        report_schedules.record_sent(connect, schedule.schedule_id, due, f"{type(exc).__name__}: {exc}")
        raise
    report_schedules.record_sent(connect, schedule.schedule_id, due)
    context.log.info(
        f"report schedule {schedule.schedule_id} ({schedule.view_name}, due {due.isoformat()}): "
        f"{len(pdf)} bytes to {schedule.destination_kind} {schedule.destination} ({sent})"
    )
    context.add_output_metadata({"bytes": dg.MetadataValue.int(len(pdf)), "due_at": due.isoformat()})


def _send(schedule, pdf: bytes, due: datetime, token: str | None, channels: list) -> str:
    if schedule.destination_kind == "slack":
        if not token:
            raise RuntimeError("no Slack bot token is set (PUT /v1/governance/slack)")
        comment = (
            f"OutcomeLens report “{slack_text(schedule.view_name)}” ({schedule.frequency}, "
            f"due {due:%Y-%m-%d %H:%M} UTC)"
        )
        return "file " + upload_to_slack(token, schedule.destination, schedule.view_name, pdf, comment)
    channel = next((c for c in channels if c.name == schedule.destination), None)
    if channel is None or channel.format != "json" or not channel.secret:
        raise RuntimeError(f"the alert webhook {schedule.destination!r} is gone or has no secret to sign with")
    return f"HTTP {post_signed(schedule.view_name, pdf, channel.url, channel.secret)}"


@dg.job(description="Scheduled reports: saved dashboard views as PDF to webhooks and Slack channels")
def scheduled_reports_job():
    deliver_reports()
