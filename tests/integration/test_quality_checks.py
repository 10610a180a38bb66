"""Great Expectations suites as Dagster asset checks, and the data-quality sensor, on real data.

A small demo (3,000 conversations) is generated, loaded with dlt into a throwaway database on the
local Postgres and built with dbt. The checks run through the Dagster job `data_quality_checks`
against that warehouse (OUTCOMELENS_WAREHOUSE_URL): all pass on clean data; after real rows are
corrupted (a negative latency and an unknown status landed in raw.llm_calls, a conversation marked
converted without a deal in the mart) the matching checks fail, and evaluating the sensor writes one
ops.alerts record per failed check, once.
"""

from __future__ import annotations

import dataclasses
import shutil
from datetime import date
from pathlib import Path

import dagster as dg
import pytest

from expectations.runner import run_suite, sqlalchemy_url, suite_named
from expectations.suites import MART_SUITES, RAW_SUITES
from ingestion.demo.generate import generate
from tests.integration.support import NEEDS_DBT, PG_SOCKET_DIR, dlt_load, environment, query

pytestmark = NEEDS_DBT


@pytest.fixture(scope="module")
def warehouse(warehouse_db, dbt, tmp_path_factory):
    workdir = tmp_path_factory.mktemp("quality")
    generate(workdir / "landing", conversations=3_000, seed=5, days=30, end_date=date(2026, 11, 1))
    dlt_load(workdir / "landing", warehouse_db, workdir / "dlt")
    dbt("seed")
    dbt("build")
    url = warehouse_db.url(hide_password=False)
    with environment(OUTCOMELENS_WAREHOUSE_URL=url, OUTCOMELENS_DATA_DIR=str(workdir / "data")):
        (workdir / "dagster").mkdir()
        yield warehouse_db, dg.DagsterInstance.local_temp(str(workdir / "dagster"))
    shutil.rmtree(workdir, ignore_errors=True)


def _defs():
    from orchestration.definitions import defs

    return defs


def _evaluations(result) -> dict[str, dg.AssetCheckEvaluation]:
    return {e.check_name: e for e in result.get_asset_check_evaluations()}


def _sensor_tick(instance, cursor=None):
    from orchestration.defs.quality.sensors import data_quality_sensor
    from orchestration.defs.warehouse.resources import WarehouseResource

    context = dg.build_sensor_context(instance=instance, cursor=cursor, resources={"warehouse": WarehouseResource()})
    result = data_quality_sensor(context)
    return result, context.cursor


def _alerts(wh):
    if query(wh, "select to_regclass('ops.alerts')")[0][0] is None:
        return []
    return query(wh, "select source, dedup_key, severity, title, payload from ops.alerts order by dedup_key")


def test_definitions_show_gx_suites_as_asset_checks():
    graph = _defs().resolve_asset_graph()
    checks = {(key.asset_key.path[0], key.asset_key.to_user_string(), key.name) for key in graph.asset_check_keys}
    for suite in RAW_SUITES + MART_SUITES:
        key = dg.AssetKey(list(suite.asset_key))
        assert key in graph.get_all_asset_keys(), suite.asset_key
        assert (suite.asset_key[0], key.to_user_string(), f"gx_{suite.name}") in checks
    assert {s.asset_key[0] for s in RAW_SUITES} == {"dlt"} and {s.asset_key[0] for s in MART_SUITES} == {"marts"}
    job = _defs().resolve_job_def("data_quality_checks")
    assert {k.name for k in job.asset_layer.asset_graph.asset_check_keys} >= {f"gx_{s.name}" for s in RAW_SUITES}
    sensor = _defs().resolve_sensor_def("data_quality_alerts")
    assert sensor.default_status == dg.DefaultSensorStatus.RUNNING


def test_failed_checks_fire_the_data_quality_sensor(warehouse):
    wh, instance = warehouse
    job = _defs().resolve_job_def("data_quality_checks")

    clean = job.execute_in_process(instance=instance)
    evaluations = _evaluations(clean)
    assert len(evaluations) == 9
    assert all(e.passed for e in evaluations.values()), {
        name: e.description for name, e in evaluations.items() if not e.passed
    }
    result, cursor = _sensor_tick(instance)
    assert isinstance(result, dg.SkipReason) and "no new failed" in result.skip_message
    assert _alerts(wh) == []

    with wh.connection() as conn, conn.cursor() as cur:
        cur.execute("""
            insert into raw.llm_calls (event_id, occurred_at, conversation_id, trace_id, span_id, customer_ref,
                experiment_id, variant, prompt_id, prompt_version, config, config_hash, llm_provider, llm_model,
                intent, capability, action, latency_ms, time_to_first_token_ms, input_tokens, output_tokens,
                cached_input_tokens, cost_usd, status, project, _dlt_load_id)
            select 'corrupt-1', occurred_at, conversation_id, trace_id, 'corrupt-span', customer_ref,
                experiment_id, variant, prompt_id, prompt_version, config, config_hash, llm_provider, llm_model,
                intent, capability, action, -40.0, time_to_first_token_ms, input_tokens, output_tokens,
                cached_input_tokens, cost_usd, 'exploded', project, _dlt_load_id
            from raw.llm_calls limit 1
        """)
        cur.execute("""
            update marts.fct_conversations set converted = true
            where conversation_id = (select min(conversation_id) from marts.fct_conversations where not converted)
        """)

    broken = job.execute_in_process(instance=instance)
    evaluations = _evaluations(broken)
    failed = {name for name, e in evaluations.items() if not e.passed}
    assert failed == {"gx_raw_llm_calls", "gx_marts_fct_conversations", "gx_marts_fct_attribution_daily"}
    raw_failures = evaluations["gx_raw_llm_calls"].metadata["failed"].value
    assert {(f["expectation"], f["column"]) for f in raw_failures} == {
        ("expect_column_values_to_be_between", "latency_ms"),
        ("expect_column_values_to_be_in_set", "status"),
    }

    result, cursor = _sensor_tick(instance, cursor)
    alerts = _alerts(wh)
    assert [(source, key, severity) for source, key, severity, _, _ in alerts] == [
        ("data_quality", "dlt/landing/llm_calls:gx_raw_llm_calls", "critical"),
        ("data_quality", "marts/fct_attribution_daily:gx_marts_fct_attribution_daily", "critical"),
        ("data_quality", "marts/fct_conversations:gx_marts_fct_conversations", "critical"),
    ]
    payload = alerts[0][4]
    assert payload["run_id"] == broken.run_id and payload["metadata"]["expectations_failed"] == 2
    assert "gx_raw_llm_calls" in alerts[0][3]

    # a second tick sees nothing new: one alert per failed evaluation
    result, _ = _sensor_tick(instance, cursor)
    assert "no new failed" in result.skip_message
    assert len(_alerts(wh)) == 3


def test_suite_runs_over_a_unix_socket(warehouse, tmp_path):
    socket_dir = PG_SOCKET_DIR
    if not Path(socket_dir).is_dir():
        pytest.skip(f"no unix-socket directory {socket_dir}")
    tcp, _ = warehouse
    wh = dataclasses.replace(tcp, host=socket_dir)
    assert sqlalchemy_url(wh) == f"postgresql+psycopg2://{tcp.user}@/{tcp.database}?host={socket_dir}&port={tcp.port}"
    outcome = run_suite(suite_named("raw_feedback"), wh, tmp_path / "gx")
    assert outcome.success and outcome.evaluated == 13, outcome.failed
