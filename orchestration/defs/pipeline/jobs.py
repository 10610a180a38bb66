import dagster as dg

PIPELINE_JOB_NAME = "outcomelens_pipeline"

# What `outcomelens demo` runs: every asset, landed files → dlt → dbt → insights.
pipeline_job = dg.define_asset_job(
    PIPELINE_JOB_NAME,
    selection=dg.AssetSelection.all(),
    description="Load landed data with dlt, build the dbt marts, then everything downstream.",
)
