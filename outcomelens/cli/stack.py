"""Start, stop and show the local stack: warehouse, Dagster UI + daemon, Cube."""

from __future__ import annotations

import os

from rich.console import Console
from rich.table import Table

from outcomelens.core import cube_server, paths, processes, warehouse
from outcomelens.core.keyring import cube_api_secret

DAGSTER = "dagster"
CUBE = "cube"
COLLECTOR = "collector"
LOADER = "loader"
# 4318 is the OTLP/HTTP default, so OpenTelemetry exporters reach the collector without settings.
COLLECTOR_PORT_ENV = "OUTCOMELENS_COLLECTOR_PORT"
DEFAULT_COLLECTOR_PORT = 4318


def cube_url(port: int) -> str:
    return f"http://127.0.0.1:{port}"


class StackError(RuntimeError):
    pass


def cube_server_for(wh: warehouse.Warehouse, port: int) -> cube_server.CubeServer:
    return cube_server.CubeServer(
        warehouse=wh, api_secret=cube_api_secret(), log_path=paths.logs_dir() / f"{CUBE}.log", port=port
    )


def start_cube_detached(wh: warehouse.Warehouse, port: int) -> str:
    """Cube's base URL; starts Cube in the background unless the one `up` started still runs."""
    if processes.running(CUBE):
        return processes_url(CUBE)
    server = cube_server_for(wh, port)
    if not cube_server.port_is_free(port):
        raise cube_server.CubeServerError(f"port 127.0.0.1:{port} is taken: pass --cube-port")
    processes.start_detached(CUBE, server.command(), env=server.env(), cwd=paths.SEMANTIC_LAYER_DIR)
    (paths.run_dir() / f"{CUBE}.url").write_text(server.url)
    try:
        server.wait_ready(alive=lambda: processes.running(CUBE) is not None)
    except cube_server.CubeServerError:
        processes.stop(CUBE)
        raise
    return server.url


def processes_url(name: str) -> str:
    return (paths.run_dir() / f"{name}.url").read_text().strip()


def start_stack(console: Console, *, cube_port: int, dagster_port: int) -> None:
    wh = warehouse.ensure_warehouse()
    console.print(f"warehouse  {wh.url()}")
    url = start_cube_detached(wh, cube_port)
    console.print(f"Cube       {url}  (REST {url}/cubejs-api/v1, GraphQL {url}/cubejs-api/graphql)")
    if not processes.running(DAGSTER):
        env = {**os.environ, **wh.env(), "DAGSTER_HOME": str(paths.dagster_home())}
        args = [
            str(paths.PROJECT_ROOT / ".venv" / "bin" / "dagster"), "dev",
            "-w", str(paths.PROJECT_ROOT / "workspace.yaml"),
            "-h", "127.0.0.1", "-p", str(dagster_port),
        ]
        processes.start_detached(DAGSTER, args, env=env, cwd=paths.PROJECT_ROOT)
        (paths.run_dir() / f"{DAGSTER}.url").write_text(f"http://127.0.0.1:{dagster_port}")
    console.print(f"Dagster UI {processes_url(DAGSTER)}  (log: {paths.logs_dir() / 'dagster.log'})")
    start_ingestion(console, wh)
    console.print("Stop everything with `outcomelens down`.")


def start_ingestion(console: Console, wh: warehouse.Warehouse) -> None:
    """The collector (HTTP API) and the loader (spool → raw.* every 2 s), each its own process."""
    env = {**os.environ, **wh.env()}
    cli = str(paths.PROJECT_ROOT / ".venv" / "bin" / "outcomelens")
    if not processes.running(COLLECTOR):
        port = int(os.environ.get(COLLECTOR_PORT_ENV, DEFAULT_COLLECTOR_PORT))
        if not cube_server.port_is_free(port):
            raise StackError(f"port 127.0.0.1:{port} is taken: set {COLLECTOR_PORT_ENV}")
        processes.start_detached(COLLECTOR, [cli, "ingest", "serve", "--port", str(port)], env=env, cwd=paths.PROJECT_ROOT)
        (paths.run_dir() / f"{COLLECTOR}.url").write_text(f"http://127.0.0.1:{port}")
    if not processes.running(LOADER):
        processes.start_detached(LOADER, [cli, "ingest", "loader"], env=env, cwd=paths.PROJECT_ROOT)
        (paths.run_dir() / f"{LOADER}.url").write_text(str(paths.data_dir() / "spool"))
    url = processes_url(COLLECTOR)
    console.print(f"collector  {url}  (OpenAPI {url}/openapi.json, OTLP {url}/v1/traces)")
    console.print(f"loader     {processes_url(LOADER)} → raw.*  (log: {paths.logs_dir() / 'loader.log'})")


def stop_stack(console: Console) -> None:
    # The collector stops first so nothing new is spooled; the loader finishes its cycle on SIGTERM.
    for name in (COLLECTOR, LOADER, DAGSTER, CUBE):
        if processes.stop(name):
            console.print(f"stopped {name}")
    if warehouse.stop_embedded():
        console.print("stopped the embedded Postgres")


def show_status(console: Console) -> None:
    table = Table("service", "state", "where")
    url_env = os.environ.get(warehouse.WAREHOUSE_URL_ENV)
    if url_env:
        table.add_row("warehouse", "external", warehouse.Warehouse.from_url(url_env).url())
    else:
        state = "running" if warehouse.embedded_running() else "stopped"
        table.add_row("warehouse", f"embedded, {state}", str(paths.data_dir() / "pg"))
    for name in (DAGSTER, CUBE, COLLECTOR, LOADER):
        proc = processes.running(name)
        table.add_row(name, f"running (pid {proc.pid})" if proc else "stopped", processes_url(name) if proc else "")
    console.print(table)
