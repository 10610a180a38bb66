import dagster as dg

from analytics.config import load_anomaly_config
from orchestration.defs.insights import jobs
from orchestration.defs.insights.assets import MART
from orchestration.defs.live.jobs import LIVE_TAG

CHECK_LAST_DAYS_TAG = "outcomelens/anomaly_check"


@dg.asset_sensor(asset_key=MART, job=jobs.anomaly_check_job, name="anomaly_check_after_micro_batch",
                 default_status=dg.DefaultSensorStatus.RUNNING)
def anomaly_check_after_micro_batch(context: dg.SensorEvaluationContext, asset_event: dg.EventLogEntry):
    """Every new materialization of the attribution mart (a micro-batch) gets an anomaly check of the
    most recent days; the run key makes one check per materialization. A micro-batch of the live
    path (orchestration/defs/live) checks in its own run, so its materializations are left alone."""
    run = context.instance.get_run_by_id(asset_event.run_id) if asset_event.run_id else None
    if run is not None and LIVE_TAG in run.tags:
        yield dg.SkipReason("a live micro-batch runs its own anomaly check")
        return
    yield dg.RunRequest(
        run_key=f"{asset_event.run_id}:{asset_event.timestamp}",
        run_config={"ops": {"insights__anomalies": {"config": {"last_days": load_anomaly_config().check_last_days}}}},
        tags={CHECK_LAST_DAYS_TAG: "micro_batch"},
    )
