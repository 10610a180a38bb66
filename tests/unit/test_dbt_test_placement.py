"""Where the dbt project tests the calls and events: on stored tables, never by recomputing the big staging
views (each test on a view reruns it over every row: most of a 10M-call build), and every guarantee the
staging tests used to give is still asserted somewhere, as a Dagster asset check on the asset holding
the rows (dbt_project/README.md, "Tests at scale")."""

import json
from pathlib import Path

import dagster as dg

from orchestration.definitions import defs
from orchestration.defs.transformation.project import dbt_project

# Staging views over the event tables, recomputed in full by any test that reads them.
BIG_VIEWS = ("stg_outcomelens__llm_calls", "stg_outcomelens__conversation_events", "stg_outcomelens__feedback")
# What these views' tests guarded, and the stored asset whose checks guard it now:
# (asset key, test name, column(s) or expression fragment).
GUARANTEES = [
    (("dlt", "landing", "llm_calls"), "unique_combination_of_columns", "project,event_id"),
    (("dlt", "landing", "llm_calls"), "not_null", "event_id"),
    (("dlt", "landing", "llm_calls"), "not_null", "conversation_id"),
    (("dlt", "landing", "llm_calls"), "not_null", "occurred_at"),
    (("marts", "fct_llm_calls"), "unique_combination_of_columns", "project,event_id"),
    (("marts", "fct_llm_calls"), "not_null", "event_id"),
    (("marts", "fct_llm_calls"), "not_null", "conversation_id"),
    (("marts", "fct_llm_calls"), "not_null", "status"),
    (("marts", "fct_llm_calls"), "accepted_values", "status"),
    (("marts", "fct_llm_calls"), "not_null", "cost_usd"),
    (("marts", "fct_llm_calls"), "expression_is_true", "is_error = (status = 'error')"),
    (("marts", "fct_llm_calls"), "expression_is_true", "cost_usd >= 0"),
    (("dlt", "landing", "conversation_events"), "unique_combination_of_columns", "project,event_id"),
    (("dlt", "landing", "conversation_events"), "not_null", "event_id"),
    (("dlt", "landing", "conversation_events"), "not_null", "conversation_id"),
    (("dlt", "landing", "conversation_events"), "not_null", "occurred_at"),
    (("staging", "stg_outcomelens__conversation_events"), "not_null", "kind"),
    (("dlt", "landing", "feedback"), "unique_combination_of_columns", "project,event_id"),
    (("dlt", "landing", "feedback"), "not_null", "event_id"),
]


def _manifest() -> dict:
    return json.loads(Path(dbt_project.manifest_path).read_text())


def _tests() -> list[dict]:
    return [n for n in _manifest()["nodes"].values() if n["resource_type"] == "test"]


def _reads(test: dict, model: str) -> bool:
    return any(parent.split(".")[-1] == model for parent in test["depends_on"]["nodes"])


def test_no_test_recomputes_the_calls_view():
    readers = [t["name"] for t in _tests() if _reads(t, "stg_outcomelens__llm_calls")]
    assert readers == []


def test_the_big_views_keep_only_tests_on_what_they_normalise():
    for view in ("stg_outcomelens__conversation_events", "stg_outcomelens__feedback"):
        tested = {
            (t["test_metadata"]["name"], t.get("column_name"))
            for t in _tests()
            if _reads(t, view) and t.get("test_metadata") and len(t["depends_on"]["nodes"]) == 1
        }
        # kind is lower-cased and trimmed by the view; the ids and timestamps are the raw table's.
        assert all(column in ("kind", None) for _, column in tested), (view, tested)
        assert not any(name == "unique_combination_of_columns" for name, _ in tested), view


def _fragment(test: dict) -> str:
    kwargs = test["test_metadata"]["kwargs"]
    if "combination_of_columns" in kwargs:
        return ",".join(kwargs["combination_of_columns"])
    return kwargs.get("expression") or kwargs.get("column_name") or ""


def test_every_guarantee_is_an_asset_check_on_the_stored_rows():
    graph = defs.resolve_asset_graph()
    by_name = {t["name"]: t for t in _tests() if t.get("test_metadata")}
    checks: dict[tuple, list[tuple[str, str]]] = {}
    for key in graph.asset_check_keys:
        test = by_name.get(key.name)
        if test is not None:
            checks.setdefault(tuple(key.asset_key.path), []).append((test["test_metadata"]["name"], _fragment(test)))
    for asset, test_name, fragment in GUARANTEES:
        found = [f for name, f in checks.get(asset, []) if name == test_name and fragment in f]
        assert found, f"{test_name} {fragment!r} is not checked on {'/'.join(asset)}"


def test_calls_view_logic_has_its_unit_test():
    unit_tests = [n for n in _manifest().get("unit_tests", {}).values() if n["model"] == "stg_outcomelens__llm_calls"]
    assert [u["name"] for u in unit_tests] == ["stg_llm_calls_priced_by_longest_prefix"]
    # dagster-dbt shows each view as an asset without a check of its own now.
    assert dg.AssetKey(["staging", "stg_outcomelens__llm_calls"]) in defs.resolve_asset_graph().get_all_asset_keys()
