import dagster as dg

from orchestration.defs.quality.checks import GX_CHECKS
from orchestration.defs.quality.sensors import data_quality_sensor

DATA_QUALITY_JOB_NAME = "data_quality_checks"

data_quality_job = dg.define_asset_job(
    DATA_QUALITY_JOB_NAME,
    selection=dg.AssetSelection.checks(*GX_CHECKS),
    description="Run every Great Expectations suite against the warehouse as asset checks.",
)

defs = dg.Definitions(asset_checks=GX_CHECKS, jobs=[data_quality_job], sensors=[data_quality_sensor])
