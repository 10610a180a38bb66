"""The live path's two sensors: a micro-batch after new raw loads, and the freshness checks."""

from __future__ import annotations

import json
import time

import dagster as dg

from orchestration.defs.live import jobs
from orchestration.defs.live.checks import evaluate_all, raw_asset_key
from orchestration.defs.live.resources import LiveSettings
from orchestration.defs.warehouse.resources import WarehouseResource
from outcomelens.contract import RAW_TABLES

LIVE_INTERVAL_S = 5
FRESHNESS_INTERVAL_S = 10
# A freshness result is reported when it changes, and at least this often while it does not.
FRESHNESS_REPORT_EVERY_S = 300
RETRY_AFTER_S = 30
# Every raw table a dbt source reads: the collector's, and HubSpot's (a deal closing changes the
# conversions of conversations already in the marts, with no collector load after it).
MODELLED_TABLES = tuple(name for name, table in RAW_TABLES.items() if table.dbt_source)


def newest_raw_load(instance: dg.DagsterInstance) -> int:
    """The storage id of the newest materialization of a raw table dbt reads (the loader reports one
    per table and load, the HubSpot sync one per table it wrote), 0 when there is none."""
    newest = 0
    for table in MODELLED_TABLES:
        result = instance.fetch_materializations(raw_asset_key(table), limit=1)
        if result.records:
            newest = max(newest, result.records[0].storage_id)
    return newest


def last_micro_batch_failed(instance: dg.DagsterInstance) -> bool:
    """The newest micro-batch failed (or was never started: a launch that timed out) at least
    RETRY_AFTER_S ago: its loads are built by another, so none waits for the next load to arrive."""
    records = instance.get_run_records(filters=dg.RunsFilter(job_name=jobs.LIVE_JOB_NAME), limit=1)
    if not records or records[0].dagster_run.status != dg.DagsterRunStatus.FAILURE:
        return False
    return time.time() - records[0].update_timestamp.timestamp() >= RETRY_AFTER_S


def live_run_in_flight(instance: dg.DagsterInstance) -> bool:
    return bool(
        instance.get_run_records(filters=dg.RunsFilter(job_name=jobs.LIVE_JOB_NAME, statuses=jobs.IN_FLIGHT), limit=1)
    )


@dg.sensor(
    name="live_after_raw_loads",
    job=jobs.live_job,
    minimum_interval_seconds=LIVE_INTERVAL_S,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Requests a micro-batch when new raw loads were reported (collector loader, HubSpot sync); while one runs, "
    "loads accumulate and the next micro-batch takes them all (never two at once).",
)
def live_after_raw_loads(context: dg.SensorEvaluationContext):
    newest = newest_raw_load(context.instance)
    seen = int(context.cursor or 0)
    retry = newest <= seen and last_micro_batch_failed(context.instance)
    if newest <= seen and not retry:
        return dg.SkipReason("no new raw load")
    if live_run_in_flight(context.instance):
        return dg.SkipReason("a micro-batch is running; the next one takes these loads too")
    context.update_cursor(str(newest))
    run_key = f"raw-load-{newest}" + (f"-retry-{int(time.time())}" if retry else "")
    return dg.RunRequest(run_key=run_key, run_config=jobs.micro_batch_run_config())


@dg.sensor(
    name="freshness_checks",
    minimum_interval_seconds=FRESHNESS_INTERVAL_S,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Evaluates the freshness checks of the collector's tables and reports each result "
    "when it changes (and every 5 minutes), without a run.",
)
def freshness_checks(context: dg.SensorEvaluationContext, warehouse: WarehouseResource, live: LiveSettings):
    last = json.loads(context.cursor) if context.cursor else {}
    now = time.time()
    reported = []
    for evaluation in evaluate_all(warehouse, live):
        table = evaluation.asset_key.path[-1]
        passed, at = last.get(table, [None, 0])
        if passed is evaluation.passed and now - at < FRESHNESS_REPORT_EVERY_S:
            continue
        context.instance.report_runless_asset_event(evaluation)
        last[table] = [evaluation.passed, now]
        reported.append(f"{table}: {'passed' if evaluation.passed else 'failed'}")
    context.update_cursor(json.dumps(last, sort_keys=True))
    return dg.SkipReason("reported " + ", ".join(reported) if reported else "no change")
