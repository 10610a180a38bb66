"""Landed files (parquet, from the demo generator or an export) → raw.* with dlt, one asset per table."""

import dagster as dg
import dlt
from dagster_dlt import DagsterDltResource, DagsterDltTranslator, dlt_assets
from dagster_dlt.translator import DltResourceTranslatorData

from ingestion.sources.landing import landing_source
from ingestion.sources.spool.source import with_load_ids
from orchestration.defs.warehouse.resources import WarehouseResource
from outcomelens.core import paths

RAW_DATASET = "raw"


class LandingTranslator(DagsterDltTranslator):
    """Asset keys ["dlt", source, table]; landed files have no upstream asset."""

    def get_asset_spec(self, data: DltResourceTranslatorData) -> dg.AssetSpec:
        spec = super().get_asset_spec(data)
        return spec.replace_attributes(
            key=dg.AssetKey(["dlt", data.resource.source_name, data.resource.name]),
            deps=[],
            group_name="ingestion",
        )


def landing_pipeline() -> dlt.Pipeline:
    return dlt.pipeline(
        pipeline_name=with_load_ids("outcomelens_landing"),
        destination="postgres",
        dataset_name=RAW_DATASET,
        pipelines_dir=paths.pipelines_dir(),
    )


@dlt_assets(
    dlt_source=landing_source(paths.subdir("landing")),
    dlt_pipeline=landing_pipeline(),
    name="landing",
    dagster_dlt_translator=LandingTranslator(),
)
def landing_assets(context: dg.AssetExecutionContext, dlt: DagsterDltResource, warehouse: WarehouseResource):
    yield from dlt.run(context=context, destination=warehouse.dlt_destination())
