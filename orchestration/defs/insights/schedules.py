import dagster as dg

from orchestration.defs.insights import jobs

daily_forecasts = dg.ScheduleDefinition(
    name="insights_daily_forecasts", job=jobs.forecast_job, cron_schedule="0 5 * * *",
    default_status=dg.DefaultScheduleStatus.RUNNING,
)

alert_delivery_retry = dg.ScheduleDefinition(
    name="alert_delivery_every_5_minutes", job=jobs.deliver_alerts_job, cron_schedule="*/5 * * * *",
    default_status=dg.DefaultScheduleStatus.RUNNING,
)
