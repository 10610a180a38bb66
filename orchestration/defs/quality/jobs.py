import dagster as dg

from orchestration.defs.quality import checks

DATA_QUALITY_JOB_NAME = "data_quality_checks"

data_quality_job = dg.define_asset_job(
    DATA_QUALITY_JOB_NAME,
    selection=dg.AssetSelection.checks(*checks.GX_CHECKS),
    description="Run every Great Expectations suite against the warehouse as asset checks.",
)
