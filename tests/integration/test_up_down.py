"""`outcomelens up` leaves Dagster (showing the dlt, dbt and downstream assets) and Cube running;
`status` reports them; `down` stops exactly what was started, then the embedded Postgres."""

import time

import psutil
import pytest
import requests

from outcomelens.core import cube_server
from outcomelens.core.tokens import mint_token

SECRET = "up-down-test-secret-0123456789abcdef0123"
ASSET_QUERY = "{ assetNodes { assetKey { path } } }"


def _pids(data_dir):
    run = data_dir / "run"
    return {p.stem: int(p.read_text().split()[0]) for p in run.glob("*.pid")}


@pytest.fixture(scope="module")
def stack(embedded_cli):
    """`up` on a data directory of its own; embedded_cli runs `down` at the end, whatever happened."""
    ports = {"cube": cube_server.free_port(), "dagster": cube_server.free_port(), "collector": cube_server.free_port()}
    embedded_cli.env.update(CUBEJS_API_SECRET=SECRET, OUTCOMELENS_COLLECTOR_PORT=str(ports["collector"]))
    up = embedded_cli("up", "--cube-port", str(ports["cube"]), "--dagster-port", str(ports["dagster"]), timeout=300)
    return embedded_cli, ports, up.stdout


def test_up_prints_urls(stack):
    _, ports, out = stack
    assert f"http://127.0.0.1:{ports['cube']}" in out
    assert f"http://127.0.0.1:{ports['dagster']}" in out
    assert f"http://127.0.0.1:{ports['collector']}" in out


def test_dagster_ui_lists_dlt_dbt_and_downstream_assets(stack):
    _, ports, _ = stack
    deadline = time.monotonic() + 240
    keys = set()
    while time.monotonic() < deadline and not keys:
        try:
            answer = requests.post(
                f"http://127.0.0.1:{ports['dagster']}/graphql", json={"query": ASSET_QUERY}, timeout=10
            ).json()
            keys = {tuple(n["assetKey"]["path"]) for n in answer["data"]["assetNodes"]}
        except (requests.RequestException, KeyError, TypeError, ValueError):
            time.sleep(2)
    assert ("dlt", "landing", "llm_calls") in keys
    assert ("marts", "fct_attribution_daily") in keys
    assert ("insights", "forecasts") in keys


def test_cube_requires_a_token(stack):
    _, ports, _ = stack
    base = f"http://127.0.0.1:{ports['cube']}/cubejs-api/v1/meta"
    assert requests.get(base, timeout=10).status_code == 401
    token = mint_token("product_manager", SECRET)
    meta = requests.get(base, headers={"Authorization": f"Bearer {token}"}, timeout=30)
    assert meta.status_code == 200
    assert any(c["name"] == "prompt_variants" for c in meta.json()["cubes"])


def test_status_then_down_stops_everything(stack):
    cli, ports, _ = stack
    status = cli("status", check=False, timeout=60)
    assert status.stdout.count("running") >= 5, status.stdout  # warehouse, dagster, cube, collector, loader
    pids = _pids(cli.data_dir)
    assert set(pids) == {"dagster", "cube", "collector", "loader"}
    down = cli("down")
    for name, pid in pids.items():
        assert not psutil.pid_exists(pid) or psutil.Process(pid).status() == psutil.STATUS_ZOMBIE, name
    for port in ports.values():
        assert cube_server.port_is_free(port)
    assert "stopped the embedded Postgres" in down.stdout
    status = cli("status", check=False, timeout=60)
    assert "running" not in status.stdout, status.stdout
