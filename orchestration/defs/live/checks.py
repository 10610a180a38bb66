"""Freshness checks, one per table the collector loads: the newest row's age (marts.source_freshness,
the same figure Cube's `freshness` view serves) against LiveSettings.freshness_max_age_s.

The freshness sensor (sensors.py) evaluates them every few seconds without a run and reports the
result; the checks are also definitions so the UI lists them and they can be run by hand."""

from __future__ import annotations

import datetime as dt

import dagster as dg

from orchestration.defs.live.resources import LiveSettings
from orchestration.defs.warehouse.resources import WarehouseResource
from outcomelens.contract import COLLECTOR_TABLES, RAW_TABLES

CHECK_NAME = "freshness"
# The collector's tables dbt reads (dead letters are not modelled); their assets are the dlt ones.
FRESH_TABLES = tuple(t for t in COLLECTOR_TABLES if RAW_TABLES[t].dbt_source)


def raw_asset_key(table: str) -> dg.AssetKey:
    return dg.AssetKey(["dlt", "landing", table])


def newest_loaded(conn) -> dict[str, dt.datetime | None]:
    """Per raw table, when its newest row was loaded; empty when the view is not built yet."""
    with conn.cursor() as cur:
        cur.execute("select to_regclass('marts.source_freshness')")
        if cur.fetchone()[0] is None:
            return {}
        cur.execute("select table_name, newest_loaded_at from marts.source_freshness")
        return dict(cur.fetchall())


def evaluate(table: str, newest: dict, max_age_s: int, now: dt.datetime) -> dg.AssetCheckEvaluation:
    loaded_at = newest.get(table)
    if table not in newest:
        passed, severity, text, age = False, dg.AssetCheckSeverity.WARN, "marts.source_freshness is not built yet", None
    elif loaded_at is None:
        passed, severity, text, age = False, dg.AssetCheckSeverity.WARN, f"raw.{table} has no row yet", None
    else:
        age = (now - loaded_at).total_seconds()
        passed, severity = age <= max_age_s, dg.AssetCheckSeverity.ERROR
        text = f"newest row of raw.{table} loaded {age:.0f} s ago (at most {max_age_s} s)"
    return dg.AssetCheckEvaluation(
        asset_key=raw_asset_key(table),
        check_name=CHECK_NAME,
        passed=passed,
        severity=severity,
        description=text,
        metadata={
            "age_s": dg.MetadataValue.float(age) if age is not None else dg.MetadataValue.null(),
            "max_age_s": max_age_s,
        },
    )


def evaluate_all(warehouse: WarehouseResource, settings: LiveSettings) -> list[dg.AssetCheckEvaluation]:
    with warehouse.connection() as conn:
        newest = newest_loaded(conn)
    now = dt.datetime.now(dt.timezone.utc)
    return [evaluate(table, newest, settings.freshness_max_age_s, now) for table in FRESH_TABLES]


def _check_for(table: str) -> dg.AssetChecksDefinition:
    @dg.asset_check(
        asset=raw_asset_key(table),
        name=CHECK_NAME,
        blocking=False,
        description=f"raw.{table}: its newest row is at most OUTCOMELENS_FRESHNESS_MAX_AGE_S (default 60) seconds old",
    )
    def freshness_check(warehouse: WarehouseResource, live: LiveSettings) -> dg.AssetCheckResult:
        [evaluation] = [e for e in evaluate_all(warehouse, live) if e.asset_key == raw_asset_key(table)]
        return dg.AssetCheckResult(
            passed=evaluation.passed,
            severity=evaluation.severity,
            description=evaluation.description,
            metadata=evaluation.metadata,
        )

    return freshness_check


FRESHNESS_CHECKS = [_check_for(table) for table in FRESH_TABLES]
