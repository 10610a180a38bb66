"""/v1/report-schedules: any signed-in user schedules a saved view (own or shared) as a daily or
weekly PDF to an alert webhook or a Slack channel, lists and deletes their own; an admin lists and
deletes everyone's. /v1/report-schedules/destinations answers where reports may go (names only:
never a webhook's URL or secret, nor the Slack token)."""

from __future__ import annotations

from typing import Any

from fastapi import Body, FastAPI, Request

from accounts import report_schedules
from accounts.callers import source_of
from accounts.governance import GovernanceBackends
from accounts.refusals import as_http
from accounts.report_schedules import Destinations
from accounts.saved_views import SavedViewError
from outcomelens.core.warehouse import transaction

SCHEDULE_BODY = Body(
    ...,
    examples=[
        {
            "view_id": 1,
            "frequency": "weekly",
            "weekday": "monday",
            "hour": 7,
            "destination": {"kind": "slack", "channel_id": "C0123456789"},
        }
    ],
)


def destinations_from(backends: GovernanceBackends | None):
    def destinations(conn) -> Destinations:
        webhooks = None
        if backends is not None:
            # Signed JSON webhooks only: a Slack incoming webhook takes no file, and a report is
            # always signed (a channel without its secret could not be verified by its receiver).
            webhooks = [
                c["name"]
                for c in backends.list_alert_channels(conn)
                if c.get("format") == "json" and c.get("secret") == "set"
            ]
        with conn.cursor() as cur:
            cur.execute("select exists (select 1 from ops.slack_connection)")
            slack = cur.fetchone()[0]
        return Destinations(webhooks, slack)

    return destinations


def add_report_schedule_routes(app: FastAPI, settings, backends: GovernanceBackends | None) -> None:
    connect = settings.connect
    destinations = destinations_from(backends)

    @app.get("/v1/report-schedules/destinations", summary="Where a scheduled report may be sent")
    def list_destinations() -> dict:
        with transaction(connect) as conn:
            found = destinations(conn)
        return {"webhooks": found.webhooks or [], "webhooks_listed": found.webhooks is not None, "slack": found.slack}

    @app.get("/v1/report-schedules", summary="Your report schedules (an admin: everyone's)")
    def list_schedules(request: Request) -> list[dict]:
        principal = request.state.principal
        return [s.public() for s in report_schedules.listed(connect, principal.sub, principal.role)]

    @app.post("/v1/report-schedules", status_code=201, summary="Schedule a saved view as a PDF report")
    def create_schedule(request: Request, body: dict[str, Any] = SCHEDULE_BODY) -> dict:
        # A plain object: report_schedules.check names the first wrong field in its own words.
        principal = request.state.principal
        try:
            schedule = report_schedules.create(
                connect, principal.sub, principal.role, source_of(request), body, destinations
            )
        except SavedViewError as exc:
            raise as_http(exc) from None
        return schedule.public()

    @app.delete("/v1/report-schedules/{schedule_id}", status_code=204, summary="Delete a report schedule")
    def delete_schedule(schedule_id: int, request: Request) -> None:
        principal = request.state.principal
        try:
            report_schedules.delete(connect, principal.sub, principal.role, source_of(request), schedule_id)
        except SavedViewError as exc:
            raise as_http(exc) from None
