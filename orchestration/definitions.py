"""All Dagster definitions, merged from orchestration/defs/<domain>/."""

from __future__ import annotations

import dagster as dg
from dagster_dlt import DagsterDltResource

from orchestration.defs.ingestion.assets import landing_assets
from orchestration.defs.readouts.assets import prompt_version_conversion
from orchestration.defs.transformation.assets import dbt_models, dbt_resource
from orchestration.defs.warehouse.resources import WarehouseResource

PIPELINE_JOB_NAME = "outcomelens_pipeline"

pipeline_job = dg.define_asset_job(
    PIPELINE_JOB_NAME,
    selection=dg.AssetSelection.all(),
    description="Load landed data with dlt, build the dbt marts, then the readouts.",
)

defs = dg.Definitions(
    assets=[landing_assets, dbt_models, prompt_version_conversion],
    jobs=[pipeline_job],
    resources={
        "dlt": DagsterDltResource(),
        "dbt": dbt_resource(),
        "warehouse": WarehouseResource(),
    },
)
