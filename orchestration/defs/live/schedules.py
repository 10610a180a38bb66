import dagster as dg

from orchestration.defs.live import jobs
from orchestration.defs.quality import jobs as quality_jobs

# Micro-batches every few seconds would keep every run forever; dagster.yaml purges ticks only.
purge_live_runs_hourly = dg.ScheduleDefinition(
    name="purge_live_runs_hourly",
    job=jobs.purge_live_runs_job,
    cron_schedule="7 * * * *",
    default_status=dg.DefaultScheduleStatus.RUNNING,
)

# The data tests, off the hot path: every Great Expectations suite, every 15 minutes.
data_quality_every_15_minutes = dg.ScheduleDefinition(
    name="data_quality_every_15_minutes",
    job=quality_jobs.data_quality_job,
    cron_schedule="*/15 * * * *",
    default_status=dg.DefaultScheduleStatus.RUNNING,
)
