"""Start the pieces the dashboard tests and benchmark need: a Cube server over real data and the
dashboard itself (`python -m dashboard`) as a child process on free ports.

This is the one place the e2e tests import the project's helpers (CubeServer, tokens, the
embedded warehouse); the dashboard itself imports none of them.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import requests

from accounts.app import AccountsSettings, create_app
from accounts.manage import add_user
from outcomelens.core import cube_server
from outcomelens.core.cube_server import CubeServer
from outcomelens.core.keyring import cube_api_secret
from outcomelens.core.tokens import mint_token
from outcomelens.core.warehouse import ensure_warehouse
from tests.integration.support import serve_in_thread

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("OUTCOMELENS_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update"]


def start_cube(warehouse, secret: str, log_path: Path) -> CubeServer:
    cube_server.install()
    server = CubeServer(warehouse, secret, log_path=log_path, port=cube_server.free_port())
    return server.start()


def demo_cube(log_path: Path) -> tuple[CubeServer, str]:
    """Cube over this checkout's demo warehouse (after `make demo`), with its own secret."""
    secret = cube_api_secret()
    return start_cube(ensure_warehouse(), secret, log_path), secret


@contextlib.contextmanager
def accounts_service(warehouse, secret: str, admin_email: str, admin_password: str):
    """The real accounts service (uvicorn in a thread) on `warehouse`, with one admin; yields its URL."""
    add_user(warehouse.connect, "e2e", "setup", email=admin_email, name="E2E admin", role="admin",
             password=admin_password)
    with serve_in_thread(create_app(AccountsSettings(connect=warehouse.connect, secret=secret))) as url:
        yield url


class Dashboard:
    """`python -m dashboard` on a free port, stopped (its own process group only) on exit.

    `root`: the directory it is started in, whose `dashboard/` package runs (the benchmark points
    it at another revision's to compare)."""
    def __init__(self, cube_api_url: str, log_path: Path, cache_ttl_s: float = 15.0,
                 accounts_url: str | None = None, root: Path = ROOT):
        self.port = cube_server.free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        log_path.parent.mkdir(parents=True, exist_ok=True)
        self._log = open(log_path, "ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "dashboard", "--port", str(self.port), "--cube-url", cube_api_url,
             "--cache-ttl", str(cache_ttl_s), "--chromium", CHROMIUM,
             *(["--accounts-url", accounts_url] if accounts_url else [])],
            cwd=root, stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True)
        self._wait_ready()

    def _wait_ready(self, timeout_s: float = 60.0) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the dashboard exited with {self.process.returncode}")
            try:
                if requests.get(self.url + "/signin", timeout=2).status_code == 200:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.2)
        raise RuntimeError("the dashboard did not answer /signin in time")

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
        self._log.close()


def token(role: str, secret: str) -> str:
    return mint_token(role, secret, ttl_s=3600)
