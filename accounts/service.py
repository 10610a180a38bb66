"""Run the accounts service as a process (what `outcomelens up` starts): `python -m accounts.service`
or `serve(host, port)`; the warehouse and the API secret come from the environment, as for the collector."""

from __future__ import annotations

import argparse

import uvicorn

from accounts.app import AccountsSettings, create_app
from accounts.manage import ensure_first_admin
from outcomelens.core.keyring import cube_api_secret
from outcomelens.core.warehouse import ensure_warehouse

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 4100


def create_app_from_env():
    """Ensures the warehouse (migrations), creates the first admin from the environment if asked."""
    warehouse = ensure_warehouse()
    ensure_first_admin(warehouse.connect)
    return create_app(AccountsSettings(connect=warehouse.connect, secret=cube_api_secret()))


def serve(host: str = DEFAULT_HOST, port: int = DEFAULT_PORT) -> None:
    # One worker: sign-in is rare, and Cube caches introspection answers.
    uvicorn.run("accounts.service:create_app_from_env", factory=True, host=host, port=port,
                log_level="warning", access_log=False)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="The OutcomeLens accounts service")
    parser.add_argument("--host", default=DEFAULT_HOST)
    parser.add_argument("--port", type=int, default=DEFAULT_PORT)
    arguments = parser.parse_args()
    serve(arguments.host, arguments.port)
