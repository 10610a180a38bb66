"""Cube's governed metrics against the same figures computed straight from the marts.

A seeded synthetic world is written into a throwaway database with the contract's columns
(cube_fixtures.py); fct_attribution_daily is built from its row-level marts. Cube reads the daily
mart (through its rollups or not); the expectations here are computed from the row-level marts in
SQL and from the generated rows in Python, never from the daily mart Cube reads.
"""

from __future__ import annotations

import bisect
import json
import math
import time

import pytest
import requests

from outcomelens.core.tokens import mint_token

from .cube_fixtures import (
    LATENCY_EDGES_MS,
    RESOLUTION_EDGES_S,
    create_contract_tables,
    load_world,
    synthetic_world,
)
from .support import number, query_dicts, running_cube

SECRET = "metrics-secret-" + "m" * 32


@pytest.fixture(scope="module")
def world():
    return synthetic_world()


@pytest.fixture(scope="module")
def database(warehouse_db, world):
    load_world(create_contract_tables(warehouse_db), world)
    return warehouse_db


@pytest.fixture(scope="module")
def cube(cube_packages, database, tmp_path_factory):
    with running_cube(database, SECRET, tmp_path_factory.mktemp("cube") / "cube.log") as server:
        yield server


def token(role="admin"):
    return mint_token(role, SECRET)


def histogram_percentile(values, edges, q):
    """The contract's estimate, computed independently from the single values."""
    ordered = sorted(values)
    total = len(ordered)
    if not total:
        return None
    counts = [bisect.bisect_right(ordered, edge) for edge in edges]
    target = q * total
    for i, count in enumerate(counts):
        if count >= target:
            lower_edge = 0 if i == 0 else edges[i - 1]
            lower_count = 0 if i == 0 else counts[i - 1]
            return lower_edge + (edges[i] - lower_edge) * (target - lower_count) / (count - lower_count)
    return edges[-1]


def bucket_index(value, edges):
    return bisect.bisect_left(edges, value)


# --- the business metrics -------------------------------------------------------------------

OUTCOME_SQL = """
select prompt_version,
       avg(case when converted then 1.0 else 0 end) as conversion_rate,
       sum(order_value_usd) / nullif(count(*) filter (where converted), 0) as average_order_value,
       avg(case when deflected then 1.0 else 0 end) as deflection_rate,
       avg(case when escalated then 1.0 else 0 end) as escalation_rate,
       1.0 * sum(thumbs_up) / nullif(sum(thumbs_up + thumbs_down), 0) as thumbs_up_rate,
       avg(csat) as csat,
       avg(resolution_time_s) as resolution_time_mean_s,
       count(*) as conversations
from marts.fct_conversations {where}
group by prompt_version
"""
OUTCOME_NAMES = ["conversion_rate", "average_order_value", "deflection_rate", "escalation_rate",
                 "thumbs_up_rate", "csat", "resolution_time_mean_s", "conversations"]


@pytest.mark.parametrize("view", ["prompt_variants", "experiments", "outcomes_overview"])
def test_outcome_metrics_equal_sql_on_the_row_level_mart(cube, database, view):
    expected = {r["prompt_version"]: r for r in query_dicts(database, OUTCOME_SQL.format(where=""))}
    answer = cube.load({"measures": [f"{view}.{n}" for n in OUTCOME_NAMES],
                        "dimensions": [f"{view}.prompt_version"]}, token())
    got = {r[f"{view}.prompt_version"]: r for r in answer["data"]}
    assert set(got) == set(expected) == {"sales_agent.v1", "sales_agent.v2", "support_agent.v1"}
    for version, row in expected.items():
        for name in OUTCOME_NAMES:
            assert number(got[version][f"{view}.{name}"]) == pytest.approx(number(row[name]), rel=1e-9), (
                version, name)


def test_outcome_metrics_under_a_filter_and_by_week(cube, database):
    expected = {r["prompt_version"]: r for r in query_dicts(
        database, OUTCOME_SQL.format(where="where intent = 'buy' and date_day < '2025-03-08'"))}
    answer = cube.load({
        "measures": [f"outcomes_overview.{n}" for n in OUTCOME_NAMES],
        "dimensions": ["outcomes_overview.prompt_version"],
        "filters": [{"member": "outcomes_overview.intent", "operator": "equals", "values": ["buy"]}],
        "timeDimensions": [{"dimension": "outcomes_overview.date_day",
                            "dateRange": ["2025-03-01", "2025-03-07"]}],
    }, token("product_manager"))
    got = {r["outcomes_overview.prompt_version"]: r for r in answer["data"]}
    assert set(got) == set(expected)
    for version, row in expected.items():
        for name in OUTCOME_NAMES:
            assert number(got[version][f"outcomes_overview.{name}"]) == pytest.approx(
                number(row[name]), rel=1e-9), (version, name)

    weekly = cube.load({
        "measures": ["standard_reports.conversion_rate", "standard_reports.conversations"],
        "timeDimensions": [{"dimension": "standard_reports.date_day", "granularity": "week",
                            "dateRange": ["2025-03-01", "2025-03-31"]}],
        "order": {"standard_reports.date_day": "asc"},
    }, token("enablement"))["data"]
    by_week = query_dicts(database, """
        select date_trunc('week', date_day)::date as week,
               avg(case when converted then 1.0 else 0 end) as rate, count(*) as n
        from marts.fct_conversations group by 1 order by 1""")
    assert [(r["standard_reports.date_day.week"][:10], number(r["standard_reports.conversion_rate"]),
             number(r["standard_reports.conversations"])) for r in weekly] == [
        (str(r["week"]), pytest.approx(float(r["rate"]), rel=1e-9), r["n"]) for r in by_week]


# --- percentiles from the cumulative histograms ---------------------------------------------


def test_latency_percentiles_reaggregate_from_the_histogram(cube, database, world):
    answer = cube.load({
        "measures": ["prompt_variants.latency_p50_ms", "prompt_variants.latency_p95_ms",
                     "prompt_variants.latency_mean_ms", "prompt_variants.llm_calls"],
        "dimensions": ["prompt_variants.llm_model"],
    }, token("prompt_engineer"))
    got = {r["prompt_variants.llm_model"]: r for r in answer["data"]}
    exact = {r["llm_model"]: r for r in query_dicts(database, """
        select llm_model, percentile_cont(0.95) within group (order by latency_ms) as p95,
               count(*) as n from marts.fct_llm_calls group by llm_model""")}
    assert set(got) == set(exact) and len(got) == 3
    for model, row in got.items():
        latencies = [c["latency_ms"] for c in world["calls"] if c["llm_model"] == model]
        assert number(row["prompt_variants.llm_calls"]) == len(latencies) == exact[model]["n"]
        assert number(row["prompt_variants.latency_mean_ms"]) == pytest.approx(
            sum(latencies) / len(latencies), rel=1e-9)
        for q, name in ((0.5, "latency_p50_ms"), (0.95, "latency_p95_ms")):
            assert number(row[f"prompt_variants.{name}"]) == pytest.approx(
                histogram_percentile(latencies, LATENCY_EDGES_MS, q), rel=1e-9), (model, name)
        # Within one bucket of the exact percentile over single calls.
        estimate = number(row["prompt_variants.latency_p95_ms"])
        assert abs(bucket_index(estimate, LATENCY_EDGES_MS)
                   - bucket_index(float(exact[model]["p95"]), LATENCY_EDGES_MS)) <= 1, model


def test_latency_p95_is_not_an_average_of_daily_percentiles(cube, world):
    overall = cube.load({"measures": ["model_health.latency_p95_ms"]}, token("engineer"))["data"]
    latencies = [c["latency_ms"] for c in world["calls"]]
    assert number(overall[0]["model_health.latency_p95_ms"]) == pytest.approx(
        histogram_percentile(latencies, LATENCY_EDGES_MS, 0.95), rel=1e-9)
    daily = cube.load({"measures": ["model_health.latency_p95_ms"],
                       "timeDimensions": [{"dimension": "model_health.date_day",
                                           "granularity": "day"}]}, token("engineer"))["data"]
    mean_of_days = sum(number(r["model_health.latency_p95_ms"]) for r in daily) / len(daily)
    assert mean_of_days != pytest.approx(number(overall[0]["model_health.latency_p95_ms"]), rel=1e-3)


def test_resolution_time_percentiles(cube, world):
    answer = cube.load({
        "measures": ["outcomes_overview.resolution_time_p50_s",
                     "outcomes_overview.resolution_time_p90_s"],
        "dimensions": ["outcomes_overview.variant"],
        "filters": [{"member": "outcomes_overview.experiment_id", "operator": "equals",
                     "values": ["exp_sales_prompt"]}],
    }, token("operations"))
    got = {r["outcomes_overview.variant"]: r for r in answer["data"]}
    assert set(got) == {"control", "treatment"}
    for variant, row in got.items():
        times = [c["resolution_time_s"] for c in world["conversations"]
                 if c["variant"] == variant and c["experiment_id"] == "exp_sales_prompt"
                 and c["resolved"]]
        for q, name in ((0.5, "resolution_time_p50_s"), (0.9, "resolution_time_p90_s")):
            assert number(row[f"outcomes_overview.{name}"]) == pytest.approx(
                histogram_percentile(times, RESOLUTION_EDGES_S, q), rel=1e-9), (variant, name)


def test_llm_usage_and_feedback_means(cube, world):
    row = cube.load({"measures": ["model_health.ttft_mean_ms", "model_health.total_tokens",
                                  "model_health.cached_input_tokens", "model_health.error_rate",
                                  "model_health.cost"]}, token("engineer"))["data"][0]
    calls = world["calls"]
    assert number(row["model_health.ttft_mean_ms"]) == pytest.approx(
        sum(c["time_to_first_token_ms"] for c in calls) / len(calls), rel=1e-9)
    assert number(row["model_health.total_tokens"]) == sum(
        c["input_tokens"] + c["output_tokens"] for c in calls)
    assert number(row["model_health.cached_input_tokens"]) == sum(
        c["cached_input_tokens"] for c in calls)
    assert number(row["model_health.error_rate"]) == pytest.approx(
        sum(c["is_error"] for c in calls) / len(calls), rel=1e-9)
    assert number(row["model_health.cost"]) == pytest.approx(sum(c["cost_usd"] for c in calls))
    ratings = [c["rating_mean"] for c in world["conversations"] if c["rating_mean"] is not None]
    rating = cube.load({"measures": ["experiments.average_rating"]}, token())["data"][0]
    assert number(rating["experiments.average_rating"]) == pytest.approx(sum(ratings) / len(ratings))


# --- the other marts ------------------------------------------------------------------------


def test_sample_ratio_mismatch_beside_each_comparison_and_every_experiment_with_its_registration(cube, world):
    rows = cube.load({
        "dimensions": ["experiments.comparison_metric_name", "experiments.comparison_sample_ratio_mismatch",
                       "experiments.comparison_srm_chi_square"],
        "order": {"experiments.comparison_metric_name": "asc"},
    }, token("product_manager"))["data"]
    assert [(r["experiments.comparison_metric_name"], r["experiments.comparison_sample_ratio_mismatch"],
             round(number(r["experiments.comparison_srm_chi_square"]), 2)) for r in rows] == [
        ("average_order_value", True, 26.32), ("conversion_rate", True, 26.32)]
    # the statistics stored by the experiment_statistics asset, beside their comparison
    stats = cube.load({"dimensions": ["experiments.comparison_metric_name", "experiments.comparison_p_value_holm",
                                      "experiments.comparison_always_valid_significant", "experiments.comparison_days_to_detect"],
                       "filters": [{"member": "experiments.comparison_metric_name", "operator": "equals",
                                    "values": ["conversion_rate"]}]}, token("product_manager"))["data"]
    assert [(number(r["experiments.comparison_p_value_holm"]), r["experiments.comparison_always_valid_significant"],
             number(r["experiments.comparison_days_to_detect"])) for r in stats] == [(0.04, False, 30.0)]
    # each comparison row carries its registration, its SRM p-value and CUPED beside the raw interval
    carried = cube.load({"dimensions": [
        "experiments.comparison_metric_name", "experiments.comparison_registration_status",
        "experiments.comparison_variant_registration", "experiments.comparison_srm_p_value",
        "experiments.comparison_always_valid_ci_low", "experiments.comparison_cuped_variance_reduction",
        "experiments.comparison_cuped_difference", "experiments.comparison_cuped_ci_low", "experiments.comparison_ci_low"],
        "filters": [{"member": "experiments.comparison_metric_name", "operator": "equals", "values": ["conversion_rate"]}],
    }, token("product_manager"))["data"]
    assert [(r["experiments.comparison_registration_status"], r["experiments.comparison_variant_registration"],
             number(r["experiments.comparison_srm_p_value"]), number(r["experiments.comparison_always_valid_ci_low"]),
             number(r["experiments.comparison_cuped_variance_reduction"]), number(r["experiments.comparison_cuped_difference"]),
             number(r["experiments.comparison_cuped_ci_low"]), number(r["experiments.comparison_ci_low"]))
            for r in carried] == [("registered", "registered", 2.9e-07, -0.01, 0.05, 0.078, 0.012, 0.01)]
    # the registry alone: every experiment, an unregistered one marked so
    registry = cube.load({"dimensions": ["experiments.registry_experiment_id", "experiments.registry_registration_status",
                                         "experiments.registry_primary_metric"],
                          "order": {"experiments.registry_experiment_id": "asc"}}, token("product_manager"))["data"]
    assert [tuple(r.values()) for r in registry] == [
        ("exp_sales_prompt", "registered", "conversion_rate"), ("exp_support_tone", "unregistered", None)]


def test_comparison_forecasts_anomalies_and_calls_are_served(cube, world):
    comparison = cube.load({
        "dimensions": ["experiments.comparison_metric_name", "experiments.comparison_difference",
                       "experiments.comparison_ci_low", "experiments.comparison_ci_high",
                       "experiments.comparison_significant"],
        "order": {"experiments.comparison_metric_name": "asc"},
    }, token("product_manager"))["data"]
    assert [(r["experiments.comparison_metric_name"], number(r["experiments.comparison_difference"]),
             r["experiments.comparison_significant"]) for r in comparison] == [
        ("average_order_value", -5.0, False), ("conversion_rate", 0.08, True)]

    forecast = cube.load({"measures": ["outcomes_overview.forecast_points"],
                          "dimensions": ["outcomes_overview.forecast_model"]}, token())["data"]
    assert forecast == [{"outcomes_overview.forecast_points": "7",
                         "outcomes_overview.forecast_model": "auto_arima"}]

    anomaly = cube.load({"measures": ["model_health.anomaly_critical"],
                         "dimensions": ["model_health.anomaly_top_contributor_value"]},
                        token("operations"))["data"]
    assert anomaly == [{"model_health.anomaly_critical": "1",
                        "model_health.anomaly_top_contributor_value": "buy"}]

    calls = cube.load({"measures": ["operations_drilldown.call_count",
                                    "operations_drilldown.call_latency_p95_exact_ms"],
                       "filters": [{"member": "operations_drilldown.conversation_id",
                                    "operator": "equals", "values": ["conv_00003"]}]},
                      token("engineer"))["data"][0]
    mine = sorted(c["latency_ms"] for c in world["calls"] if c["conversation_id"] == "conv_00003")
    assert number(calls["operations_drilldown.call_count"]) == len(mine)
    assert number(calls["operations_drilldown.call_latency_p95_exact_ms"]) == pytest.approx(
        _percentile_cont(mine, 0.95))


def _percentile_cont(ordered, q):
    position = q * (len(ordered) - 1)
    low, high = math.floor(position), math.ceil(position)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


# --- GraphQL --------------------------------------------------------------------------------


def test_graphql_answers_the_same(cube):
    query = {"measures": ["prompt_variants.conversion_rate", "prompt_variants.latency_p95_ms",
                          "prompt_variants.deflection_rate"],
             "dimensions": ["prompt_variants.prompt_version"]}
    rest = {r["prompt_variants.prompt_version"]: r for r in cube.load(query, token())["data"]}
    data = cube.graphql("{ cube { prompt_variants { prompt_version conversion_rate "
                        "latency_p95_ms deflection_rate } } }", token("prompt_engineer"))
    gql = {r["prompt_variants"]["prompt_version"]: r["prompt_variants"] for r in data["cube"]}
    assert set(gql) == set(rest)
    for version, row in rest.items():
        for name in ("conversion_rate", "latency_p95_ms", "deflection_rate"):
            assert gql[version][name] == pytest.approx(number(row[f"prompt_variants.{name}"]))


# --- pre-aggregations -----------------------------------------------------------------------

ROLLUP_QUERY = {
    "measures": ["experiments.conversion_rate", "experiments.average_order_value",
                 "experiments.conversations", "experiments.csat",
                 "experiments.resolution_time_mean_s"],
    "dimensions": ["experiments.variant", "experiments.prompt_version"],
    "timeDimensions": [{"dimension": "experiments.date_day", "granularity": "day",
                        "dateRange": ["2025-03-01", "2025-03-12"]}],
    "order": [["experiments.date_day", "asc"], ["experiments.prompt_version", "asc"]],
}
# config_hash is in no rollup: the same figures, read from the mart itself.
UNMATCHED_FILTER = {"member": "experiments.config_hash", "operator": "set"}


def _rows(answer):
    return [{k: number(v) if k.endswith(("rate", "value", "conversations", "csat", "_s")) else v
             for k, v in r.items()} for r in answer["data"]]


def planned_rollups(cube, query, role) -> list[str]:
    """The rollups Cube reads for `query`, from /v1/sql (the plan /v1/load executes).

    In production mode /v1/load leaves `usedPreAggregations` out of its answer (Cube shows it only
    in dev mode or to playground tokens), so the plan is read where Cube does show it.
    """
    response = requests.get(f"{cube.api_url}/v1/sql", params={"query": json.dumps(query)},
                            headers={"Authorization": token(role)}, timeout=60)
    assert response.status_code == 200, response.text
    plan = response.json()["sql"]
    rollups = [p["tableName"] for p in plan["preAggregations"]]
    for table in rollups:  # and the SQL of the answer reads that table, not the mart
        assert table in plan["sql"][0] and "marts.fct_attribution_daily" not in plan["sql"][0]
    return rollups


def rollup_tables(database) -> set[str]:
    return {r["table_name"] for r in query_dicts(database, """
        select table_name from information_schema.tables
        where table_schema = 'cube_pre_aggregations'""")}


def test_rollups_answer_as_the_mart_does(cube, database):
    unmatched = {**ROLLUP_QUERY, "filters": [UNMATCHED_FILTER]}
    assert planned_rollups(cube, ROLLUP_QUERY, "product_manager") == [
        "cube_pre_aggregations.attribution_daily_experiments"]
    assert planned_rollups(cube, unmatched, "product_manager") == []
    with_rollup = cube.load(ROLLUP_QUERY, token("product_manager"), timeout_s=120)
    without = cube.load(unmatched, token("product_manager"))
    # Cube versions its tables: attribution_daily_experiments_<content hash>_<suffix>.
    assert any(t.startswith("attribution_daily_experiments_") and "histograms" not in t
               for t in rollup_tables(database))
    # A percentile needs the histogram parts: the wider rollup answers it, the narrow one the rest.
    percentile = {"measures": ["prompt_variants.latency_p95_ms"],
                  "dimensions": ["prompt_variants.llm_model"]}
    assert planned_rollups(cube, percentile, "prompt_engineer") == [
        "cube_pre_aggregations.attribution_daily_experiments_histograms"]
    assert planned_rollups(cube, {**percentile, "measures": ["prompt_variants.conversion_rate"]},
                           "prompt_engineer") == [
        "cube_pre_aggregations.attribution_daily_experiments"]
    left, right = _rows(with_rollup), _rows(without)
    assert len(left) == len(right) > 30
    for a, b in zip(left, right):
        assert a.keys() == b.keys()
        for key in a:
            if isinstance(a[key], float):
                assert a[key] == pytest.approx(b[key], rel=1e-9), key
            else:
                assert a[key] == b[key], key

    overview = {"measures": ["outcomes_overview.resolution_time_p90_s",
                             "outcomes_overview.conversion_rate"],
                "dimensions": ["outcomes_overview.intent"]}
    assert planned_rollups(cube, overview, "operations") == [
        "cube_pre_aggregations.attribution_daily_overview_histograms"]
    rolled = cube.load(overview, token("operations"), timeout_s=120)["data"]
    raw = cube.load({**overview, "filters": [
        {"member": "outcomes_overview.config_hash", "operator": "set"}]}, token("operations"))["data"]
    key = "outcomes_overview.intent"
    assert sorted(rolled, key=lambda r: r[key]) == sorted(raw, key=lambda r: r[key])


def test_rollups_follow_a_rebuilt_mart(cube, database):
    query = {"measures": ["standard_reports.conversations"]}
    assert planned_rollups(cube, query, "enablement")
    before = cube.load(query, token("enablement"), timeout_s=120)
    assert number(before["data"][0]["standard_reports.conversations"]) == 900
    # As dbt's table materialization does: a new relation swapped in under the same name, in one
    # transaction.
    with database.connection() as conn, conn.cursor() as cur:
        cur.execute("""
            create table marts.fct_attribution_daily__new as
              select * from marts.fct_attribution_daily where intent <> 'support';
            alter table marts.fct_attribution_daily rename to fct_attribution_daily__old;
            alter table marts.fct_attribution_daily__new rename to fct_attribution_daily;""")
        cur.execute("select sum(conversations) from marts.fct_attribution_daily")
        remaining = int(cur.fetchone()[0])
    assert remaining < 900
    deadline = time.monotonic() + 120
    while True:
        answer = cube.load(query, token("enablement"), timeout_s=120)
        if number(answer["data"][0]["standard_reports.conversations"]) == remaining:
            break
        assert time.monotonic() < deadline, "the rollup was not rebuilt after the mart changed"
        time.sleep(1)
    assert planned_rollups(cube, query, "enablement")
    with database.connection() as conn, conn.cursor() as cur:  # the original back, for the module's other tests
        cur.execute("""
            drop table marts.fct_attribution_daily;
            alter table marts.fct_attribution_daily__old rename to fct_attribution_daily;""")
