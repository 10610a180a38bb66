"""The semantic layer's definitions read without a Cube server (outcomelens.core.semantic_layer), and
analytics naming its measures instead of redefining them.

Expected parts are read off semantic_layer/model/cubes/attribution_daily.js by eye: a measure's SQL
column, or the two measures a ratio divides.
"""

import pytest

from analytics import insights_store
from analytics.config import (
    METRICS_CUBE,
    ConfigError,
    Metric,
    governed_metric,
    load_anomaly_config,
    load_forecast_config,
)
from outcomelens.core import semantic_layer
from outcomelens.core.semantic_layer import AdditiveParts, MeasureError, additive_parts


@pytest.mark.parametrize(
    ("measure", "numerator", "denominator"),
    [
        ("conversations", "conversations", None),
        ("revenue", "order_value_sum", None),  # the measure's name is not its column's
        ("conversion_rate", "conversions", "conversations"),
        ("average_order_value", "order_value_sum", "conversions"),
        ("cost_per_conversion", "cost_usd", "conversions"),
        ("error_rate", "llm_errors", "llm_calls"),
        ("resolution_time_mean_s", "resolution_time_s_sum", "resolved"),
    ],
)
def test_additive_parts_are_the_cubes_own(measure, numerator, denominator):
    assert additive_parts("attribution_daily", measure) == AdditiveParts(measure, numerator, denominator)


def test_measures_without_additive_parts_are_refused():
    with pytest.raises(MeasureError, match="defines no measure 'conversion_rat'"):
        additive_parts("attribution_daily", "conversion_rat")
    with pytest.raises(MeasureError, match="cannot be re-aggregated"):
        additive_parts("attribution_daily", "latency_p95_ms")  # a percentile of a histogram
    with pytest.raises(MeasureError, match="defines no cube 'attribution'"):
        additive_parts("attribution", "conversions")


def test_the_metrics_cube_reads_the_mart_the_insights_read():
    assert semantic_layer.cube(METRICS_CUBE)["sql_table"] == insights_store.MART


def test_the_conversion_rate_interval_is_defined_over_its_parts():
    low = semantic_layer.measure("attribution_daily", "conversion_rate_ci_low")
    high = semantic_layer.measure("attribution_daily", "conversion_rate_ci_high")
    assert low["meta"]["interval"] == {"method": "wilson", "level": 0.95, "bound": "lower",
                                       "successes": "conversions", "trials": "conversations"}
    assert high["meta"]["interval"]["bound"] == "upper"


def test_shipped_configs_name_measures_of_the_semantic_layer():
    conversion = Metric("conversion_rate", "conversions", "conversations")
    conversations = Metric("conversations", "conversations", None)
    assert load_forecast_config().metrics == (conversion, conversations)
    assert [m.metric for m in load_anomaly_config().metrics] == [conversion, conversations]
    assert governed_metric("conversion_rate") == conversion


def test_a_config_naming_an_undefined_measure_fails(tmp_path):
    forecasts = tmp_path / "forecasts.yaml"
    forecasts.write_text("metrics: [conversion_rate, conversion_ratio]\n")
    with pytest.raises(ConfigError, match=r"metrics.conversion_ratio: .*defines no measure 'conversion_ratio'"):
        load_forecast_config(forecasts)
    rules = tmp_path / "anomaly_rules.yaml"
    rules.write_text("metrics: {revenue_rate: {rules: [{rule: robust_zscore}]}}\n")
    with pytest.raises(ConfigError, match=r"metrics.revenue_rate: .*defines no measure 'revenue_rate'"):
        load_anomaly_config(rules)


def test_a_config_redefining_a_metric_is_refused(tmp_path):
    rules = tmp_path / "anomaly_rules.yaml"
    rules.write_text("metrics: {conversion_rate: {numerator: conversions, denominator: conversations, "
                     "rules: [{rule: robust_zscore}]}}\n")
    with pytest.raises(ConfigError, match="unknown field.*denominator, numerator.*name its measure only"):
        load_anomaly_config(rules)
