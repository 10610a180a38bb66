"""One schedule per report of analytics/config/reports.yaml, on its cron (weekly by default).
Running as soon as the daemon sees it: listing a report in the file is the decision to send it."""

import dagster as dg

from analytics.report_delivery import load_reports
from orchestration.defs.reports import jobs


def report_schedule(report) -> dg.ScheduleDefinition:
    return dg.ScheduleDefinition(
        name=f"report_{report.name.replace('-', '_')}",
        job=jobs.scheduled_reports_job,
        cron_schedule=report.cron,
        run_config={"ops": {"deliver_reports": {"config": {"only": [report.name]}}}},
        default_status=dg.DefaultScheduleStatus.RUNNING,
        execution_timezone="UTC",
    )


report_schedules = [report_schedule(r) for r in load_reports()]
