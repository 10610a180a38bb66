"""Cube behind its gate (semantic_layer/gate.js): hostile requests cannot stop it or reach its innards.

Each finding of the hardening issue has a test here: `pre-aggregations/can-use` with `{}` used to end
the Node process; 40 MiB without credentials was parsed before authentication; the root page
announced the server; rejected bearer tokens were written to the log; CORS preflights were answered
for any origin. One real Cube server (production mode) over the synthetic world serves the module.
"""

from __future__ import annotations

import time

import pytest
import requests

from outcomelens.core import cube_server
from outcomelens.core.cube_server import CubeServer
from outcomelens.core.tokens import mint_token

from .cube_fixtures import create_contract_tables, load_world, synthetic_world
from .support import throwaway_database

SECRET = "gate-secret-" + "g" * 32
ALLOWED_ORIGIN = "https://dashboard.example.com"
CONVERSATIONS = {"measures": ["standard_reports.conversations"]}


@pytest.fixture(scope="module")
def cube(tmp_path_factory):
    cube_server.install()
    with throwaway_database("cube_gate") as database:
        warehouse = create_contract_tables(database)
        world = synthetic_world(n_conversations=60)
        load_world(warehouse, world)
        server = CubeServer(warehouse, SECRET, log_path=tmp_path_factory.mktemp("cube") / "cube.log",
                            port=cube_server.free_port(), extra_env={"OUTCOMELENS_CORS_ORIGINS": ALLOWED_ORIGIN})
        with server:
            server.world = world
            yield server


def token(role: str = "admin") -> str:
    return mint_token(role, SECRET)


def conversations(cube) -> int:
    rows = cube.load(CONVERSATIONS, token("enablement"))["data"]
    return int(rows[0]["standard_reports.conversations"])


def test_can_use_with_an_empty_body_is_refused_and_cube_stays_up(cube):
    before = conversations(cube)
    response = requests.post(f"{cube.api_url}/v1/pre-aggregations/can-use", json={},
                             headers={"Authorization": token()}, timeout=10)
    assert response.status_code == 404, response.text
    time.sleep(1)
    assert cube.running()
    assert conversations(cube) == before == len(cube.world["conversations"])


@pytest.mark.parametrize("path", ["/", "/cubejs-api/v1/pre-aggregations/jobs", "/cubejs-api/v1/run-scheduled-refresh",
                                  "/cubejs-system/v1/context", "/playground/context"])
def test_routes_clients_do_not_need_answer_404(cube, path):
    response = requests.get(f"{cube.url}{path}", headers={"Authorization": token()}, timeout=10)
    assert response.status_code == 404, (path, response.text)
    assert "Cube" not in response.text


def test_a_large_body_without_credentials_is_refused_before_it_is_read(cube):
    started = time.monotonic()
    response = requests.post(f"{cube.api_url}/v1/load", data=b"{" + b" " * (40 * 1024 * 1024) + b"}",
                             headers={"Content-Type": "application/json"}, timeout=30)
    assert response.status_code == 401, response.text
    assert "Authorization header is missing" in response.json()["error"]
    assert time.monotonic() - started < 3


def test_a_large_body_with_credentials_gets_413(cube):
    response = requests.post(f"{cube.api_url}/v1/load", data=b"{" + b" " * (2 * 1024 * 1024) + b"}",
                             headers={"Content-Type": "application/json", "Authorization": token()}, timeout=30)
    assert response.status_code == 413, response.text


def test_rejected_tokens_never_reach_the_log(cube):
    forged = mint_token("admin", "not-the-secret-" + "x" * 32)
    for _ in range(2):
        # /meta goes through Cube's own checkAuth after the gate; a bad token is refused by both.
        response = requests.get(f"{cube.api_url}/v1/meta", headers={"Authorization": forged}, timeout=10)
        assert response.status_code == 401
    signature = forged.rsplit(".", 1)[1]
    assert signature not in cube.log_path.read_text()


def test_cors_only_for_configured_origins(cube):
    def preflight(origin: str) -> requests.Response:
        return requests.options(f"{cube.api_url}/v1/load", timeout=10, headers={
            "Origin": origin, "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization,content-type"})

    assert preflight(ALLOWED_ORIGIN).headers.get("Access-Control-Allow-Origin") == ALLOWED_ORIGIN
    assert "Access-Control-Allow-Origin" not in preflight("https://evil.example").headers


def test_queries_still_answer_through_the_gate(cube):
    assert conversations(cube) == len(cube.world["conversations"])
    graphql = cube.graphql("{ cube { standard_reports { conversations } } }", token("enablement"))
    assert int(graphql["cube"][0]["standard_reports"]["conversations"]) == len(cube.world["conversations"])
