import dagster as dg

from orchestration.defs.hubspot import jobs


# Stopped until someone turns it on in the Dagster UI, once a HubSpot token is set.
@dg.schedule(job=jobs.hubspot_sync_job, cron_schedule="*/15 * * * *", name="hubspot_sync_job_schedule",
             default_status=dg.DefaultScheduleStatus.STOPPED)
def hubspot_every_15_minutes(context: dg.ScheduleEvaluationContext):
    if jobs.sync_in_progress(context.instance):
        return dg.SkipReason("a HubSpot sync is running")
    return dg.RunRequest()
