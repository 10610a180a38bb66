"""HubSpot's CRM pulled into raw.hubspot_*: on a schedule, or when a webhook asks (sensors.py).

An op job, not assets, on purpose: the demo's pipeline job materialises every asset, and this needs a
HubSpot token a demo machine does not have. The token is dlt's own secret (`SOURCES__HUBSPOT__API_KEY`
or .dlt/secrets.toml, as in dlt's verified sources) or, when none is set, the one an admin saved through
the governance API (`PUT /v1/governance/hubspot`, stored encrypted in ops.hubspot_connection).
"""

import dagster as dg
import dlt

from accounts.governance import hubspot_token
from ingestion.sources.hubspot.pipeline import run_hubspot
from orchestration.defs.warehouse.resources import WarehouseResource
from outcomelens.core import keyring, paths

API_KEY_SECRET = "sources.hubspot.api_key"
RAW_ASSET_PREFIX = ["dlt", "landing"]  # the key the landing translator gives every raw table
UNFINISHED = [dg.DagsterRunStatus.QUEUED, dg.DagsterRunStatus.NOT_STARTED, dg.DagsterRunStatus.STARTING,
              dg.DagsterRunStatus.STARTED, dg.DagsterRunStatus.CANCELING]


def hubspot_api_key(warehouse: WarehouseResource) -> str | None:
    """dlt's secret when one is set (it wins, as configuration does elsewhere), else the stored token."""
    if token := dlt.secrets.get(API_KEY_SECRET):
        return token
    with warehouse.warehouse.connection() as conn, conn.cursor() as cur:
        return hubspot_token(cur, keyring.fernet())


BULK_ROWS = 10_000  # rows written to one table by one sync

NO_TOKEN = ("no HubSpot token: save one through the governance API (PUT /v1/governance/hubspot) "
            "or set SOURCES__HUBSPOT__API_KEY to a HubSpot private-app token")


@dg.op(description="dlt: HubSpot contacts and deals changed since the last run, and those deals' contact links → raw.hubspot_*")
def hubspot_sync(context: dg.OpExecutionContext, warehouse: WarehouseResource) -> None:
    api_key = hubspot_api_key(warehouse)
    if not api_key:
        raise dg.Failure(NO_TOKEN)
    info = run_hubspot(paths.pipelines_dir(), credentials=warehouse.warehouse.dlt_credentials(), api_key=api_key)
    counts = {name: n for name, n in info.pipeline.last_trace.last_normalize_info.row_counts.items()
              if not name.startswith("_dlt")}
    context.add_output_metadata({name: dg.MetadataValue.int(n) for name, n in counts.items()})
    # The raw tables are the dlt assets the dbt sources read; reporting what this run wrote to them
    # lets their downstream models see new HubSpot data.
    for table, rows in counts.items():
        context.log_event(dg.AssetMaterialization(asset_key=RAW_ASSET_PREFIX + [table], metadata={"rows": rows}))
    # A first sync (a portal's every contact and deal) is a bulk load: statistics before dbt plans
    # over it (Warehouse.analyze). The small syncs that follow leave it to autovacuum.
    warehouse.warehouse.analyze("raw", [table for table, rows in counts.items() if rows >= BULK_ROWS])


@dg.job(description="HubSpot sync: everything on the first run, what changed since on later ones")
def hubspot_sync_job():
    hubspot_sync()


def sync_in_progress(instance: dg.DagsterInstance) -> bool:
    """A hubspot_sync_job run is queued or running (its schedule and its sensor both skip then: one sync
    at a time, since two would race on dlt's cursor and pipeline state)."""
    runs = instance.get_run_records(dg.RunsFilter(job_name=hubspot_sync_job.name, statuses=UNFINISHED), limit=1)
    return bool(runs)
