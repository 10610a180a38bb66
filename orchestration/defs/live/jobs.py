"""The micro-batch job and the housekeeping of its runs.

One micro-batch: `dbt build` of the seeds and every model (staging views, intermediate tables, the
incremental marts; no data tests, they run on their own schedule) and then the anomaly check of the most recent days,
which records and delivers alerts. Cube needs no step: its refresh keys see the new data.
"""

import datetime as dt

import dagster as dg
from dagster_dbt import build_dbt_asset_selection

from analytics.config import load_anomaly_config
from orchestration.defs.insights.assets import ANOMALIES
from orchestration.defs.live.resources import LiveSettings
from orchestration.defs.transformation.assets import dbt_models
from outcomelens.core import paths

LIVE_JOB_NAME = "live_micro_batch"
LIVE_TAG = paths.LIVE_RUN_TAG  # dagster.yaml's run queue runs one run with this tag at a time
FINISHED = [dg.DagsterRunStatus.SUCCESS, dg.DagsterRunStatus.FAILURE, dg.DagsterRunStatus.CANCELED]
IN_FLIGHT = [
    dg.DagsterRunStatus.QUEUED,
    dg.DagsterRunStatus.NOT_STARTED,
    dg.DagsterRunStatus.STARTING,
    dg.DagsterRunStatus.STARTED,
]

# Seeds too: a fresh warehouse has none, and the staging views read the price table.
models = build_dbt_asset_selection([dbt_models], dbt_select="resource_type:model resource_type:seed")

live_job = dg.define_asset_job(
    LIVE_JOB_NAME,
    selection=(models | dg.AssetSelection.assets(ANOMALIES)).without_checks(),
    description="Micro-batch: dbt build of the seeds and models (no tests), then the anomaly check and its alerts.",
    tags={LIVE_TAG: "micro_batch"},
    config={"ops": {"dbt_models": {"config": {"tests": False}}}},
    # In the run's own process: the default multiprocess executor starts a process per step (dbt,
    # then the anomaly check), each loading the definitions again; under load (benchmarks/live.md)
    # each load took minutes, on the alert's path. The two steps run one after the other anyway.
    executor_def=dg.in_process_executor,
)


def micro_batch_run_config() -> dict:
    """The sensor's run config: dbt without tests, and the anomaly check of the most recent days only. Read at
    tick time, not import time: the anomaly rules compile the semantic layer (node), and the
    definitions must load fast."""
    last_days = load_anomaly_config().check_last_days
    return {
        "ops": {
            "dbt_models": {"config": {"tests": False}},
            "insights__anomalies": {"config": {"last_days": last_days}},
        }
    }


@dg.op(description="Deletes finished micro-batch runs (and their events) older than the retention")
def purge_old_live_runs(context: dg.OpExecutionContext, live: LiveSettings) -> None:
    cutoff = dt.datetime.now(dt.timezone.utc) - dt.timedelta(hours=live.run_retention_hours)
    deleted = 0
    while True:
        records = context.instance.get_run_records(
            filters=dg.RunsFilter(job_name=LIVE_JOB_NAME, statuses=FINISHED, updated_before=cutoff), limit=500
        )
        for record in records:
            context.instance.delete_run(record.dagster_run.run_id)
        deleted += len(records)
        if len(records) < 500:
            break
    context.log.info(f"deleted {deleted} micro-batch run(s) finished before {cutoff.isoformat()}")


@dg.job(description="Run retention: finished micro-batch runs older than OUTCOMELENS_LIVE_RUN_RETENTION_HOURS.")
def purge_live_runs_job():
    purge_old_live_runs()
