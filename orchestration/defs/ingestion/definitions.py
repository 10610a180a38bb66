import dagster as dg
from dagster_dlt import DagsterDltResource

from orchestration.defs.ingestion.assets import landing_assets

defs = dg.Definitions(assets=[landing_assets], resources={"dlt": DagsterDltResource()})
