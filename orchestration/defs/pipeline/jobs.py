import dagster as dg

from orchestration.defs.live.checks import FRESHNESS_CHECKS

PIPELINE_JOB_NAME = "outcomelens_pipeline"

# What `outcomelens demo` runs: every asset, landed files → dlt → dbt → insights. The live path's
# freshness checks are left out: they judge a running stack (the freshness_checks sensor runs them),
# and a batch pipeline's first loads are minutes old by its end.
pipeline_job = dg.define_asset_job(
    PIPELINE_JOB_NAME,
    selection=dg.AssetSelection.all() - dg.AssetSelection.checks(*FRESHNESS_CHECKS),
    description="Load landed data with dlt, build the dbt marts, then everything downstream.",
)
