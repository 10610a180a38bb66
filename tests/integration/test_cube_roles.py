"""The role matrix (docs/design.md §5), enforced in /load (members and filters), /graphql and /meta.

Expectations come from the table below, written here independently of semantic_layer/access.js:
every member of every view (as admin's /meta lists them) is tried for every role. Allowed members
must answer (batched per source cube, once as fields and once as filters); forbidden ones must be
refused with a 403 naming the member, absent from /meta and from the GraphQL schema, and no error
body may carry a stack trace. One Cube server (production mode: CUBEJS_DEV_MODE=false) serves the
module.
"""

from __future__ import annotations

import json

import pytest
import requests

from outcomelens.core.tokens import ROLES, mint_token

from .cube_fixtures import create_contract_tables, load_world, synthetic_world
from .support import assert_no_stack_trace, running_cube

SECRET = "roles-secret-" + "r" * 32

ALL = set(ROLES)
# view -> roles that may query it (README "API guide" shows the same table).
VIEW_ACCESS = {
    "outcomes_overview": {"admin", "product_manager", "operations"},
    "experiments": {"admin", "product_manager", "prompt_engineer"},
    "prompt_variants": {"admin", "product_manager", "prompt_engineer"},
    "model_health": {"admin", "prompt_engineer", "operations", "engineer"},
    "operations_drilldown": {"admin", "operations", "engineer"},
    "standard_reports": ALL,
    "engagement": {"admin", "enablement"},
}
CUSTOMER_ROLES = {"admin", "operations"}
CUSTOMER_MEMBERS = {
    "operations_drilldown.customer_ref", "operations_drilldown.contact_id",
    "operations_drilldown.deal_id", "operations_drilldown.call_customer_ref",
    "operations_drilldown.outcome_customer_ref", "operations_drilldown.outcome_user_id",
}
# Values of those fields in the fixture: none may reach a role without customer access.
CUSTOMER_VALUES = ("@example.", "deal_0", "user_1")
# Members from different source cubes of one view, by the prefix the view gives them.
GROUP_PREFIXES = ("forecast_", "outcome_", "comparison_", "registry_", "anomaly_", "call_", "feedback_",
                  "reconciliation_", "freshness_")


def allowed(role: str, member: str) -> bool:
    view = member.split(".")[0]
    if role not in VIEW_ACCESS[view]:
        return False
    return member not in CUSTOMER_MEMBERS or role in CUSTOMER_ROLES


@pytest.fixture(scope="module")
def cube(cube_packages, warehouse_db, tmp_path_factory):
    load_world(create_contract_tables(warehouse_db), synthetic_world(n_conversations=120))
    with running_cube(warehouse_db, SECRET, tmp_path_factory.mktemp("cube") / "cube.log") as server:
        assert server.env()["CUBEJS_DEV_MODE"] == "false"
        yield server


@pytest.fixture(scope="module")
def http():
    with requests.Session() as session:
        yield session


def headers(role):
    return {"Authorization": f"Bearer {mint_token(role, SECRET)}"}


def get_meta(cube, http, role) -> dict[str, dict[str, str]]:
    """view -> {member: 'measure' | dimension type}."""
    response = http.get(f"{cube.api_url}/v1/meta", headers=headers(role), timeout=60)
    assert response.status_code == 200, response.text
    views = {}
    for item in response.json()["cubes"]:
        members = {m["name"]: "measure" for m in item["measures"]}
        members.update({d["name"]: d["type"] for d in item["dimensions"]})
        members.update({s["name"]: "segment" for s in item["segments"]})
        views[item["name"]] = members
    return views


@pytest.fixture(scope="module")
def universe(cube, http) -> dict[str, dict[str, str]]:
    views = get_meta(cube, http, "admin")
    assert set(views) == set(VIEW_ACCESS)  # cubes are private, every view is public to admin
    every = {m for members in views.values() for m in members}
    assert CUSTOMER_MEMBERS <= every
    return views


def group_of(member: str) -> str:
    field = member.split(".", 1)[1]
    return next((p for p in GROUP_PREFIXES if field.startswith(p)), "")


def groups(members: dict[str, str]) -> dict[str, dict[str, str]]:
    out: dict[str, dict[str, str]] = {}
    for name, kind in members.items():
        out.setdefault(group_of(name), {})[name] = kind
    return out


def assert_no_customer_data(response):
    for value in CUSTOMER_VALUES:
        assert value not in response.text, value


def load(cube, http, role, query):
    response = http.post(f"{cube.api_url}/v1/load", json={"query": query}, headers=headers(role),
                         timeout=120)
    while response.status_code == 200 and response.json().get("error") == "Continue wait":
        response = http.post(f"{cube.api_url}/v1/load", json={"query": query},
                             headers=headers(role), timeout=120)
    return response


def graphql(cube, http, role, text):
    return http.post(f"{cube.api_url}/graphql", json={"query": text}, headers=headers(role),
                     timeout=120)


def assert_refused(response, member):
    assert response.status_code == 403, (member, response.status_code, response.text[:300])
    body = response.json()
    assert "data" not in body
    assert member in body["error"], (member, body)
    assert_no_stack_trace(response)


def test_meta_shows_each_role_exactly_its_members(cube, http, universe):
    for role in ROLES:
        views = get_meta(cube, http, role)
        expected = {
            view: {m for m in members if allowed(role, m)}
            for view, members in universe.items() if role in VIEW_ACCESS[view]
        }
        assert {v: set(m) for v, m in views.items()} == expected, role


@pytest.mark.parametrize("role", ROLES)
def test_rest_allows_the_allowed_members_as_fields_and_filters(cube, http, universe, role):
    for view, members in universe.items():
        if role not in VIEW_ACCESS[view]:
            continue
        for group, part in groups({m: k for m, k in members.items() if allowed(role, m)}).items():
            measures = [m for m, k in part.items() if k == "measure"]
            dimensions = [m for m, k in part.items() if k not in ("measure", "segment")]
            answer = load(cube, http, role, {"measures": measures, "dimensions": dimensions,
                                             "limit": 5})
            assert answer.status_code == 200, (role, view, group, answer.text[:500])
            assert answer.json()["data"], (role, view, group)
            filtered = load(cube, http, role, {
                "measures": measures[:1],
                "dimensions": [] if measures else dimensions[:1],  # a group of dimensions only (the registry)
                "filters": [{"and": [{"or": [{"member": d, "operator": "set"}]}
                                     for d in dimensions]}],
            })
            assert filtered.status_code == 200, (role, view, group, filtered.text[:500])
            if role not in CUSTOMER_ROLES:
                assert_no_customer_data(answer)
                assert_no_customer_data(filtered)
            elif view == "operations_drilldown" and group in ("", "call_", "outcome_"):
                assert any(v in answer.text for v in CUSTOMER_VALUES), (role, group)


@pytest.mark.parametrize("role", ROLES)
def test_rest_refuses_every_forbidden_member_with_403_naming_it(cube, http, universe, role):
    some_allowed = "standard_reports.conversations"
    refused = 0
    for members in universe.values():
        for member, kind in members.items():
            if allowed(role, member):
                continue
            field = "measures" if kind == "measure" else "dimensions"
            assert_refused(load(cube, http, role, {field: [member]}), member)
            # As a filter inside and/or, next to a member the role may query: a leak otherwise.
            assert_refused(load(cube, http, role, {
                "measures": [some_allowed],
                "filters": [{"or": [{"member": some_allowed, "operator": "gt", "values": ["0"]},
                                    {"and": [{"member": member, "operator": "set"}]}]}],
            }), member)
            if kind == "time":
                assert_refused(load(cube, http, role, {
                    "measures": [some_allowed],
                    "timeDimensions": [{"dimension": member, "granularity": "day"}]}), member)
            assert_refused(load(cube, http, role, {"measures": [some_allowed],
                                                   "order": [[member, "asc"]]}), member)
            refused += 1
    expected = sum(not allowed(role, m) for members in universe.values() for m in members)
    assert refused == expected
    if role != "admin":
        assert refused > 0


def _selection(members: dict[str, str]) -> str:
    fields = []
    for name, kind in members.items():
        field = name.split(".", 1)[1]
        fields.append(f"{field} {{ day }}" if kind == "time" else field)
    return " ".join(fields)


@pytest.mark.parametrize("role", ROLES)
def test_graphql_serves_allowed_and_refuses_forbidden_members(cube, http, universe, role):
    for view, members in universe.items():
        permitted = {m: k for m, k in members.items() if allowed(role, m)}
        forbidden = {m: k for m, k in members.items() if not allowed(role, m)}
        if role in VIEW_ACCESS[view]:
            for group, part in groups(permitted).items():
                response = graphql(cube, http, role,
                                   f"{{ cube(limit: 3) {{ {view} {{ {_selection(part)} }} }} }}")
                body = response.json()
                assert response.status_code == 200 and not body.get("errors"), (
                    role, view, group, response.text[:500])
                assert body["data"]["cube"], (role, view, group)
                if role not in CUSTOMER_ROLES:
                    assert_no_customer_data(response)
        if not forbidden:
            continue
        # Forbidden members do not exist in the role's schema: every one is named in the errors,
        # as a field and as a filter, and no data comes back.
        if role in VIEW_ACCESS[view]:
            queries = [f"{{ cube {{ {view} {{ {_selection(forbidden)} }} }} }}"]
            dims = [m.split(".", 1)[1] for m, k in forbidden.items() if k not in ("measure",)]
            where = ", ".join(f"{d}: {{set: true}}" for d in dims)
            queries.append(f"{{ cube(where: {{ {view}: {{ {where} }} }}) "
                           f"{{ {view} {{ {_selection(dict(list(permitted.items())[:1]))} }} }} }}")
        else:
            queries = [f"{{ cube {{ {view} {{ {_selection(forbidden)} }} }} }}"]
        for text in queries:
            response = graphql(cube, http, role, text)
            assert response.status_code >= 400 or response.json().get("errors"), text
            body = response.json()
            assert not (body.get("data") or {}).get("cube"), (role, view)
            errors = json.dumps(body.get("errors"))
            if role in VIEW_ACCESS[view]:
                named = forbidden if "where" not in text else {
                    m: k for m, k in forbidden.items() if k != "measure"}
                for member in named:
                    assert member.split(".", 1)[1] in errors, (role, member)
            else:
                assert view in errors, (role, view)
            assert_no_stack_trace(response)


def test_a_supabase_token_gets_its_app_metadata_role(cube, http):
    token = mint_token("authenticated", SECRET, app_metadata={"role": "enablement"})
    refused = http.post(f"{cube.api_url}/v1/load", headers={"Authorization": token}, timeout=60,
                        json={"query": {"measures": ["model_health.llm_calls"]}})
    assert_refused(refused, "model_health.llm_calls")
    answer = http.post(f"{cube.api_url}/v1/load", headers={"Authorization": token}, timeout=60,
                       json={"query": {"measures": ["standard_reports.conversations"]}})
    assert answer.status_code == 200 and answer.json()["data"][0][
        "standard_reports.conversations"] == "120"


@pytest.mark.parametrize("path", ["/v1/sql", "/v1/dry-run"])
def test_sql_and_dry_run_refuse_forbidden_members_too(cube, http, path):
    for role, member in [("enablement", "model_health.llm_calls"),
                         ("engineer", "operations_drilldown.call_customer_ref"),
                         ("product_manager", "operations_drilldown.conversation_id")]:
        kind = "measures" if member.endswith("llm_calls") else "dimensions"
        response = http.get(f"{cube.api_url}{path}", headers=headers(role), timeout=60,
                            params={"query": json.dumps({kind: [member]})})
        assert_refused(response, member)
