import dagster as dg

from orchestration.defs.insights.assets import anomalies, forecasts
from orchestration.defs.insights.jobs import anomaly_check_job, deliver_alerts_job, forecast_job
from orchestration.defs.insights.schedules import (
    alert_delivery_retry,
    anomaly_check_after_micro_batch,
    daily_forecasts,
)

defs = dg.Definitions(
    assets=[forecasts, anomalies],
    jobs=[forecast_job, anomaly_check_job, deliver_alerts_job],
    schedules=[daily_forecasts, alert_delivery_retry],
    sensors=[anomaly_check_after_micro_batch],
)
