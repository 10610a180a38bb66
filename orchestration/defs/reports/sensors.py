"""The report schedules people make from the dashboard (ops.report_schedules): every minute, one
scheduled_reports_job run for each schedule that is due, keyed by (schedule id, due time).

Dagster launches a sensor's run key once, so one due time is never sent twice, however many ticks
see it before the run records it (last_due_at); the cursor keeps the sensor from asking again
meanwhile. A schedule is due at its latest due time only (accounts/report_schedules.py): a daemon
that was down for days sends one report, not one per missed day.
"""

import json
from datetime import datetime, timedelta, timezone

import dagster as dg

from accounts import report_schedules
from orchestration.defs.reports import jobs
from orchestration.defs.warehouse.resources import WarehouseResource

SCHEDULE_TAG = "outcomelens/report_schedule"
DUE_TAG = "outcomelens/report_due_at"
FORGET_AFTER = timedelta(days=8)  # longer than a week: a weekly due time stays remembered until the next


def run_key(schedule_id: int, due: datetime) -> str:
    return f"report-schedule-{schedule_id}-{due.astimezone(timezone.utc):%Y%m%dT%H%MZ}"


def due_run_requests(warehouse: WarehouseResource, now: datetime, cursor: str | None) -> tuple[list, str]:
    """The run requests for the schedules due at `now` not asked for already, and the new cursor."""
    asked = {k: v for k, v in json.loads(cursor or "{}").items() if now - datetime.fromisoformat(v) < FORGET_AFTER}
    requests = []
    for schedule, due in report_schedules.due(warehouse.warehouse.connect, now):
        if asked.get(str(schedule.schedule_id)) == due.isoformat():
            continue
        asked[str(schedule.schedule_id)] = due.isoformat()
        requests.append(
            dg.RunRequest(
                run_key=run_key(schedule.schedule_id, due),
                run_config={
                    "ops": {
                        "deliver_reports": {"config": {"schedule_id": schedule.schedule_id, "due_at": due.isoformat()}}
                    }
                },
                tags={SCHEDULE_TAG: str(schedule.schedule_id), DUE_TAG: due.isoformat()},
            )
        )
    return requests, json.dumps(asked, sort_keys=True)


@dg.sensor(
    name="report_schedules_due",
    job=jobs.scheduled_reports_job,
    minimum_interval_seconds=60,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Sends the reports scheduled from the dashboard (ops.report_schedules): one run per schedule "
    "and due time.",
)
def report_schedules_due(context: dg.SensorEvaluationContext, warehouse: WarehouseResource):
    requests, cursor = due_run_requests(warehouse, datetime.now(timezone.utc), context.cursor)
    context.update_cursor(cursor)
    return requests or dg.SkipReason("no report schedule is due")
