import dagster as dg

from orchestration.defs.hubspot import jobs

# Stopped until someone turns it on in the Dagster UI, once a HubSpot token is set.
hubspot_every_15_minutes = dg.ScheduleDefinition(
    job=jobs.hubspot_sync_job, cron_schedule="*/15 * * * *", default_status=dg.DefaultScheduleStatus.STOPPED,
)
