"""HubSpot's CRM pulled into raw.hubspot_* on a schedule (incremental on deals).

An op job, not assets, on purpose: the demo's pipeline job materialises every asset, and this needs a
HubSpot token a demo machine does not have. The token reaches the dlt source through dlt's own
secrets (`SOURCES__HUBSPOT__API_KEY` or .dlt/secrets.toml), as in dlt's verified sources.
"""

import dagster as dg
import dlt

from ingestion.sources.hubspot.pipeline import run_hubspot
from orchestration.defs.warehouse.resources import WarehouseResource
from outcomelens.core import paths

API_KEY_SECRET = "sources.hubspot.api_key"


@dg.op(description="dlt: HubSpot contacts, deals changed since the last run, and their contact links → raw.hubspot_*")
def hubspot_sync(context: dg.OpExecutionContext, warehouse: WarehouseResource) -> None:
    if not dlt.secrets.get(API_KEY_SECRET):
        raise dg.Failure("no HubSpot token: set SOURCES__HUBSPOT__API_KEY to a HubSpot private-app token")
    info = run_hubspot(paths.pipelines_dir(), credentials=warehouse.warehouse.dlt_credentials())
    counts = info.pipeline.last_trace.last_normalize_info.row_counts
    context.add_output_metadata({name: dg.MetadataValue.int(n) for name, n in counts.items() if not name.startswith("_dlt")})


@dg.job(description="HubSpot incremental sync")
def hubspot_sync_job():
    hubspot_sync()
