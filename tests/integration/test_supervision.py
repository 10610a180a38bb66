"""Services stay up: `kill -9` of the collector (and of its worker processes' parent) or of Cube while
`up` runs them, and supervisord has each back and answering within seconds; `status` counts the restart."""

import os
import signal
import subprocess
import time

import psutil
import pytest
import requests

from outcomelens.core import cube_server
from tests.integration.support import OUTCOMELENS

SECRET = "supervision-test-secret-0123456789abcdef"
# ~30 s on an idle machine (Cube ~8 s, the collector's workers ~15 s); the shared CI box is slower.
BACK_WITHIN_S = 90


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("supervised")
    env = {**os.environ, "OUTCOMELENS_DATA_DIR": str(data_dir), "CUBEJS_API_SECRET": SECRET, "COLUMNS": "200"}
    env.pop("OUTCOMELENS_WAREHOUSE_URL", None)
    ports = {"cube": cube_server.free_port(), "collector": cube_server.free_port()}
    env["OUTCOMELENS_COLLECTOR_PORT"] = str(ports["collector"])
    up = subprocess.run([OUTCOMELENS, "up", "--cube-port", str(ports["cube"]), "--only", "cube",
                         "--only", "collector", "--only", "loader"], env=env, capture_output=True, text=True, timeout=600)
    try:
        assert up.returncode == 0, up.stdout + up.stderr
        yield env, ports
    finally:
        subprocess.run([OUTCOMELENS, "down"], env=env, timeout=180)


def status_row(env, name: str) -> list[str]:
    out = subprocess.run([OUTCOMELENS, "status"], env=env, capture_output=True, text=True, timeout=60).stdout
    for line in out.splitlines():
        cells = [c.strip() for c in line.split("│")[1:-1]]
        if cells and cells[0] == name:
            return cells  # service, state, pid, uptime, restarts, health, where
    raise AssertionError(out)


def kill_and_wait_back(env, name: str) -> float:
    pid = int(status_row(env, name)[2])
    children = psutil.Process(pid).children(recursive=True)
    os.kill(pid, signal.SIGKILL)
    killed = time.monotonic()
    while True:
        row = status_row(env, name)  # its health column is status's own HTTP probe
        if row[1] == "running" and row[2] != str(pid) and row[5] == "ok":
            break
        assert time.monotonic() - killed < BACK_WITHIN_S, f"{name} not back: {status_row(env, name)}"
        time.sleep(0.5)
    # Nothing the killed process left behind still runs (the collector's workers held its port).
    for child in children:
        assert not child.is_running() or child.status() == psutil.STATUS_ZOMBIE, child
    return time.monotonic() - killed


@pytest.mark.parametrize("name, health", [("collector", "/healthz"), ("cube", "/readyz")])
def test_killed_service_is_restarted_and_counted(stack, name, health):
    env, ports = stack
    assert status_row(env, name)[4] == "0"
    kill_and_wait_back(env, name)
    row = status_row(env, name)
    assert row[4] == "1", row
    assert requests.get(f"http://127.0.0.1:{ports[name]}{health}", timeout=10).ok
