"""insights.forecasts and insights.anomalies (docs/contracts.md; created by the core's migrations,
outcomelens/core/migrations/0002_insights.sql), and the mart they are computed from."""

from __future__ import annotations

import json

import pandas as pd
from psycopg2.extras import execute_values

from analytics import alert_log
from analytics.anomalies import alert_title, dedup_key, jsonable
from analytics.config import DIMENSIONS
from analytics.experiment_stats import STATISTICS_COLUMNS

SCHEMA = "insights"
MART = "marts.fct_attribution_daily"

FORECAST_COLUMNS = (
    "metric_name", "segment_dimension", "segment_value", "date_day", "model", "yhat", "yhat_lower",
    "yhat_upper", "interval_level", "is_holdout", "observed", "generated_at",
)
ANOMALY_COLUMNS = (
    "anomaly_id", "detected_at", "metric_name", "segment_dimension", "segment_value", "date_day", "observed",
    "expected", "lower", "upper", "rule", "severity", "volume", "contributors", "top_contributor_dimension",
    "top_contributor_value",
)

def read_parts(conn, columns: set[str]) -> pd.DataFrame:
    """The mart's dimensions and the additive columns the configured metrics need."""
    additive = sorted(columns | {"conversations"})
    sql = (
        f"select date_day, {', '.join(DIMENSIONS)}, "
        + ", ".join(f"sum({c})::double precision as {c}" for c in additive)
        + f" from {MART} group by date_day, {', '.join(DIMENSIONS)}"
    )
    with conn.cursor() as cur:
        cur.execute(sql)
        frame = pd.DataFrame(cur.fetchall(), columns=[d.name for d in cur.description])
    frame["date_day"] = pd.to_datetime(frame["date_day"])
    return frame


def write_forecasts(conn, rows: list[dict]) -> None:
    """Replace the whole table in one transaction: readers never see half a run."""
    with conn.cursor() as cur:
        cur.execute(f"delete from {SCHEMA}.forecasts")
        execute_values(
            cur, f"insert into {SCHEMA}.forecasts ({', '.join(FORECAST_COLUMNS)}) values %s",
            [tuple(r[c] for c in FORECAST_COLUMNS) for r in rows],
        )


def read_forecasts(conn) -> pd.DataFrame:
    with conn.cursor() as cur:
        cur.execute(f"select * from {SCHEMA}.forecasts where is_holdout")
        return pd.DataFrame(cur.fetchall(), columns=[d.name for d in cur.description])


def write_anomalies(conn, anomalies: list[dict]) -> int:
    """Upsert by anomaly_id (stable per metric, segment, day and rule): re-checking a day never
    duplicates it; the first detection time is kept."""
    rows = [
        tuple(json.dumps(jsonable(a["contributors"])) if c == "contributors" else a[c] for c in ANOMALY_COLUMNS)
        for a in anomalies
    ]
    updates = ", ".join(f"{c} = excluded.{c}" for c in ANOMALY_COLUMNS if c not in ("anomaly_id", "detected_at"))
    if rows:
        with conn.cursor() as cur:
            execute_values(
                cur,
                f"insert into {SCHEMA}.anomalies ({', '.join(ANOMALY_COLUMNS)}) values %s "
                f"on conflict (anomaly_id) do update set {updates}",
                rows,
            )
    return len(rows)


def record_anomaly_alerts(conn, anomalies: list[dict]) -> list[str]:
    """Each anomaly becomes one ops.alerts record (once per day, however often it is re-checked)."""
    ids = []
    for a in anomalies:
        alert_id = alert_log.record_alert(
            conn, source="anomaly", dedup_key=dedup_key(a), severity=a["severity"], title=alert_title(a),
            payload=jsonable(a), occurrence=str(a["date_day"]),
        )
        if alert_id:
            ids.append(alert_id)
    return ids


def _frame(cur, sql: str) -> pd.DataFrame:
    cur.execute(sql)
    return pd.DataFrame(cur.fetchall(), columns=[d.name for d in cur.description])


def read_experiment_inputs(conn) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """marts.fct_experiment_comparison, the periods of marts.dim_experiments and CUPED's per-arm sums
    (marts.fct_experiment_cuped)."""
    with conn.cursor() as cur:
        comparisons = _frame(cur, "select * from marts.fct_experiment_comparison")
        experiments = _frame(cur, "select experiment_id, first_seen_at, last_seen_at, ends_on from marts.dim_experiments")
        cuped_moments = _frame(cur, "select * from marts.fct_experiment_cuped")
    return comparisons, experiments, cuped_moments


def write_experiment_statistics(conn, rows: list[dict]) -> None:
    """Replace the whole table in one transaction, like the forecasts."""
    with conn.cursor() as cur:
        cur.execute(f"delete from {SCHEMA}.experiment_statistics")
        if rows:
            execute_values(
                cur, f"insert into {SCHEMA}.experiment_statistics ({', '.join(STATISTICS_COLUMNS)}) values %s",
                [tuple(r[c] for c in STATISTICS_COLUMNS) for r in rows],
            )
