"""Cube (semantic_layer/) against a real Postgres: metrics re-aggregated from parts, JWT auth, roles.

Needs node/npm (the pinned packages are `npm ci`-installed on first use) and the local Postgres on
127.0.0.1:5432 (user postgres, trust auth). Each run works in a throwaway database
`cube_test_<random>`, dropped at the end.
"""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import time
import uuid
from pathlib import Path

import jwt
import pytest
import requests

from outcomelens.core import cube_server, paths
from outcomelens.core.cube_server import CubeQueryError, CubeServer, CubeServerError
from outcomelens.core.tokens import ROLES, decode_token, mint_token
from tests.mocks.server import MockServer, Reply, Request

from .cube_fixtures import create_contract_tables
from .support import assert_no_stack_trace, number, query_value, running_cube

SECRET = "test-secret-" + uuid.uuid4().hex  # 44 characters

ATTRIBUTION_COLUMNS = (
    "date_day experiment_id variant prompt_id prompt_version config_hash llm_provider llm_model "
    "intent capability action conversations conversions order_value_sum resolved escalated "
    "deflected abandoned llm_calls llm_errors latency_ms_sum cost_usd thumbs_up thumbs_total "
    "csat_sum csat_count"
).split()

V1 = ("exp_sales_prompt", "control", "sales_agent", "sales_agent.v1", "aaaaaaaaaaaa", "openai",
      "gpt-4o-mini")
V2 = ("exp_sales_prompt", "treatment", "sales_agent", "sales_agent.v2", "bbbbbbbbbbbb",
      "anthropic", "claude-3-5-haiku")
# Rows of very different sizes, so that a mean of per-row rates would be wrong:
#   v1: 1/10 and 45/90 -> 46/100 = 0.46       (mean of the row rates: 0.30)
#   v2: 10/40, 9/10, 0/0 -> 19/50 = 0.38      (mean of the row rates: 0.575)
ATTRIBUTION_ROWS = [
    # day, *dims, intent, capability, action, conversations, conversions, order_value_sum,
    # resolved, escalated, deflected, abandoned, llm_calls, llm_errors, latency_ms_sum, cost_usd,
    # thumbs_up, thumbs_total, csat_sum, csat_count
    ("2025-01-01", *V1, "buy", "sales", "recommend", 10, 1, 100.0, 8, 1, 7, 1, 20, 2, 10000.0, 0.5, 3, 4, 9.0, 2),
    ("2025-01-02", *V1, "browse", "sales", "recommend", 90, 45, 4500.0, 80, 9, 71, 1, 180, 0, 90000.0, 4.5, 0, 0, 0.0, 0),
    ("2025-01-01", *V2, "buy", "sales", "recommend", 40, 10, 2000.0, 30, 4, 26, 6, 80, 8, 40000.0, 2.0, 1, 1, 0.0, 0),
    ("2025-01-02", *V2, "browse", "sales", "recommend", 10, 9, 900.0, 10, 0, 10, 0, 20, 0, 20000.0, 1.0, 0, 0, 0.0, 0),
    ("2025-01-02", *V2, "support", "support", "answer", 0, 0, 0.0, 0, 0, 0, 0, 5, 5, 500.0, 0.1, 0, 0, 0.0, 0),
]

# Worked out by hand from the rows above.
EXPECTED = {
    "sales_agent.v1": {
        "conversations": 100, "conversions": 46, "conversion_rate": 0.46,
        "average_order_value": 4600 / 46,  # 100.0
        "error_rate": 2 / 200, "latency_mean_ms": 100000 / 200,  # 500 ms
        "cost_per_conversion": 5.0 / 46, "thumbs_up_rate": 3 / 4,
        "deflection_rate": 78 / 100, "escalation_rate": 10 / 100, "csat": 4.5,
    },
    "sales_agent.v2": {
        "conversations": 50, "conversions": 19, "conversion_rate": 0.38,
        "average_order_value": 2900 / 19,
        "error_rate": 13 / 105, "latency_mean_ms": 60500 / 105,
        "cost_per_conversion": 3.1 / 19, "thumbs_up_rate": 1.0,
        "deflection_rate": 36 / 50, "escalation_rate": 4 / 50, "csat": None,
    },
}

CONVERSATION_ROWS = [
    ("c1", "alice@example.com", "101", "2025-01-01 10:00+00", "2025-01-01", *V1, "buy", True, False, 100.0, 120.0),
    ("c2", "102", "102", "2025-01-01 11:00+00", "2025-01-01", *V2, "buy", False, True, None, 300.0),
    ("c3", " Bob@Example.com ", "103", "2025-01-02 09:00+00", "2025-01-02", *V2, "browse", True, False, 300.0, 60.0),
]
CONVERSATION_COLUMNS = (
    "conversation_id customer_ref contact_id started_at date_day experiment_id variant prompt_id "
    "prompt_version config_hash llm_provider llm_model intent converted escalated "
    "order_value_usd resolution_time_s"
).split()


@pytest.fixture(scope="module")
def database(warehouse_db):
    # The contract's tables (cube_fixtures.py), filled with the hand-made rows above; the columns
    # these rows leave out are 0 (histograms, ratings, ...) or empty tables.
    warehouse = create_contract_tables(warehouse_db)
    with warehouse.connection() as conn, conn.cursor() as cur:
        placeholders = ", ".join(["%s"] * len(ATTRIBUTION_COLUMNS))
        cur.executemany(
            f"insert into marts.fct_attribution_daily ({', '.join(ATTRIBUTION_COLUMNS)}) "
            f"values ({placeholders})",
            ATTRIBUTION_ROWS,
        )
        placeholders = ", ".join(["%s"] * len(CONVERSATION_COLUMNS))
        cur.executemany(
            f"insert into marts.fct_conversations ({', '.join(CONVERSATION_COLUMNS)}) "
            f"values ({placeholders})",
            CONVERSATION_ROWS,
        )
    return warehouse


@pytest.fixture(scope="module")
def cube(cube_packages, database, tmp_path_factory):
    with running_cube(database, SECRET, tmp_path_factory.mktemp("cube") / "cube.log") as server:
        yield server


def token(role: str = "admin", **claims) -> str:
    return mint_token(role, SECRET, **claims)


def by_version(rows: list[dict], view: str = "prompt_variants") -> dict[str, dict]:
    prefix = f"{view}."
    return {
        row[f"{prefix}prompt_version"]: {k[len(prefix):]: v for k, v in row.items()}
        for row in rows
    }


# --- REST -----------------------------------------------------------------------------------


def test_conversion_rate_per_prompt_version_is_reaggregated_from_parts(cube):
    answer = cube.load(
        {
            "measures": ["prompt_variants.conversions", "prompt_variants.conversations",
                         "prompt_variants.conversion_rate"],
            "dimensions": ["prompt_variants.prompt_version"],
            "order": {"prompt_variants.prompt_version": "asc"},
        },
        token("prompt_engineer"),
    )
    rows = by_version(answer["data"])
    assert set(rows) == {"sales_agent.v1", "sales_agent.v2"}
    for version, expected in EXPECTED.items():
        assert number(rows[version]["conversations"]) == expected["conversations"]
        assert number(rows[version]["conversions"]) == expected["conversions"]
        assert number(rows[version]["conversion_rate"]) == pytest.approx(
            expected["conversion_rate"], abs=1e-12
        )
    # Not the mean of the per-row rates (0.30 and 0.575).
    assert number(rows["sales_agent.v1"]["conversion_rate"]) != pytest.approx(0.30)
    assert number(rows["sales_agent.v2"]["conversion_rate"]) != pytest.approx(0.575)


def test_other_metrics_per_prompt_version(cube):
    names = ["average_order_value", "error_rate", "latency_mean_ms", "cost_per_conversion",
             "thumbs_up_rate", "deflection_rate", "escalation_rate", "csat"]
    answer = cube.load(
        {"measures": [f"prompt_variants.{n}" for n in names],
         "dimensions": ["prompt_variants.prompt_version"]},
        token(),
    )
    rows = by_version(answer["data"])
    for version, expected in EXPECTED.items():
        for name in names:
            got = number(rows[version][name])
            if expected[name] is None:
                assert got is None, (version, name)
            else:
                assert got == pytest.approx(expected[name], rel=1e-9), (version, name)


def test_overall_rate_filters_and_days(cube):
    overall = cube.load({"measures": ["prompt_variants.conversion_rate"]}, token())
    assert number(overall["data"][0]["prompt_variants.conversion_rate"]) == pytest.approx(65 / 150)

    buy = cube.load(
        {
            "measures": ["prompt_variants.conversion_rate"],
            "dimensions": ["prompt_variants.prompt_version"],
            "filters": [{"member": "prompt_variants.intent", "operator": "equals",
                         "values": ["buy"]}],
        },
        token(),
    )
    rows = by_version(buy["data"])
    assert number(rows["sales_agent.v1"]["conversion_rate"]) == pytest.approx(0.1)
    assert number(rows["sales_agent.v2"]["conversion_rate"]) == pytest.approx(0.25)

    daily = cube.load(
        {
            "measures": ["outcomes_overview.conversion_rate", "outcomes_overview.conversations"],
            "timeDimensions": [{"dimension": "outcomes_overview.date_day", "granularity": "day",
                                "dateRange": ["2025-01-01", "2025-01-31"]}],
            "order": {"outcomes_overview.date_day": "asc"},
        },
        token("product_manager"),
    )
    days = [(row["outcomes_overview.date_day.day"][:10],
             number(row["outcomes_overview.conversion_rate"])) for row in daily["data"]]
    assert days == [("2025-01-01", pytest.approx(11 / 50)), ("2025-01-02", pytest.approx(54 / 100))]


def test_measures_carry_their_wording(cube):
    meta = requests.get(f"{cube.api_url}/v1/meta",
                        headers={"Authorization": token("product_manager")}).json()
    views = {c["name"]: c for c in meta["cubes"]}
    # cubes are private; the product manager's views (README, API guide)
    assert set(views) == {"outcomes_overview", "experiments", "prompt_variants", "standard_reports"}
    rate = next(m for m in views["prompt_variants"]["measures"]
                if m["name"] == "prompt_variants.conversion_rate")
    assert rate["description"].startswith("Conversions divided by conversations")
    # meta also names the ratio's parts, so a client re-aggregates the measure Cube serves
    assert rate["meta"] == {"title": "Conversion rate", "format": "percent",
                            "ratio": {"numerator": "conversions", "denominator": "conversations"}}


def test_conversion_rate_interval_is_the_wilson_score_interval(cube):
    answer = cube.load(
        {"measures": ["prompt_variants.conversion_rate_ci_low", "prompt_variants.conversion_rate_ci_high"],
         "dimensions": ["prompt_variants.prompt_version", "prompt_variants.intent"]},
        token(),
    )
    rows = {(r["prompt_variants.prompt_version"], r["prompt_variants.intent"]):
            (number(r["prompt_variants.conversion_rate_ci_low"]), number(r["prompt_variants.conversion_rate_ci_high"]))
            for r in answer["data"]}
    # Worked by hand, z = 1.96: 1 of 10 → centre 0.21101, half-width 0.19314; 9 of 10 → its mirror.
    assert rows[("sales_agent.v1", "buy")] == (pytest.approx(0.01788, abs=1e-5), pytest.approx(0.40415, abs=1e-5))
    assert rows[("sales_agent.v2", "browse")] == (pytest.approx(0.59585, abs=1e-5), pytest.approx(0.98212, abs=1e-5))
    assert rows[("sales_agent.v2", "support")] == (None, None)  # no conversations, no interval
    whole = cube.load(
        {"measures": ["prompt_variants.conversion_rate_ci_low", "prompt_variants.conversion_rate_ci_high"],
         "dimensions": ["prompt_variants.prompt_version"]},
        token(),
    )
    # Re-aggregated from the summed parts: 46 of 100 and 19 of 50.
    bounds = {r["prompt_variants.prompt_version"]: (number(r["prompt_variants.conversion_rate_ci_low"]),
                                                    number(r["prompt_variants.conversion_rate_ci_high"]))
              for r in whole["data"]}
    assert bounds["sales_agent.v1"] == (pytest.approx(0.36561, abs=1e-5), pytest.approx(0.55735, abs=1e-5))
    assert bounds["sales_agent.v2"] == (pytest.approx(0.25863, abs=1e-5), pytest.approx(0.51850, abs=1e-5))


# --- GraphQL --------------------------------------------------------------------------------


def test_graphql_returns_the_same_rates(cube):
    data = cube.graphql(
        # Cube 0.33 capitalises the cube name in the root-level orderBy ("Prompt_variants"), so
        # lower-case views are ordered by the orderBy on the view itself.
        "{ cube { prompt_variants(orderBy: {prompt_version: asc}) "
        "{ prompt_version conversion_rate conversations } } }",
        token("prompt_engineer"),
    )
    rows = {r["prompt_variants"]["prompt_version"]: r["prompt_variants"] for r in data["cube"]}
    for version, expected in EXPECTED.items():
        assert rows[version]["conversion_rate"] == pytest.approx(expected["conversion_rate"])
        assert rows[version]["conversations"] == expected["conversations"]


# --- authentication -------------------------------------------------------------------------

QUERY = {"query": {"measures": ["prompt_variants.conversion_rate"]}}


@pytest.mark.parametrize(
    "headers, status",
    [
        ({}, 401),
        ({"Authorization": "Bearer " + mint_token("admin", "not-the-secret-" + "x" * 32)}, 401),
        ({"Authorization": "Bearer " + mint_token("admin", SECRET, ttl_s=-60)}, 401),
        ({"Authorization": "Bearer " + jwt.encode({"role": "admin"}, SECRET, algorithm="HS256")},
         401),  # no expiry
        ({"Authorization": "Bearer not.a.jwt"}, 401),
        ({"Authorization": "Bearer " + mint_token("intern", SECRET)}, 403),
        ({"Authorization": "Bearer " + mint_token("", SECRET)}, 403),
    ],
    ids=["missing", "bad-signature", "expired", "no-expiry", "garbage", "unknown-role",
         "empty-role"],
)
def test_bad_tokens_are_refused(cube, headers, status):
    for method, path, kwargs in [
        ("post", "/v1/load", {"json": QUERY}),
        ("get", "/v1/meta", {}),
        ("post", "/graphql", {"json": {"query": "{ cube { prompt_variants { conversations } } }"}}),
    ]:
        response = requests.request(method, cube.api_url + path, headers=headers, timeout=30,
                                    **kwargs)
        assert response.status_code == status, (path, response.text)
        assert "data" not in response.json()
        assert_no_stack_trace(response)


def test_supabase_shaped_token(cube):
    # Supabase signs tokens whose top-level role is "authenticated"; ours is in app_metadata.
    supabase = token("authenticated", app_metadata={"role": "product_manager"})
    answer = cube.load({"measures": ["prompt_variants.conversion_rate"]}, supabase)
    assert number(answer["data"][0]["prompt_variants.conversion_rate"]) == pytest.approx(65 / 150)


def test_python_and_cube_know_the_same_roles():
    out = subprocess.run(
        [cube_server.node_binary(), "-e",
         "console.log(JSON.stringify(require('./access').ROLES))"],
        cwd=paths.SEMANTIC_LAYER_DIR, capture_output=True, text=True, check=True,
    ).stdout
    assert tuple(json.loads(out)) == ROLES


def test_mint_token_round_trip():
    claims = decode_token(mint_token("operations", SECRET, ttl_s=60, team="ops"), SECRET)
    assert claims["role"] == "operations" and claims["team"] == "ops"
    assert 0 < claims["exp"] - time.time() <= 60
    with pytest.raises(jwt.ExpiredSignatureError):
        decode_token(mint_token("operations", SECRET, ttl_s=-5), SECRET)


# --- roles ----------------------------------------------------------------------------------


def test_private_cubes_are_refused_with_403(cube):
    for query in [
        {"measures": ["attribution_daily.conversion_rate"]},
        {"measures": ["prompt_variants.conversion_rate"],
         "filters": [{"or": [{"member": "conversations.customer_ref", "operator": "set"}]}]},
        {"measures": ["prompt_variants.conversion_rate"],
         "order": [["attribution_daily.conversions", "asc"]]},
    ]:
        with pytest.raises(CubeQueryError) as refused:
            cube.load(query, token("admin"))
        assert refused.value.status == 403
        assert "may not query" in refused.value.body["error"]


def test_customer_fields_only_for_admin_and_operations(cube):
    query = {"measures": ["operations_drilldown.count"],
             "dimensions": ["operations_drilldown.customer_ref"]}
    for role in ("admin", "operations"):
        rows = cube.load(query, token(role))["data"]
        assert {r["operations_drilldown.customer_ref"] for r in rows} == {
            "alice@example.com", "102", " Bob@Example.com "}
    with pytest.raises(CubeQueryError) as refused:  # drill-down, but no customer data
        cube.load(query, token("engineer"))
    assert refused.value.status == 403
    assert "customer-identifying" in refused.value.body["error"]
    with pytest.raises(CubeQueryError) as refused:  # no drill-down at all
        cube.load(query, token("prompt_engineer"))
    assert refused.value.status == 403
    assert "may not query" in refused.value.body["error"]
    # ... and the engineer's schema does not even have the field.
    meta = requests.get(f"{cube.api_url}/v1/meta", headers={"Authorization": token("engineer")})
    details = next(c for c in meta.json()["cubes"] if c["name"] == "operations_drilldown")
    assert "operations_drilldown.customer_ref" not in {d["name"] for d in details["dimensions"]}


def test_enablement_gets_no_drill_down(cube):
    with pytest.raises(CubeQueryError) as refused:
        cube.load({"measures": ["operations_drilldown.count"]}, token("enablement"))
    assert refused.value.status == 403
    rows = cube.load({"measures": ["standard_reports.conversions"]}, token("enablement"))["data"]
    assert number(rows[0]["standard_reports.conversions"]) == 65


def test_error_bodies_carry_no_stack_trace(cube):
    auth = {"Authorization": token()}
    responses = [
        requests.post(f"{cube.api_url}/v1/load", headers=auth,
                      json={"query": {"measures": ["prompt_variants.nope"]}}),  # 400 UserError
        requests.post(f"{cube.api_url}/v1/load", headers=auth,
                      json={"query": {"measures": ["attribution_daily.conversions"]}}),  # 403
        requests.post(f"{cube.api_url}/v1/load", data="{not json",
                      headers={**auth, "Content-Type": "application/json"}),  # 500
        requests.get(f"{cube.api_url}/v1/load", params={"query": "{not json"}, headers=auth),
        requests.post(f"{cube.api_url}/v1/sql", headers=auth,
                      json={"query": {"measures": ["prompt_variants.nope"]}}),
        requests.post(f"{cube.api_url}/graphql", headers=auth, json={"query": "{ nope }"}),
    ]
    for response in responses:
        assert response.status_code >= 400, response.text
        assert_no_stack_trace(response)


# --- the process ----------------------------------------------------------------------------


def _listening_addresses(pid: int) -> list[str]:
    """Local addresses of the TCP sockets the process listens on (from /proc)."""
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    addresses = []
    for table in ("tcp", "tcp6"):
        for line in Path(f"/proc/{pid}/net/{table}").read_text().splitlines()[1:]:
            fields = line.split()
            if fields[3] == "0A" and fields[9] in inodes:  # 0A: LISTEN
                addresses.append(fields[1])
    return addresses


def test_listens_on_loopback_only(cube):
    addresses = _listening_addresses(cube.process.pid)
    assert addresses == [f"0100007F:{cube.port:04X}"]  # 127.0.0.1:<port>, nothing else


def test_env_drops_inherited_cube_settings(database):
    env = cube_server.cube_env(
        database, SECRET, port=4555,
        base={"PATH": "/usr/bin", "CUBEJS_PG_SQL_PORT": "15432", "CUBEJS_DEV_MODE": "true",
              "CUBEJS_SQL_PORT": "13306", "PORT": "1"},
    )
    assert "CUBEJS_PG_SQL_PORT" not in env and "CUBEJS_SQL_PORT" not in env
    assert env["CUBEJS_DEV_MODE"] == "false" and env["PORT"] == "4555"
    assert env["CUBEJS_CACHE_AND_QUEUE_DRIVER"] == "memory"
    assert env["CUBEJS_BIND_HOST"] == "127.0.0.1" and env["PATH"] == "/usr/bin"


def _socket_directory(warehouse) -> str:
    return query_value(warehouse, "show unix_socket_directories").split(",")[0].strip()


def test_unix_socket_directory_as_host(cube_packages, database, tmp_path):
    socket_dir = _socket_directory(database)  # /var/run/postgresql on Debian
    assert socket_dir.startswith("/")
    warehouse = dataclasses.replace(database, host=socket_dir)
    server = CubeServer(warehouse, SECRET, log_path=tmp_path / "cube.log",
                        port=cube_server.free_port(), refresh_worker=False)
    with server:
        pid = server.process.pid
        rows = by_version(server.load(
            {"measures": ["prompt_variants.conversion_rate"],
             "dimensions": ["prompt_variants.prompt_version"]},
            token(),
        )["data"])
        assert number(rows["sales_agent.v1"]["conversion_rate"]) == pytest.approx(0.46)
        assert number(rows["sales_agent.v2"]["conversion_rate"]) == pytest.approx(0.38)
        # Cube's connections came through the socket: no client port
        assert query_value(database, "select count(*) from pg_stat_activity where datname = current_database()"
                                " and pid <> pg_backend_pid() and client_port = -1") >= 1
    started = time.monotonic()
    while time.monotonic() - started < 5:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            break
        time.sleep(0.1)
    else:
        pytest.fail(f"Cube (pid {pid}) still runs after stop()")
    assert cube_server.port_is_free(server.port)


def test_a_failed_start_reports_the_log(cube_packages, database, tmp_path):
    server = CubeServer(database, SECRET, log_path=tmp_path / "cube.log",
                        port=cube_server.free_port(), extra_env={"CUBEJS_API_SECRET": ""})
    with pytest.raises(CubeServerError) as failed:
        server.start(timeout_s=60)
    assert "CUBEJS_API_SECRET is not set" in str(failed.value)
    assert server.process is None


def test_a_taken_port_is_reported(cube, tmp_path):
    other = CubeServer(cube.warehouse, SECRET, log_path=tmp_path / "cube.log", port=cube.port)
    with pytest.raises(CubeServerError, match="is taken"):
        other.start()


class _ContinueWait(MockServer):
    """Cube's /v1/load as it answers while a query is still running: "Continue wait", twice."""

    base_path = "/cubejs-api"
    answers = [{"error": "Continue wait"}, {"error": "Continue wait"}, {"data": [{"x": 1}]}]

    def answer(self, request: Request) -> Reply:
        return 200, self.answers[min(len(self.requests), len(self.answers)) - 1]


def test_load_asks_again_while_cube_says_continue_wait():
    with _ContinueWait() as cube:
        assert cube_server.load(cube.url, {"measures": ["a.b"]}, "tok", timeout_s=10) == {
            "data": [{"x": 1}]}
        assert [r.headers["Authorization"] for r in cube.requests] == ["Bearer tok"] * 3
