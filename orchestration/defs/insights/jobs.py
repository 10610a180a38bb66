import dagster as dg

from analytics import alert_delivery
from orchestration.defs.insights.assets import ANOMALIES, FORECASTS
from orchestration.defs.warehouse.resources import WarehouseResource

forecast_job = dg.define_asset_job("insights_forecasts", selection=[FORECASTS, ANOMALIES])
anomaly_check_job = dg.define_asset_job("insights_anomaly_check", selection=[ANOMALIES])


@dg.op
def deliver_pending_alerts(context: dg.OpExecutionContext, warehouse: WarehouseResource) -> None:
    """Sends what is recorded in ops.alerts and not yet delivered: anomaly and data_quality alerts."""
    with warehouse.connection() as conn:
        counts = alert_delivery.deliver_configured(conn)
    context.log.info(f"alert deliveries: {counts}")


@dg.job(description="Deliver pending alerts (anomaly and data quality) to the configured webhooks.")
def deliver_alerts_job():
    deliver_pending_alerts()

