"""The one contract (outcomelens.contract) and every copy of it: each copy agrees with the registry,
and the drift checks do report a copy that was altered, naming the table and column."""

from __future__ import annotations

import shutil
from pathlib import Path

import pyarrow as pa
import pytest
from typing_extensions import NotRequired, TypedDict

from analytics import config as analytics_config
from expectations.suites import SUITES, E, Suite
from ingestion.collector.batches import Rejection, dead_letter_rows
from ingestion.collector.records import ITEM_ADAPTERS, RECORD_KINDS
from ingestion.demo import truth_counts
from ingestion.demo.schemas import SCHEMAS as DEMO_SCHEMAS
from ingestion.demo.schemas import TABLES as DEMO_TABLES
from ingestion.sources import provider_usage
from ingestion.sources.hubspot import source as hubspot
from ingestion.sources.spool.source import CORE_SCHEMAS, PRIMARY_KEYS
from outcomelens.contract import (
    ANALYSIS_DIMENSIONS,
    COLLECTOR_TABLES,
    LATENCY_EDGES_MS,
    RAW_TABLES,
    RESOLUTION_EDGES_S,
    SEGMENT_DIMENSIONS,
    drift,
)
from outcomelens.contract import docs as contract_docs

REPO = Path(__file__).resolve().parents[2]
PRODUCT_PACKAGES = ("analytics", "benchmarks", "expectations", "ingestion", "orchestration", "outcomelens")


# --- the registry itself, against known truth ---------------------------------------------------


def test_registry_states_the_known_contract():
    assert SEGMENT_DIMENSIONS == ("experiment_id", "variant", "prompt_id", "prompt_version", "config_hash",
                                  "llm_provider", "llm_model", "intent", "capability", "action")
    assert ANALYSIS_DIMENSIONS == ("experiment_id", "variant", "prompt_version", "llm_model", "intent",
                                   "capability", "action")
    assert LATENCY_EDGES_MS[0] == 100 and LATENCY_EDGES_MS[-1] == 60000 and len(LATENCY_EDGES_MS) == 17
    assert RESOLUTION_EDGES_S[0] == 30 and RESOLUTION_EDGES_S[-1] == 86400 and len(RESOLUTION_EDGES_S) == 15
    assert COLLECTOR_TABLES == ("llm_calls", "conversation_events", "feedback", "outcome_metrics", "dead_letters")
    assert RAW_TABLES["llm_calls"].required == ("event_id", "occurred_at", "conversation_id", "llm_model")
    assert RAW_TABLES["feedback"].required == ("event_id", "occurred_at", "kind", "value")
    assert RAW_TABLES["hubspot_deal_contact_associations"].primary_key == ("deal_id", "contact_id")
    assert len(RAW_TABLES["llm_calls"].columns) == 28
    for table in ("llm_calls", "conversation_events", "feedback", "outcome_metrics"):
        assert RAW_TABLES[table].primary_key == ("project", "event_id")
        assert RAW_TABLES[table].stamped == ("project", "ingestion_key_id")


@pytest.mark.parametrize("table", list(RAW_TABLES.values()), ids=lambda table: table.name)
def test_registry_is_consistent(table):
    assert len(set(table.column_names)) == len(table.column_names)
    for key in table.primary_key:
        assert not table.column(key).nullable, f"{table.name}.{key} is a key"
    for column in table.columns:
        assert not (column.required and column.nullable), column.name
        assert not column.closed or column.values, column.name
        assert not column.values or column.type == "text", column.name
    assert list(LATENCY_EDGES_MS) == sorted(set(LATENCY_EDGES_MS))
    assert list(RESOLUTION_EDGES_S) == sorted(set(RESOLUTION_EDGES_S))
    assert set(ANALYSIS_DIMENSIONS) <= set(SEGMENT_DIMENSIONS)


# --- every copy agrees ----------------------------------------------------------------------------


@pytest.mark.parametrize("kind", list(RECORD_KINDS))
def test_collector_record_models_follow_the_contract(kind):
    table, _ = RECORD_KINDS[kind]
    model = _record_model(kind)
    assert drift.record_model_differences(table, model) == []
    schema = ITEM_ADAPTERS[kind].json_schema()
    assert schema["required"] == list(RAW_TABLES[table].required)


def _record_model(kind: str) -> type:
    # LlmCall is Annotated[LlmCallFields, AfterValidator(...)]: the TypedDict is its first argument
    return RECORD_KINDS[kind][1].__origin__


def test_loader_schemas_are_the_contract():
    assert list(CORE_SCHEMAS) == list(COLLECTOR_TABLES)
    assert drift.arrow_differences("loader", CORE_SCHEMAS, strict_nulls=False) == []
    assert PRIMARY_KEYS == {table: ("event_id",) if table == "dead_letters" else ("project", "event_id")
                            for table in COLLECTOR_TABLES}


def test_demo_schemas_are_the_contract():
    assert DEMO_TABLES == ("llm_calls", "conversation_events", "feedback", "hubspot_contacts", "hubspot_deals",
                           "hubspot_deal_contact_associations", "outcome_metrics")
    assert drift.arrow_differences("demo", DEMO_SCHEMAS, strict_nulls=True) == []
    # the demo's one extra column
    assert DEMO_SCHEMAS["outcome_metrics"].names[-1] == "variant"
    assert DEMO_SCHEMAS["llm_calls"].field("cost_usd").nullable
    assert not DEMO_SCHEMAS["llm_calls"].field("latency_ms").nullable


def test_dead_letter_rows_have_the_contracted_columns():
    rows = dead_letter_rows("llm-calls", [Rejection(index=3, field="llm_model", reason="missing", raw={"a": 1})])
    assert tuple(rows[0]) == RAW_TABLES["dead_letters"].column_names
    assert rows[0]["record_index"] == 3


@pytest.mark.parametrize("table, hints", [
    ("hubspot_contacts", hubspot.CONTACT_COLUMNS),
    ("hubspot_deals", hubspot.DEAL_COLUMNS),
    ("hubspot_deal_contact_associations", hubspot.ASSOCIATION_COLUMNS),
    ("provider_usage", provider_usage.USAGE_COLUMNS),
])
def test_dlt_column_hints_follow_the_contract(table, hints):
    assert drift.dlt_hint_differences(table, hints) == []


def test_gx_suites_follow_the_contract():
    assert drift.gx_differences(SUITES) == []
    events = next(suite for suite in SUITES if suite.name == "raw_conversation_events")
    existing = [e.column for e in events.expectations if isinstance(e, E.ExpectColumnToExist)]
    assert existing == ["event_id", "conversation_id", "occurred_at", "kind", "customer_ref", "project",
                        "ingestion_key_id"]
    value_sets = {(suite.table, e.column): e.value_set for suite in SUITES for e in suite.expectations
                  if isinstance(e, E.ExpectColumnValuesToBeInSet)}
    assert value_sets == {
        ("llm_calls", "status"): ["ok", "error"],
        ("conversation_events", "kind"): ["started", "resolved", "escalated", "abandoned"],
        ("feedback", "kind"): ["thumb", "rating", "csat"],
        ("fct_experiment_comparison", "method"): ["newcombe_wilson", "welch"],
    }


@pytest.mark.parametrize("check", [
    drift.dbt_source_differences, drift.dbt_macro_differences, drift.dbt_restated_lists, drift.docs_differences,
], ids=lambda check: check.__name__)
def test_file_copies_follow_the_contract(check):
    assert check(REPO) == []


def test_semantic_layer_follows_the_contract():
    members = drift.cube_members(REPO / "semantic_layer")
    assert members["latency_edges_ms"] == list(LATENCY_EDGES_MS)
    assert members["cubes"]["attribution_daily"]["dimensions"] == [*SEGMENT_DIMENSIONS, "date_day"]
    assert drift.cube_differences(members) == []


def test_python_copies_import_the_lists():
    assert analytics_config.DIMENSIONS == ANALYSIS_DIMENSIONS
    assert truth_counts.PART_DIMENSIONS == ANALYSIS_DIMENSIONS
    assert drift.python_restated_lists(REPO, PRODUCT_PACKAGES) == []


# --- an altered copy is reported ------------------------------------------------------------------


@pytest.fixture
def tree(tmp_path):
    """The file copies of the contract, copied into tmp_path to be altered."""
    for folder in ("dbt_project/models", "dbt_project/macros", "dbt_project/tests"):
        shutil.copytree(REPO / folder, tmp_path / folder)
    shutil.copytree(REPO / "semantic_layer", tmp_path / "semantic_layer",
                    ignore=shutil.ignore_patterns("node_modules", "package-lock.json"))
    (tmp_path / "docs").mkdir()
    shutil.copy(REPO / "docs" / "contracts.md", tmp_path / "docs" / "contracts.md")
    assert drift.file_differences(tmp_path) == []
    return tmp_path


def _alter(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, (path, old)
    path.write_text(text.replace(old, new, 1))


SOURCES = "dbt_project/models/staging/outcomelens/_outcomelens__sources.yml"
ALTERATIONS = {
    "dbt source column renamed": (
        SOURCES, "          - name: prompt_version\n", "          - name: prompt_ver\n",
        ["dbt source llm_calls", "prompt_version", "prompt_ver"]),
    "dbt accepted values changed": (
        SOURCES, 'values: ["ok", "error"]', 'values: ["ok", "error", "timeout"]', ["llm_calls.status", "timeout"]),
    "dbt macro lost a dimension": (
        "dbt_project/macros/contract.sql", "'intent', 'capability', 'action'", "'intent', 'action'",
        ["segment_dimensions()", "capability"]),
    "dbt model lists the edges": (
        "dbt_project/models/marts/fct_attribution_daily.sql", "{%- set latency_edges = latency_edges_ms() -%}",
        "{%- set latency_edges = [" + ", ".join(map(str, LATENCY_EDGES_MS)) + "] -%}",
        ["fct_attribution_daily.sql", "latency_edges_ms"]),
    "docs type changed": (
        "docs/contracts.md", "| latency_ms | double precision |", "| latency_ms | bigint |", ["raw-tables"]),
    "percentiles.js edge changed": (
        "semantic_layer/percentiles.js", "20000, 60000]", "20000, 30000]", ["latency_edges_ms", "30000"]),
    "cube lost a dimension": (
        "semantic_layer/model/cubes/attribution_daily.js",
        "    llm_provider: { sql: `llm_provider`, type: `string`, ...dimension(`llm_provider`) },\n", "",
        ["cube attribution_daily", "llm_provider"]),
}


@pytest.mark.parametrize("name", list(ALTERATIONS))
def test_an_altered_file_copy_is_reported(tree, name):
    path, old, new, named = ALTERATIONS[name]
    _alter(tree / path, old, new)
    differences = drift.file_differences(tree)
    assert len(differences) == 1, differences
    for word in named:
        assert word in differences[0], (word, differences[0])


def test_an_altered_arrow_schema_is_reported():
    schemas = dict(CORE_SCHEMAS)
    fields = [pa.field("cost_usd", pa.int64()) if f.name == "cost_usd" else f for f in schemas["llm_calls"]]
    schemas["llm_calls"] = pa.schema(fields)
    assert drift.arrow_differences("loader", schemas, strict_nulls=False) == [
        "loader llm_calls.cost_usd: int64, the contract says double"]
    demo = dict(DEMO_SCHEMAS, feedback=DEMO_SCHEMAS["feedback"].remove(DEMO_SCHEMAS["feedback"].get_field_index("comment")))
    assert drift.arrow_differences("demo", demo, strict_nulls=True) == [
        "demo feedback: missing ['comment'], not in the contract []"]
    nulls = dict(DEMO_SCHEMAS, llm_calls=DEMO_SCHEMAS["llm_calls"].set(
        0, pa.field("event_id", pa.string(), nullable=True)))
    assert drift.arrow_differences("demo", nulls, strict_nulls=True) == [
        "demo llm_calls.event_id: nullable=True, the contract says nullable=False"]


def test_an_altered_record_model_is_reported():
    fields = dict(_record_model("conversation-events").__annotations__)
    fields["customer_ref"] = int  # wrong type, and now required
    del fields["kind"]
    altered = TypedDict("ConversationEventFields", fields)
    assert drift.record_model_differences("conversation_events", altered) == [
        "record model conversation_events: missing ['kind'], not in the contract []",
        "record model conversation_events: required ['event_id', 'conversation_id', 'occurred_at', 'customer_ref'], "
        "the contract requires ['event_id', 'conversation_id', 'occurred_at', 'kind']",
        "record model conversation_events.customer_ref: <class 'int'>, the contract says text",
    ]
    status = dict(_record_model("llm-calls").__annotations__, status=NotRequired[str])
    assert drift.record_model_differences("llm_calls", TypedDict("LlmCallFields", status)) == [
        "record model llm_calls.status: <class 'str'>, the contract allows ('ok', 'error')"]


def test_altered_gx_suites_and_dlt_hints_are_reported():
    suite = Suite(name="raw_feedback", schema="raw", table="feedback", asset_key=("dlt", "landing", "feedback"),
                  expectations=[E.ExpectColumnToExist(column=name) for name in ("event_id", "kind", "rating")]
                  + [E.ExpectColumnValuesToNotBeNull(column="comment"),
                     E.ExpectColumnValuesToBeInSet(column="kind", value_set=["thumb", "rating"])])
    assert drift.gx_differences([suite]) == [
        "GX suite feedback: expects columns the contract does not name ['rating'] or in another order: "
        "['event_id', 'kind', 'rating']",
        "GX suite feedback.comment: expected not null, the contract lets it be NULL or does not name it",
        "GX suite feedback.kind: values ['thumb', 'rating'], the contract lists ['thumb', 'rating', 'csat']",
    ]
    hints = dict(hubspot.DEAL_COLUMNS, amount={"data_type": "bigint"})
    assert drift.dlt_hint_differences("hubspot_deals", hints) == [
        "dlt hints hubspot_deals.amount: bigint, the contract says double"]


def test_a_python_copy_of_a_list_is_reported(tmp_path):
    module = tmp_path / "analytics" / "segments.py"
    module.parent.mkdir()
    module.write_text('DIMS = ("experiment_id", "variant", "prompt_version", "llm_model", "intent", '
                      '"capability", "action")\n')
    assert drift.python_restated_lists(tmp_path, ["analytics"]) == [
        "analytics/segments.py: spells out ANALYSIS_DIMENSIONS; import it from outcomelens.contract"]


def test_docs_command_rewrites_a_stale_block(tmp_path):
    path = tmp_path / "contracts.md"
    stale = (REPO / "docs" / "contracts.md").read_text().replace("86400.", "43200.")
    path.write_text(stale)
    assert contract_docs.main(["--check"], path=path) == 1
    assert contract_docs.main([], path=path) == 0
    assert path.read_text() == (REPO / "docs" / "contracts.md").read_text()
