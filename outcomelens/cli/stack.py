"""Start, stop and show the local stack: the warehouse, then the accounts service, Cube, the Dagster webserver and daemon, the
collector, the loader and the dashboard, each a program supervised by supervisord (see
outcomelens.core.processes): restarted after a crash, owner-only logs, no secret on a command line."""

from __future__ import annotations

import json
import os
import sys
import time
from collections import deque

import requests
from rich.console import Console
from rich.table import Table

from accounts.manage import ADMIN_PASSWORD_ENV, first_admin_at_setup
from ingestion.sources.spool.reporting import DAGSTER_URL_ENV
from outcomelens.cli import freshness
from outcomelens.cli.pipeline import configure_dagster_instance
from outcomelens.contract.ddl import create_missing_raw_tables
from outcomelens.core import cube_server, paths, processes, warehouse
from outcomelens.core.keyring import CUBE_SECRET_ENV, cube_api_secret
from outcomelens.core.processes import Program

CUBE = "cube"
DAGSTER_WEBSERVER = "dagster-webserver"
DAGSTER_DAEMON = "dagster-daemon"
COLLECTOR = "collector"
LOADER = "loader"
DASHBOARD = "dashboard"
ACCOUNTS = "accounts"
SQL = "sql"
SERVICES = (ACCOUNTS, CUBE, DAGSTER_WEBSERVER, DAGSTER_DAEMON, COLLECTOR, LOADER, DASHBOARD, SQL)
# 4318 is the OTLP/HTTP default, so OpenTelemetry exporters reach the collector without settings.
COLLECTOR_PORT_ENV = "OUTCOMELENS_COLLECTOR_PORT"
DEFAULT_COLLECTOR_PORT = 4318
DASHBOARD_PORT_ENV = "OUTCOMELENS_DASHBOARD_PORT"
DEFAULT_DASHBOARD_PORT = 8050
ACCOUNTS_PORT_ENV = "OUTCOMELENS_ACCOUNTS_PORT"
DEFAULT_ACCOUNTS_PORT = 4100
ACCOUNTS_URL_ENV = "OUTCOMELENS_ACCOUNTS_URL"  # where the dashboard and the SQL endpoint sign users in
SQL_PORT_ENV = "OUTCOMELENS_SQL_PORT"
DEFAULT_SQL_PORT = 15432
READY_TIMEOUT_S = 300.0
VENV_BIN = paths.PROJECT_ROOT / ".venv" / "bin"
# Cube takes these from its own environment; supervisord's (every child's) must not carry the shell's.
_CUBE_PREFIXES = ("CUBEJS_", "CUBESTORE_")
_CUBE_NAMES = ("PORT", "NODE_ENV", "NODE_OPTIONS")
_CUBE_SECRETS = {"CUBEJS_DB_PASS": "OUTCOMELENS_PG_PASSWORD"}  # passed by name, see processes.Program


class StackError(RuntimeError):
    pass


def _is_cube_setting(key: str) -> bool:
    return key.startswith(_CUBE_PREFIXES) or key in _CUBE_NAMES


def cube_url(port: int) -> str:
    return f"http://127.0.0.1:{port}"


def cube_server_for(wh: warehouse.Warehouse, port: int) -> cube_server.CubeServer:
    return cube_server.CubeServer(
        warehouse=wh, api_secret=cube_api_secret(), log_path=paths.logs_dir() / f"{CUBE}.log", port=port
    )


def _services_file():
    return paths.run_dir() / "services.json"


def processes_url(name: str) -> str:
    """The address `up` printed for a service (Cube's base URL, the collector's …)."""
    return json.loads(_services_file().read_text())[name]["url"]


def accounts_url(port: int) -> str:
    return f"http://127.0.0.1:{port}"


def _accounts_program(port: int) -> Program:
    # Started first: Cube asks it about every token, the dashboard signs users in through it.
    command = [sys.executable, "-m", "outcomelens.cli.accounts_service", "--port", str(port)]
    return Program(ACCOUNTS, command, paths.PROJECT_ROOT, priority=5, health_url=accounts_url(port) + "/healthz")


def _cube_program(wh: warehouse.Warehouse, port: int, auth_port: int | None) -> Program:
    server = cube_server_for(wh, port)
    own = {key: value for key, value in server.env().items()
           if _is_cube_setting(key) and key != CUBE_SECRET_ENV and key not in _CUBE_SECRETS}
    if auth_port is not None:  # the one verifier decides every token
        own[cube_server.AUTH_URL_ENV] = accounts_url(auth_port)
    return Program(CUBE, server.command(), paths.SEMANTIC_LAYER_DIR, priority=10, env=own,
                   env_from=_CUBE_SECRETS, health_url=server.url + "/readyz")


def _dagster_programs(dagster_port: int) -> list[Program]:
    workspace = str(paths.PROJECT_ROOT / "workspace.yaml")
    webserver = [str(VENV_BIN / "dagster-webserver"), "-w", workspace, "-h", "127.0.0.1", "-p", str(dagster_port)]
    # Launching a run is a gRPC call to the code server, 60 s at most by default: on a loaded machine
    # that failed micro-batches before they started ("Deadline Exceeded").
    grpc = {"DAGSTER_GRPC_TIMEOUT_SECONDS": "300"}
    return [
        Program(DAGSTER_DAEMON, [str(VENV_BIN / "dagster-daemon"), "run", "-w", workspace], paths.PROJECT_ROOT,
                priority=20, stop_wait_s=30, env=grpc),
        Program(DAGSTER_WEBSERVER, webserver, paths.PROJECT_ROOT, priority=20, env=grpc,
                health_url=f"http://127.0.0.1:{dagster_port}/server_info"),
    ]


def _ingestion_programs(collector_port: int, dagster_port: int) -> list[Program]:
    cli = str(VENV_BIN / "outcomelens")
    # The loader reports each load to the webserver, whose sensor starts the micro-batch (docs/live.md).
    reports = {DAGSTER_URL_ENV: f"http://127.0.0.1:{dagster_port}"}
    return [
        # The loader finishes its cycle on SIGTERM; the collector (stopped first) spools nothing new.
        Program(LOADER, [cli, "ingest", "loader"], paths.PROJECT_ROOT, priority=30, stop_wait_s=30, env=reports),
        Program(COLLECTOR, [cli, "ingest", "serve", "--port", str(collector_port)], paths.PROJECT_ROOT,
                priority=40, health_url=f"http://127.0.0.1:{collector_port}/healthz"),
    ]


def _dashboard_program(port: int, cube_port: int, auth_port: int) -> Program:
    command = [sys.executable, "-m", "dashboard", "--port", str(port), "--cube-url",
               cube_url(cube_port) + cube_server.API_PATH]
    return Program(DASHBOARD, command, paths.PROJECT_ROOT, priority=50, health_url=f"http://127.0.0.1:{port}/",
                   env={ACCOUNTS_URL_ENV: accounts_url(auth_port)})


def _sql_program(port: int, cube_port: int, auth_port: int) -> Program:
    # The Postgres wire-protocol endpoint (sql_endpoint/README.md); no HTTP, so RUNNING is its health.
    command = [sys.executable, "-m", "sql_endpoint", "--port", str(port), "--cube-url",
               cube_url(cube_port) + cube_server.API_PATH]
    return Program(SQL, command, paths.PROJECT_ROOT, priority=50, env={ACCOUNTS_URL_ENV: accounts_url(auth_port)})


def stack_programs(wh: warehouse.Warehouse, ports: dict[str, int], *, with_accounts: bool = True) -> list[Program]:
    """Every service `up` supervises. A new service is one more Program here (with its health URL).
    Without the accounts service (`up --only cube`), Cube checks tokens locally (docs/accounts.md)."""
    return [
        _accounts_program(ports[ACCOUNTS]),
        _cube_program(wh, ports[CUBE], ports[ACCOUNTS] if with_accounts else None),
        *_dagster_programs(ports[DAGSTER_WEBSERVER]),
        *_ingestion_programs(ports[COLLECTOR], ports[DAGSTER_WEBSERVER]),
        _dashboard_program(ports[DASHBOARD], ports[CUBE], ports[ACCOUNTS]),
        _sql_program(ports[SQL], ports[CUBE], ports[ACCOUNTS]),
    ]


def _addresses(ports: dict[str, int]) -> dict[str, str]:
    return {
        ACCOUNTS: accounts_url(ports[ACCOUNTS]),
        CUBE: cube_url(ports[CUBE]),
        DAGSTER_WEBSERVER: f"http://127.0.0.1:{ports[DAGSTER_WEBSERVER]}",
        DAGSTER_DAEMON: "(schedules, sensors, run queue)",
        COLLECTOR: f"http://127.0.0.1:{ports[COLLECTOR]}",
        LOADER: f"{paths.spool_dir()} → raw.*",
        DASHBOARD: f"http://127.0.0.1:{ports[DASHBOARD]}",
        SQL: f"postgresql://127.0.0.1:{ports[SQL]}",
    }


def supervisor_env(wh: warehouse.Warehouse) -> dict[str, str]:
    """supervisord's environment, inherited by every program: the warehouse's variables and the Cube
    secret (so every child mints and verifies with the same one), never the shell's Cube settings."""
    env = {key: value for key, value in os.environ.items() if not _is_cube_setting(key)}
    env.update(wh.env())
    env[CUBE_SECRET_ENV] = cube_api_secret()
    env["DAGSTER_HOME"] = str(paths.dagster_home())
    return env


def _check_ports_free(ports: dict[str, int]) -> None:
    hints = {CUBE: "pass --cube-port", DAGSTER_WEBSERVER: "pass --dagster-port",
             COLLECTOR: f"set {COLLECTOR_PORT_ENV}", DASHBOARD: f"set {DASHBOARD_PORT_ENV}",
             ACCOUNTS: f"set {ACCOUNTS_PORT_ENV}", SQL: f"set {SQL_PORT_ENV}"}
    for name, port in ports.items():
        if not cube_server.port_is_free(port):
            raise StackError(f"port 127.0.0.1:{port} for {name} is taken: {hints[name]}")


def start_stack(console: Console, *, cube_port: int, dagster_port: int, only: list[str] | None = None,
                timeout_s: float = READY_TIMEOUT_S) -> None:
    """Start every service (or `only` those) under supervision; return once each one answers."""
    wh = warehouse.ensure_warehouse()
    console.print(f"warehouse  {wh.url()}")
    with wh.connection() as conn:
        # The first micro-batch can build every model, whichever sources have sent nothing yet.
        create_missing_raw_tables(conn)
    ports = {
        CUBE: cube_port, DAGSTER_WEBSERVER: dagster_port,
        COLLECTOR: int(os.environ.get(COLLECTOR_PORT_ENV, DEFAULT_COLLECTOR_PORT)),
        DASHBOARD: int(os.environ.get(DASHBOARD_PORT_ENV, DEFAULT_DASHBOARD_PORT)),
        ACCOUNTS: int(os.environ.get(ACCOUNTS_PORT_ENV, DEFAULT_ACCOUNTS_PORT)),
        SQL: int(os.environ.get(SQL_PORT_ENV, DEFAULT_SQL_PORT)),
    }
    with_accounts = not only or ACCOUNTS in only
    programs = [p for p in stack_programs(wh, ports, with_accounts=with_accounts) if not only or p.name in only]
    if any(p.name.startswith("dagster") for p in programs):
        configure_dagster_instance(wh)
    if any(p.name == ACCOUNTS for p in programs):
        _ensure_first_admin(console, wh)
    if not processes.supervisor_running():
        _check_ports_free({name: port for name, port in ports.items() if any(p.name == name for p in programs)})
    addresses = _addresses(ports)
    paths.write_private(_services_file(), json.dumps(
        {p.name: {"url": addresses[p.name], "health": p.health_url} for p in programs}))
    processes.start(programs, supervisor_env(wh))
    wait_until_answering(programs, timeout_s)
    if any(p.name == CUBE for p in programs):
        # /readyz answers before the model compiles; each role's /v1/meta shows a model that does not.
        cube_server_for(wh, cube_port).wait_ready(timeout_s, alive=lambda: processes.running(CUBE) is not None)
    _print_addresses(console, programs, addresses)


def _ensure_first_admin(console: Console, wh: warehouse.Warehouse) -> None:
    """The first admin: from OUTCOMELENS_FIRST_ADMIN_EMAIL/_PASSWORD, or made with a one-time password
    printed here once (only its argon2 hash is kept)."""
    made = first_admin_at_setup(wh.connect)
    if made is None:
        return
    user, one_time = made
    if one_time is None:
        console.print(f"first admin {user.email} (password from {ADMIN_PASSWORD_ENV})", highlight=False)
        return
    console.print(f"first admin {user.email}; one-time password, shown once (change it with"
                  " `outcomelens users reset-password`):", highlight=False)
    console.print(one_time, highlight=False, markup=False)


def _print_addresses(console: Console, programs: list[Program], addresses: dict[str, str]) -> None:
    notes = {
        CUBE: lambda url: f"(REST {url}/cubejs-api/v1, GraphQL {url}/cubejs-api/graphql)",
        COLLECTOR: lambda url: f"(OpenAPI {url}/openapi.json, OTLP {url}/v1/traces)",
        ACCOUNTS: lambda url: f"(sign-in {url}/v1/auth/login, admin {url}/v1/users, {url}/v1/governance)",
        SQL: lambda url: f"(Postgres protocol over the semantic layer: psql '{url}/outcomelens?user=EMAIL')",
    }
    for program in programs:
        url = addresses[program.name]
        note = notes.get(program.name, lambda _: f"(log: {program.log_path})")(url)
        console.print(f"{program.name:<18} {url}  {note}")
    console.print("Stop everything with `outcomelens down`; `outcomelens status` shows each service.")


def probe(url: str | None) -> str:
    """'ok' when `url` answers 2xx, else what it answered; '—' for a service without HTTP."""
    if url is None:
        return "—"
    try:
        response = requests.get(url, timeout=5)
    except requests.RequestException:
        return "no answer"
    return "ok" if response.ok else f"HTTP {response.status_code}"


def _is_ready(program: Program) -> bool:
    state = processes.info(program.name) or {}
    if state.get("statename") == "FATAL":
        raise StackError(f"{program.name} keeps exiting; supervisord gave up. The end of {program.log_path}:\n"
                         f"{_log_tail(program)}")
    if program.health_url is None:  # no HTTP: running past its start time is all there is to see
        return state.get("statename") == "RUNNING"
    return probe(program.health_url) == "ok"


def wait_until_answering(programs: list[Program], timeout_s: float) -> None:
    pending = list(programs)
    deadline = time.monotonic() + timeout_s
    while pending:
        pending = [program for program in pending if not _is_ready(program)]
        if pending and time.monotonic() > deadline:
            names = ", ".join(f"{p.name} (log: {p.log_path})" for p in pending)
            raise StackError(f"not answering after {timeout_s:.0f}s: {names}. The end of {pending[0].log_path}:\n"
                             f"{_log_tail(pending[0])}")
        time.sleep(0.5 if pending else 0)


def _log_tail(program: Program, lines: int = 30) -> str:
    try:
        with program.log_path.open(errors="replace") as log:
            return "".join(deque(log, maxlen=lines))
    except OSError as exc:
        return f"(cannot read the log: {exc})"


def stop_stack(console: Console) -> None:
    # supervisord stops its programs in descending priority: the dashboard and the collector first (so
    # nothing new is spooled), the loader after its cycle, Dagster, Cube last.
    if processes.shutdown():
        console.print("stopped supervisord and every service it ran")
    if warehouse.stop_embedded():
        console.print("stopped the embedded Postgres")


def _uptime(state: dict) -> str:
    seconds = int(state["now"] - state["start"])
    return f"{seconds // 3600}h{seconds // 60 % 60:02d}m{seconds % 60:02d}s"


def show_status(console: Console) -> None:
    table = Table("service", "state", "pid", "uptime", "restarts", "health", "where")
    url_env = os.environ.get(warehouse.WAREHOUSE_URL_ENV)
    if url_env:
        table.add_row("warehouse", "external", "", "", "", "", warehouse.Warehouse.from_url(url_env).url())
    else:
        state = "running" if warehouse.embedded_running() else "stopped"
        table.add_row("warehouse", f"embedded, {state}", "", "", "", "", str(paths.data_dir() / "pg"))
    services = json.loads(_services_file().read_text()) if _services_file().exists() else {}
    for name in SERVICES:
        state = processes.info(name)
        if state is None:
            table.add_row(name, "stopped", "", "", "", "", "")
            continue
        up = state["statename"] == "RUNNING"
        table.add_row(
            name, state["statename"].lower(), str(state["pid"]) if up else "", _uptime(state) if up else "",
            str(processes.restarts(name)), probe(services[name]["health"]) if up else "",
            services[name]["url"],
        )
    console.print(table)
    if services:
        show_freshness(console, services)


def show_freshness(console: Console, services: dict) -> None:
    """Per source, seconds since its newest row, as Cube answers it (`model_health.freshness_*`)."""
    if CUBE not in services:
        console.print("freshness: Cube is not running in this stack (`up --only`)")
        return
    table = Table("source", "raw table", "newest row loaded", "age (s)")
    try:
        rows = freshness.through_cube(services[CUBE]["url"] + cube_server.API_PATH, cube_api_secret())
    except freshness.FreshnessUnavailable as exc:
        console.print(f"freshness: {exc}")
        return
    for row in rows:
        table.add_row(row.source_name, row.table_name, row.newest_loaded_at or "no row yet",
                      f"{row.age_s:.0f}" if row.age_s is not None else "")
    console.print(table)
