"""The freshness check's verdict against planted load times: fresh up to the threshold, failed (an
error) past it, a warning while a table has no row or the freshness view is not built yet."""

import datetime as dt

import dagster as dg

from orchestration.defs.live.checks import FRESH_TABLES, evaluate, raw_asset_key

NOW = dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.timezone.utc)


def _at(seconds_ago: float) -> dict:
    return {"llm_calls": NOW - dt.timedelta(seconds=seconds_ago)}


def test_the_collectors_modelled_tables_are_checked():
    assert FRESH_TABLES == ("llm_calls", "conversation_events", "feedback", "outcome_metrics")


def test_fresh_up_to_the_threshold_and_failed_past_it():
    fresh = evaluate("llm_calls", _at(60), 60, NOW)
    assert fresh.passed and fresh.metadata["age_s"].value == 60.0
    assert fresh.asset_key == raw_asset_key("llm_calls") == dg.AssetKey(["dlt", "landing", "llm_calls"])
    stale = evaluate("llm_calls", _at(61), 60, NOW)
    assert not stale.passed and stale.severity == dg.AssetCheckSeverity.ERROR
    assert "61 s ago" in stale.description


def test_no_row_or_no_view_is_a_warning():
    empty = evaluate("feedback", {"feedback": None}, 60, NOW)
    assert not empty.passed and empty.severity == dg.AssetCheckSeverity.WARN
    unbuilt = evaluate("llm_calls", {}, 60, NOW)
    assert not unbuilt.passed and "not built" in unbuilt.description
