"""`outcomelens up` in a throwaway data dir: every service supervised and answering when it returns (the
Dagster webserver listing the dlt, dbt and downstream assets, its daemon and runs on the Postgres
`dagster` database, Cube requiring a token, the collector, the dashboard); `status` shows each one;
no secret on any command line or in any log; owner-only files; `down` stops everything."""

import os
import socket
import stat
import struct
import subprocess
import time

import dagster as dg
import psutil
import pytest
import requests
from cryptography.fernet import Fernet

from outcomelens.core import cube_server
from outcomelens.core.tokens import mint_token
from outcomelens.core.warehouse import Warehouse
from tests.integration.support import OUTCOMELENS, running_stack

SECRET = "up-down-test-secret-0123456789abcdef0123"
MASTER_KEY = Fernet.generate_key().decode()
ASSET_QUERY = "{ assetNodes { assetKey { path } } }"
FIRST_ADMIN_EMAIL, FIRST_ADMIN_PASSWORD = "first-admin@example.com", "up-down first admin passphrase"
SERVICES = ("accounts", "cube", "dagster-webserver", "dagster-daemon", "collector", "loader", "dashboard", "sql")


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    with running_stack(tmp_path_factory.mktemp("up"), CUBEJS_API_SECRET=SECRET, OUTCOMELENS_MASTER_KEY=MASTER_KEY,
                       OUTCOMELENS_FIRST_ADMIN_EMAIL=FIRST_ADMIN_EMAIL,
                       OUTCOMELENS_FIRST_ADMIN_PASSWORD=FIRST_ADMIN_PASSWORD) as up:
        yield up.env, up.data_dir, up.ports, up.out


def test_up_returns_with_every_service_answering_and_prints_urls(stack):
    _, _, ports, out = stack
    for name in ports:
        scheme = "postgresql" if name == "sql" else "http"
        assert f"{scheme}://127.0.0.1:{ports[name]}" in out, name
    # `up` returned: each answers at once, no retry needed.
    assert requests.get(f"http://127.0.0.1:{ports['collector']}/healthz", timeout=5).ok
    assert requests.get(f"http://127.0.0.1:{ports['cube']}/readyz", timeout=5).ok
    assert requests.get(f"http://127.0.0.1:{ports['dagster']}/server_info", timeout=5).ok
    assert requests.get(f"http://127.0.0.1:{ports['dashboard']}/", timeout=5).ok
    assert requests.get(f"http://127.0.0.1:{ports['accounts']}/healthz", timeout=5).ok
    assert _sql_endpoint_asks_for_a_password(ports["sql"])


def _sql_endpoint_asks_for_a_password(port: int) -> bool:
    """The SQL endpoint speaks the Postgres protocol: a startup message gets AuthenticationCleartextPassword."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        body = struct.pack("!i", 196608) + b"user\0someone@example.com\0\0"
        sock.sendall(struct.pack("!i", len(body) + 4) + body)
        return sock.recv(9) == b"R" + struct.pack("!ii", 8, 3)


def test_first_admin_from_the_environment_signs_in_and_cube_asks_the_accounts_service(stack):
    _, _, ports, out = stack
    accounts = f"http://127.0.0.1:{ports['accounts']}"
    assert f"first admin {FIRST_ADMIN_EMAIL}" in out and FIRST_ADMIN_PASSWORD not in out
    meta = f"http://127.0.0.1:{ports['cube']}/cubejs-api/v1/meta"
    signed_in = requests.post(f"{accounts}/v1/auth/login", json={"email": FIRST_ADMIN_EMAIL,
                              "password": FIRST_ADMIN_PASSWORD}, timeout=30).json()
    # Signed out before Cube ever saw the token: only the accounts service knows it is revoked.
    out = requests.post(f"{accounts}/v1/auth/logout", json={"refresh_token": signed_in["refresh_token"]},
                        headers={"Authorization": f"Bearer {signed_in['access_token']}"}, timeout=30)
    assert out.status_code == 204
    refused = requests.get(meta, headers={"Authorization": f"Bearer {signed_in['access_token']}"}, timeout=30)
    assert refused.status_code == 401 and "revoked" in refused.text
    again = requests.post(f"{accounts}/v1/auth/login", json={"email": FIRST_ADMIN_EMAIL,
                          "password": FIRST_ADMIN_PASSWORD}, timeout=30).json()
    views = requests.get(meta, headers={"Authorization": f"Bearer {again['access_token']}"}, timeout=30).json()
    assert {c["name"] for c in views["cubes"]} >= {"operations_drilldown", "standard_reports"}  # admin's views


def test_dagster_ui_lists_dlt_dbt_and_downstream_assets(stack):
    _, _, ports, _ = stack
    answer = requests.post(f"http://127.0.0.1:{ports['dagster']}/graphql", json={"query": ASSET_QUERY}, timeout=60).json()
    keys = {tuple(n["assetKey"]["path"]) for n in answer["data"]["assetNodes"]}
    assert ("dlt", "landing", "llm_calls") in keys
    assert ("marts", "fct_attribution_daily") in keys
    assert ("insights", "anomalies") in keys


def _dagster_db(data_dir) -> Warehouse:
    return Warehouse(host=str(data_dir / "pg"), port=5432, user="postgres", password="", database="dagster")


def test_dagster_runs_and_daemon_heartbeats_are_in_the_postgres_dagster_database(stack, monkeypatch):
    _, data_dir, _, _ = stack
    monkeypatch.setenv("DAGSTER_HOME", str(data_dir / "dagster_home"))

    @dg.asset
    def probe_asset() -> int:
        return 1

    with dg.DagsterInstance.get() as instance:
        result = dg.materialize([probe_asset], instance=instance)
    assert result.success
    with _dagster_db(data_dir).connection() as conn, conn.cursor() as cur:
        cur.execute("select status from runs where run_id = %s", (result.run_id,))
        assert cur.fetchone() == ("SUCCESS",)
        deadline = time.monotonic() + 120  # the daemon writes its first heartbeat within a minute
        while True:
            cur.execute("select count(*) from daemon_heartbeats")
            if cur.fetchone()[0] > 0 or time.monotonic() > deadline:
                break
            time.sleep(2)
            conn.commit()
        cur.execute("select count(*) from daemon_heartbeats")
        assert cur.fetchone()[0] > 0
    dagster_yaml = (data_dir / "dagster_home" / "dagster.yaml").read_text()
    assert "postgres_url" in dagster_yaml and "purge_after_days" in dagster_yaml


def test_cube_requires_a_token(stack):
    _, _, ports, _ = stack
    base = f"http://127.0.0.1:{ports['cube']}/cubejs-api/v1/meta"
    assert requests.get(base, timeout=10).status_code == 401
    token = mint_token("product_manager", SECRET)
    meta = requests.get(base, headers={"Authorization": f"Bearer {token}"}, timeout=30)
    assert meta.status_code == 200
    assert any(c["name"] == "prompt_variants" for c in meta.json()["cubes"])


def _our_processes(data_dir) -> list[psutil.Process]:
    found = []
    for proc in psutil.process_iter():
        try:
            if proc.environ().get("OUTCOMELENS_DATA_DIR") == str(data_dir):
                found.append(proc)
        except (psutil.AccessDenied, psutil.NoSuchProcess, psutil.ZombieProcess):
            pass
    return found


def test_no_secret_in_any_command_line_or_log(stack):
    _, data_dir, _, _ = stack
    procs = _our_processes(data_dir)
    assert len(procs) >= 8, [p.cmdline() for p in procs]  # supervisord, its listener, seven services
    for proc in psutil.process_iter():
        try:
            argv = " ".join(proc.cmdline())
        except (psutil.AccessDenied, psutil.NoSuchProcess, psutil.ZombieProcess):
            continue
        assert SECRET not in argv and MASTER_KEY not in argv, argv
    logs = [p for p in (data_dir / "logs").rglob("*") if p.is_file()]
    assert {"cube.log", "collector.log", "dagster-webserver.log", "supervisord.log"} <= {p.name for p in logs}
    for log in logs:
        text = log.read_text(errors="replace")
        assert SECRET not in text and MASTER_KEY not in text and FIRST_ADMIN_PASSWORD not in text, log


def test_data_dir_logs_and_run_dir_are_owner_only(stack):
    _, data_dir, _, _ = stack
    # As root the embedded Postgres runs as its own user, which must traverse the data dir (not list it).
    assert stat.S_IMODE(data_dir.stat().st_mode) == (0o711 if os.geteuid() == 0 else 0o700)
    for sub in ("logs", "run", "dagster_home", "spool"):
        assert stat.S_IMODE((data_dir / sub).stat().st_mode) == 0o700, sub
    for sub in ("logs", "run"):
        for path in (data_dir / sub).iterdir():
            assert stat.S_IMODE(path.stat().st_mode) & 0o077 == 0, path
    assert stat.S_IMODE((data_dir / "run" / "supervisord.conf").stat().st_mode) == 0o600
    assert stat.S_IMODE((data_dir / "dagster_home" / "dagster.yaml").stat().st_mode) == 0o600
    config = (data_dir / "run" / "supervisord.conf").read_text()
    assert "unix_http_server" in config and "inet_http_server" not in config
    assert SECRET not in config and MASTER_KEY not in config


def test_status_then_down_stops_everything(stack):
    env, data_dir, ports, _ = stack
    status = subprocess.run([OUTCOMELENS, "status"], env=env, capture_output=True, text=True, timeout=60)
    rows = {line.split("│")[1].strip(): line for line in status.stdout.splitlines() if line.count("│") > 3}
    assert "embedded, running" in rows["warehouse"]
    for name in SERVICES:
        cells = [c.strip() for c in rows[name].split("│")[1:-1]]
        assert cells[1] == "running" and cells[2].isdigit() and cells[4] == "0", cells
        assert cells[5] == ("—" if name in ("loader", "dagster-daemon", "sql") else "ok"), cells
    procs = _our_processes(data_dir)
    down = subprocess.run([OUTCOMELENS, "down"], env=env, capture_output=True, text=True, timeout=180)
    assert down.returncode == 0, down.stderr
    for proc in procs:
        assert not proc.is_running() or proc.status() == psutil.STATUS_ZOMBIE, proc
    for port in ports.values():
        assert cube_server.port_is_free(port)
    assert "stopped the embedded Postgres" in down.stdout
    status = subprocess.run([OUTCOMELENS, "status"], env=env, capture_output=True, text=True, timeout=60)
    assert "running" not in status.stdout, status.stdout
