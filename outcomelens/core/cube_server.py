"""Run the Cube semantic layer (semantic_layer/) as a child process, and query it.

Cube runs from the project's own pinned npm packages (`npm ci` in semantic_layer/), in production
mode (authentication on, no playground), bound to 127.0.0.1, with its cache and queue in memory.
`CubeServer` starts it against a warehouse, waits until it answers /readyz and serves every role's
model on /v1/meta, and stops only the process group it started. `load` and `graphql` query it with a JWT (see outcomelens.core.tokens).
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Protocol

import requests

from outcomelens.core import paths
from outcomelens.core.tokens import ROLES, mint_token

DEFAULT_PORT = 4000
DEFAULT_HOST = "127.0.0.1"
READY_TIMEOUT_S = 120.0
PRE_AGGREGATIONS_SCHEMA = "cube_pre_aggregations"
API_PATH = "/cubejs-api"
# Variables of the parent environment that would change what Cube does (ports, dev mode, driver).
_INHERITED_PREFIXES = ("CUBEJS_", "CUBESTORE_")
_INHERITED_NAMES = ("PORT", "NODE_ENV", "NODE_OPTIONS")
# The accounts service Cube asks about every token (semantic_layer/auth.js); unset: local checks only.
AUTH_URL_ENV = "OUTCOMELENS_AUTH_URL"


class CubeServerError(RuntimeError):
    pass


class CubeQueryError(RuntimeError):
    def __init__(self, status: int, body: Any, message: str | None = None):
        self.status = status
        self.body = body
        super().__init__(message or f"Cube answered {status}: {body}")


class WarehouseLike(Protocol):
    host: str  # a hostname, or a unix-socket directory (starts with "/")
    port: int
    user: str
    password: str
    database: str


def node_binary() -> str:
    node = os.environ.get("OUTCOMELENS_NODE") or shutil.which("node")
    if not node:
        raise CubeServerError("node is not installed (or set OUTCOMELENS_NODE to its path)")
    return node


def npm_binary() -> str:
    npm = os.environ.get("OUTCOMELENS_NPM") or shutil.which("npm")
    if not npm:
        raise CubeServerError("npm is not installed (or set OUTCOMELENS_NPM to its path)")
    return npm


def is_installed(semantic_layer_dir: Path = paths.SEMANTIC_LAYER_DIR) -> bool:
    """True when node_modules matches package-lock.json (as left by `npm ci`)."""
    marker = semantic_layer_dir / "node_modules" / ".package-lock.json"
    server = semantic_layer_dir / "node_modules" / "@cubejs-backend" / "server" / "package.json"
    lock = semantic_layer_dir / "package-lock.json"
    return (
        marker.exists() and server.exists() and marker.stat().st_mtime >= lock.stat().st_mtime
    )


def install(semantic_layer_dir: Path = paths.SEMANTIC_LAYER_DIR, *, force: bool = False,
            log_path: Path | None = None) -> bool:
    """`npm ci` the pinned packages unless they are installed already; True when it ran.

    CUBESTORE_SKIP_POST_INSTALL: Cube Store's post-install would download a binary, and the
    semantic layer does not use Cube Store (pre-aggregations live in the warehouse).
    """
    if not force and is_installed(semantic_layer_dir):
        return False
    env = {**os.environ, "CUBESTORE_SKIP_POST_INSTALL": "true"}
    cmd = [npm_binary(), "ci", "--no-audit", "--no-fund"]
    result = subprocess.run(cmd, cwd=semantic_layer_dir, env=env, capture_output=True, text=True)
    output = (result.stdout or "") + (result.stderr or "")
    if log_path is not None:
        Path(log_path).write_text(output)
    if result.returncode != 0:
        tail = "\n".join(output.splitlines()[-30:])
        raise CubeServerError(f"`npm ci` in {semantic_layer_dir} failed ({result.returncode}):\n{tail}")
    return True


def port_is_free(port: int, host: str = DEFAULT_HOST) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        # As a server does: connections in TIME_WAIT from an earlier run do not count.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def free_port(host: str = DEFAULT_HOST) -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


def cube_env(
    warehouse: WarehouseLike,
    api_secret: str,
    *,
    port: int = DEFAULT_PORT,
    host: str = DEFAULT_HOST,
    refresh_worker: bool = True,
    auth_url: str | None = None,
    extra: dict[str, str] | None = None,
    base: dict[str, str] | None = None,
) -> dict[str, str]:
    """The environment Cube runs with. Inherited CUBEJS_* variables are dropped, so that nothing
    from the caller's shell turns on dev mode, the SQL API or another port. `auth_url` is the accounts
    service's URL, whose introspection endpoint then decides every token."""
    if not api_secret:
        raise CubeServerError("an API secret is required: Cube would otherwise run without auth")
    source = dict(os.environ if base is None else base)
    env = {
        key: value
        for key, value in source.items()
        if not key.startswith(_INHERITED_PREFIXES) and key not in _INHERITED_NAMES
    }
    env.update(
        {
            "NODE_ENV": "production",
            "PORT": str(port),
            "CUBEJS_BIND_HOST": host,  # read by semantic_layer/serve.js
            "CUBEJS_DEV_MODE": "false",
            "CUBEJS_API_SECRET": api_secret,
            "CUBEJS_TELEMETRY": "false",
            "CUBEJS_CACHE_AND_QUEUE_DRIVER": "memory",
            "CUBEJS_REFRESH_WORKER": "true" if refresh_worker else "false",
            "CUBEJS_PRE_AGGREGATIONS_SCHEMA": PRE_AGGREGATIONS_SCHEMA,
            "CUBEJS_DB_TYPE": "postgres",
            # node-postgres takes a host starting with "/" as a unix-socket directory.
            "CUBEJS_DB_HOST": warehouse.host,
            "CUBEJS_DB_PORT": str(warehouse.port),
            "CUBEJS_DB_NAME": warehouse.database,
            "CUBEJS_DB_USER": warehouse.user,
            "CUBEJS_DB_PASS": warehouse.password or "",
        }
    )
    if auth_url:
        env[AUTH_URL_ENV] = auth_url
    env.update(extra or {})
    return env


@dataclass
class CubeServer:
    """One Cube process serving semantic_layer/ against `warehouse`.

    Use as a context manager, or call `start()` and `stop()`. The process runs in its own process
    group; `stop()` signals that group only.
    """

    warehouse: WarehouseLike
    api_secret: str
    log_path: Path
    port: int = DEFAULT_PORT
    host: str = DEFAULT_HOST
    semantic_layer_dir: Path = paths.SEMANTIC_LAYER_DIR
    refresh_worker: bool = True
    extra_env: dict[str, str] = field(default_factory=dict)
    process: subprocess.Popen | None = field(default=None, init=False, repr=False)
    started_in_s: float | None = field(default=None, init=False)

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def api_url(self) -> str:
        return self.url + API_PATH

    def command(self) -> list[str]:
        return [node_binary(), str(self.semantic_layer_dir / "serve.js")]

    def env(self) -> dict[str, str]:
        return cube_env(
            self.warehouse,
            self.api_secret,
            port=self.port,
            host=self.host,
            refresh_worker=self.refresh_worker,
            extra=self.extra_env,
        )

    def start(self, timeout_s: float = READY_TIMEOUT_S) -> "CubeServer":
        if self.process is not None and self.process.poll() is None:
            raise CubeServerError(f"Cube already runs (pid {self.process.pid})")
        if not is_installed(self.semantic_layer_dir):
            raise CubeServerError(
                f"Cube's npm packages are not installed in {self.semantic_layer_dir}: run "
                "`CUBESTORE_SKIP_POST_INSTALL=true npm ci` there (or outcomelens.core.cube_server.install())"
            )
        if not port_is_free(self.port, self.host):
            raise CubeServerError(f"port {self.host}:{self.port} is taken: Cube cannot listen there")
        self.log_path = Path(self.log_path)
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        started = time.monotonic()
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                self.command(),
                cwd=self.semantic_layer_dir,
                env=self.env(),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group, so stop() reaches its children
            )
        try:
            self.wait_ready(timeout_s)
        except BaseException:
            self.stop()
            raise
        self.started_in_s = time.monotonic() - started
        return self

    def wait_ready(self, timeout_s: float = READY_TIMEOUT_S, *, alive: Callable[[], bool] | None = None) -> None:
        """Wait until Cube answers /readyz and serves /v1/meta for every role.

        The meta requests compile each role's schema, so a model that does not compile is
        reported here (with Cube's message) instead of on the first query. Neither touches the
        warehouse: Cube connects to it on the first data query. `alive` tells whether the server
        process still runs when it is not this object's child (`outcomelens up` detaches it).
        """
        if alive is None:
            if self.process is None:
                raise CubeServerError("Cube was not started")
            alive = self.running
        deadline = time.monotonic() + timeout_s
        pending_roles = list(ROLES)
        last = "no answer yet"
        while True:
            if not alive():
                code = self.process.poll() if self.process is not None else None
                raise CubeServerError(
                    f"Cube exited{'' if code is None else f' with code {code}'} before it was ready; the end of "
                    f"{self.log_path}:\n{self.log_tail()}"
                )
            try:
                response = requests.get(self.url + "/readyz", timeout=2)
                if response.status_code != 200:
                    last = f"/readyz answered {response.status_code}: {response.text[:200]}"
                else:
                    while pending_roles:
                        token = mint_token(pending_roles[0], self.api_secret, ttl_s=60)
                        meta = requests.get(
                            f"{self.api_url}/v1/meta",
                            headers={"Authorization": f"Bearer {token}"},
                            timeout=30,
                        )
                        if meta.status_code != 200:
                            raise CubeServerError(
                                f"Cube does not serve its model to role {pending_roles[0]!r}: "
                                f"/v1/meta answered {meta.status_code}: {meta.text[:2000]}"
                            )
                        pending_roles.pop(0)
                    return
            except requests.RequestException as exc:
                last = f"{exc.__class__.__name__}: {exc}"
            if time.monotonic() >= deadline:
                raise CubeServerError(
                    f"Cube was not ready on {self.url} after {timeout_s:.0f}s ({last}); the end of "
                    f"{self.log_path}:\n{self.log_tail()}"
                )
            time.sleep(0.25)

    def log_tail(self, lines: int = 40) -> str:
        try:
            with open(self.log_path, errors="replace") as log:
                return "".join(deque(log, maxlen=lines))
        except OSError as exc:
            return f"(cannot read the log: {exc})"

    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def stop(self, timeout_s: float = 10.0) -> int | None:
        """SIGTERM the process group this object started, then SIGKILL it if it lingers."""
        process = self.process
        if process is None:
            return None
        if process.poll() is None:
            self._signal_group(process, signal.SIGTERM)
            try:
                process.wait(timeout_s)
            except subprocess.TimeoutExpired:
                self._signal_group(process, signal.SIGKILL)
                process.wait(5)
        # Once reaped, its pid (and so the group id) may be reused: no signal after this point.
        self.process = None
        return process.returncode

    @staticmethod
    def _signal_group(process: subprocess.Popen, sig: signal.Signals) -> None:
        # start_new_session made the child the leader of a group whose id is its pid.
        try:
            os.killpg(process.pid, sig)
        except (ProcessLookupError, PermissionError):
            pass

    def __enter__(self) -> "CubeServer":
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()

    def load(self, query: dict, token: str, timeout_s: float = 60.0) -> dict:
        return load(self.api_url, query, token, timeout_s=timeout_s)

    def graphql(self, query: str, token: str, variables: dict | None = None,
                timeout_s: float = 60.0) -> dict:
        return graphql(self.api_url, query, token, variables=variables, timeout_s=timeout_s)


def _json(response: requests.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return response.text


def load(api_url: str, query: dict, token: str, *, timeout_s: float = 60.0) -> dict:
    """POST a query to /v1/load and return the answer (`data`, `annotation`, …).

    Cube answers "Continue wait" while a query (or a pre-aggregation it needs) is still being
    built; this asks again until the answer comes or `timeout_s` passes. Any other error raises
    CubeQueryError with Cube's status and body.
    """
    deadline = time.monotonic() + timeout_s
    while True:
        remaining = max(1.0, deadline - time.monotonic())
        response = requests.post(
            f"{api_url}/v1/load",
            json={"query": query},
            headers={"Authorization": f"Bearer {token}"},
            timeout=remaining,
        )
        body = _json(response)
        if response.status_code == 200 and isinstance(body, dict):
            if body.get("error") == "Continue wait":
                if time.monotonic() >= deadline:
                    raise CubeQueryError(200, body, f"Cube still computing after {timeout_s:.0f}s")
                time.sleep(0.5)
                continue
            if "error" not in body:
                return body
        raise CubeQueryError(response.status_code, body)


def graphql(api_url: str, query: str, token: str, *, variables: dict | None = None,
            timeout_s: float = 60.0) -> dict:
    """POST a GraphQL query to /graphql and return its `data`; errors raise CubeQueryError."""
    deadline = time.monotonic() + timeout_s
    while True:
        response = requests.post(
            f"{api_url}/graphql",
            json={"query": query, "variables": variables or {}},
            headers={"Authorization": f"Bearer {token}"},
            timeout=max(1.0, deadline - time.monotonic()),
        )
        body = _json(response)
        errors = body.get("errors") if isinstance(body, dict) else None
        if errors and any("Continue wait" in str(e.get("message")) for e in errors):
            if time.monotonic() >= deadline:
                raise CubeQueryError(response.status_code, body, "Cube still computing")
            time.sleep(0.5)
            continue
        if response.status_code == 200 and isinstance(body, dict) and not errors:
            return body.get("data") or {}
        raise CubeQueryError(response.status_code, body)
