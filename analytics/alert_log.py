"""The alert record: every alert (data quality, anomaly) is written here first, then delivered.

Delivery (webhooks, Slack) reads from ops.alerts and writes ops.alert_deliveries; writing the record
never depends on a receiver being up. Both tables are created by the core's migrations
(outcomelens/core/migrations/0001_ops.sql).
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

ALERTS_SCHEMA = "ops"

SEVERITIES = ("info", "warning", "critical")


def record_alert(
    conn, *, source: str, dedup_key: str, severity: str, title: str, payload: dict[str, Any], occurrence: str
) -> str | None:
    """Write one alert; returns its id, or None when this occurrence was already recorded.

    `occurrence` names what happened (a run id, a day): the same key and occurrence is one alert,
    however often a sensor re-evaluates it.
    """
    if severity not in SEVERITIES:
        raise ValueError(f"severity must be one of {SEVERITIES}, got {severity!r}")
    alert_id = hashlib.sha256(f"{source}\x1f{dedup_key}\x1f{occurrence}".encode()).hexdigest()[:24]
    with conn.cursor() as cur:
        cur.execute(
            f"""insert into {ALERTS_SCHEMA}.alerts (alert_id, source, dedup_key, severity, title, payload)
                values (%s, %s, %s, %s, %s, %s) on conflict (alert_id) do nothing returning alert_id""",
            (alert_id, source, dedup_key, severity, title, json.dumps(payload, default=str)),
        )
        row = cur.fetchone()
    return row[0] if row else None
