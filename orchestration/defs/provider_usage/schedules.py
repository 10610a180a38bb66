import dagster as dg

from orchestration.defs.provider_usage import jobs

# Stopped until someone turns it on in the Dagster UI, once provider keys are stored.
provider_usage_hourly = dg.ScheduleDefinition(
    job=jobs.provider_usage_job, cron_schedule="17 * * * *", default_status=dg.DefaultScheduleStatus.STOPPED,
)
