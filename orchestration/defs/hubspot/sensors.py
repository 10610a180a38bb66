"""HubSpot webhooks become sync runs: the collector records each signed webhook that needs a sync in
ops.hubspot_sync_requests; this sensor turns the rows it has not seen into one hubspot_sync_job run.

One sync at a time, and no pile-up: while a sync run is queued or running the sensor skips and keeps its
cursor, so every request that arrives meanwhile is served by a single run after that one ends.
"""

import dagster as dg

from ingestion.collector.webhooks import SYNC_REQUESTS_TABLE
from orchestration.defs.hubspot import jobs
from orchestration.defs.warehouse.resources import WarehouseResource

REQUESTS_UP_TO_TAG = "outcomelens/hubspot_requests_up_to"


def newest_request(warehouse: WarehouseResource) -> int:
    with warehouse.connection() as conn, conn.cursor() as cur:
        cur.execute(f"select coalesce(max(id), 0) from {SYNC_REQUESTS_TABLE}")
        return int(cur.fetchone()[0])


def forget_served(warehouse: WarehouseResource, up_to: int) -> None:
    with warehouse.connection() as conn, conn.cursor() as cur:
        cur.execute(f"delete from {SYNC_REQUESTS_TABLE} where id <= %s", (up_to,))


@dg.sensor(
    job=jobs.hubspot_sync_job,
    name="hubspot_sync_on_webhook",
    minimum_interval_seconds=5,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="One HubSpot sync for the webhooks recorded in ops.hubspot_sync_requests since the last one.",
)
def hubspot_sync_on_webhook(context: dg.SensorEvaluationContext, warehouse: WarehouseResource):
    seen = int(context.cursor or 0)
    # Rows at or below the cursor were served by a run requested in an earlier, committed tick.
    forget_served(warehouse, seen)
    newest = newest_request(warehouse)
    if newest <= seen:
        return dg.SkipReason("no HubSpot webhook asked for a sync")
    if not jobs.hubspot_api_key(warehouse):
        return dg.SkipReason(f"webhooks asked for a sync, but {jobs.NO_TOKEN}")
    if jobs.sync_in_progress(context.instance):
        return dg.SkipReason("a HubSpot sync is running; the new requests wait for it to end")
    context.update_cursor(str(newest))
    return dg.RunRequest(run_key=f"hubspot-requests-{newest}", tags={REQUESTS_UP_TO_TAG: str(newest)})
