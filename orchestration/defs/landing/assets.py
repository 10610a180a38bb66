"""Landed files (parquet, from the demo generator or an export) → raw.* with dlt, one asset per table."""

import dagster as dg
import dlt
from dagster_dlt import DagsterDltResource, DagsterDltTranslator, dlt_assets
from dagster_dlt.translator import DltResourceTranslatorData

from ingestion.sources.landing import landing_source
from ingestion.sources.optional_columns import allow_nulls_where_optional
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
    def pipeline() -> dlt.Pipeline:
        return dlt.pipeline(
            pipeline_name="outcomelens_landing",
            destination="postgres",
            dataset_name=RAW_DATASET,
            pipelines_dir=paths.pipelines_dir(),
        )

    try:
        return pipeline()
    except FileExistsError:
        # Loading these definitions creates the pipeline's folder on first use, and processes load them
        # at once (`up`'s Dagster webserver and daemon, parallel test workers): another one made it
        # between dlt's check and its own mkdir. Now it exists, and dlt opens it.
        return pipeline()


@dlt_assets(
    dlt_source=landing_source(paths.subdir("landing")),
    dlt_pipeline=landing_pipeline(),
    name="landing",
    dagster_dlt_translator=LandingTranslator(),
)
def landing_assets(context: dg.AssetExecutionContext, dlt: DagsterDltResource, warehouse: WarehouseResource):
    loaded = []
    for result in dlt.run(context=context, destination=warehouse.dlt_destination()):
        loaded.append(result.asset_key.path[-1])
        yield result
    # The collector loads the same tables: they must take its records without optional fields.
    relaxed = allow_nulls_where_optional(warehouse.warehouse, loaded, RAW_DATASET)
    if relaxed:
        context.log.info(f"allowed NULL in optional raw columns: {', '.join(relaxed)}")
    # Before dbt plans its first queries over them (Warehouse.analyze says why).
    analyzed = warehouse.warehouse.analyze(RAW_DATASET, loaded)
    context.log.info(f"analyzed {len(analyzed)} raw tables: {', '.join(analyzed)}")
