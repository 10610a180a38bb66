"""The data-quality sensor: every failed Great Expectations check becomes an alert record in
ops.alerts (analytics/alert_log.py), where alert delivery picks it up."""


import json

import dagster as dg
from dagster._core.storage.asset_check_execution_record import AssetCheckExecutionRecordStatus

from analytics.alert_log import record_alert
from orchestration.defs.quality.checks import GX_CHECK_KEYS
from orchestration.defs.warehouse.resources import WarehouseResource

ALERT_SOURCE = "data_quality"
HISTORY = 20  # evaluations read per check and tick; more than a check runs between two ticks


def _severity(evaluation) -> str:
    return "critical" if evaluation.severity == dg.AssetCheckSeverity.ERROR else "warning"


def failed_evaluations(instance: dg.DagsterInstance, cursor: dict[str, int]) -> tuple[list[dict], dict[str, int]]:
    """Failed check evaluations newer than the cursor (per check, the last storage id seen)."""
    failures, new_cursor = [], dict(cursor)
    for check_key in GX_CHECK_KEYS:
        name = check_key.to_user_string()
        seen = cursor.get(name, 0)
        records = instance.event_log_storage.get_asset_check_execution_history(check_key, limit=HISTORY)
        for record in records:
            if record.id <= seen or record.status == AssetCheckExecutionRecordStatus.PLANNED:
                continue
            new_cursor[name] = max(new_cursor.get(name, 0), record.id)
            if record.status != AssetCheckExecutionRecordStatus.FAILED:
                continue
            evaluation = record.event.dagster_event.event_specific_data
            metadata = {k: v.value for k, v in evaluation.metadata.items()}
            failures.append({
                "check": name,
                "asset": check_key.asset_key.to_user_string(),
                "run_id": record.run_id,
                "severity": _severity(evaluation),
                "description": evaluation.description,
                "metadata": metadata,
            })
    return failures, new_cursor


@dg.sensor(
    name="data_quality_alerts",
    minimum_interval_seconds=60,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Writes an ops.alerts record (source data_quality) for every failed Great Expectations check.",
)
def data_quality_sensor(context: dg.SensorEvaluationContext, warehouse: WarehouseResource):
    cursor = json.loads(context.cursor) if context.cursor else {}
    failures, new_cursor = failed_evaluations(context.instance, cursor)
    recorded = []
    if failures:
        with warehouse.connection() as conn:
            for failure in failures:
                alert_id = record_alert(
                    conn,
                    source=ALERT_SOURCE,
                    dedup_key=failure["check"],
                    severity=failure["severity"],
                    title=f"Data-quality check {failure['check']} failed on {failure['asset']}",
                    payload=failure,
                    occurrence=failure["run_id"],
                )
                if alert_id:
                    recorded.append(alert_id)
    context.update_cursor(json.dumps(new_cursor, sort_keys=True))
    if not failures:
        return dg.SkipReason("no new failed data-quality checks")
    context.log.info(f"recorded {len(recorded)} data-quality alert(s) for {len(failures)} failed check(s)")
    return dg.SkipReason(f"recorded {len(recorded)} alert(s) in ops.alerts for {len(failures)} failed check(s)")
