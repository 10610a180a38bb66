"""Forecasts and anomalies computed from the attribution mart (analytics/ does the work)."""

from datetime import datetime, timezone

import dagster as dg

from analytics import alert_delivery, insights_store
from analytics.anomalies import detect
from analytics.config import load_anomaly_config, load_experiment_config, load_forecast_config
from analytics.experiment_stats import comparison_statistics
from analytics.forecast import run_forecasts
from orchestration.defs.warehouse.resources import WarehouseResource

MART = dg.AssetKey(["marts", "fct_attribution_daily"])
FORECASTS = dg.AssetKey(["insights", "forecasts"])
ANOMALIES = dg.AssetKey(["insights", "anomalies"])
COMPARISON = dg.AssetKey(["marts", "fct_experiment_comparison"])
EXPERIMENTS = dg.AssetKey(["marts", "dim_experiments"])
CUPED_MOMENTS = dg.AssetKey(["marts", "fct_experiment_cuped"])
EXPERIMENT_STATISTICS = dg.AssetKey(["insights", "experiment_statistics"])


def _needed_columns(metrics) -> set[str]:
    return {c for m in metrics for c in (m.numerator, m.denominator) if c}


@dg.asset(key=FORECASTS, deps=[MART], group_name="insights", kinds={"python", "postgres"},
          description="Per metric and segment: holdout and future forecasts with a 95% prediction interval "
                      "(analytics/config/forecasts.yaml).")
def forecasts(context: dg.AssetExecutionContext, warehouse: WarehouseResource):
    config = load_forecast_config()
    with warehouse.connection() as conn:
        parts = insights_store.read_parts(conn, _needed_columns(config.metrics))
        rows = run_forecasts(parts, config) if len(parts) else []
        insights_store.write_forecasts(conn, rows)
    series = {(r["metric_name"], r["segment_dimension"], r["segment_value"]) for r in rows}
    return dg.MaterializeResult(metadata={"rows": len(rows), "series": len(series), "model": config.model})


class AnomalyCheckConfig(dg.Config):
    # None: every day with enough history (a backfill); otherwise the most recent days only.
    last_days: int | None = None
    deliver: bool = True


@dg.asset(key=ANOMALIES, deps=[MART, FORECASTS], group_name="insights", kinds={"python", "postgres"},
          description="Anomalies per metric and segment with their top contributing slices "
                      "(analytics/config/anomaly_rules.yaml); each recorded in ops.alerts and delivered.")
def anomalies(context: dg.AssetExecutionContext, config: AnomalyCheckConfig, warehouse: WarehouseResource):
    rules = load_anomaly_config()
    with warehouse.connection() as conn:
        parts = insights_store.read_parts(conn, _needed_columns(m.metric for m in rules.metrics))
        found = detect(parts, rules, forecasts=insights_store.read_forecasts(conn),
                       last_days=config.last_days if config.last_days is not None else None) if len(parts) else []
        insights_store.write_anomalies(conn, found)
        new_alerts = insights_store.record_anomaly_alerts(conn, found)
        conn.commit()
        delivered = alert_delivery.deliver_configured(conn) if config.deliver else {}
    return dg.MaterializeResult(metadata={
        "anomalies": len(found), "new_alerts": len(new_alerts),
        **{f"deliveries_{k}": v for k, v in delivered.items()},
    })


@dg.asset(key=EXPERIMENT_STATISTICS, deps=[COMPARISON, EXPERIMENTS, CUPED_MOMENTS], group_name="insights",
          kinds={"python", "postgres"},
          description="Per comparison: p-values raw, Holm and BH; chance to beat control and expected loss; the "
                      "always-valid 95% interval; MDE and days to detect for running experiments; the SRM "
                      "p-value; CUPED on the pre-period covariate (analytics/config/experiments.yaml).")
def experiment_statistics(context: dg.AssetExecutionContext, warehouse: WarehouseResource):
    with warehouse.connection() as conn:
        comparisons, experiments, cuped_moments = insights_store.read_experiment_inputs(conn)
        rows = comparison_statistics(comparisons, experiments, load_experiment_config(),
                                     datetime.now(timezone.utc), cuped_moments)
        insights_store.write_experiment_statistics(conn, rows)
    return dg.MaterializeResult(metadata={"rows": len(rows)})
