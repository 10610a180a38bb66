"""Run the accounts service as a process: `serve(host, port, factory)`. `outcomelens up` runs it through
outcomelens.cli.accounts_service, which adds the governance backends; `python -m accounts.service` runs
it without them (sign-in, users, audit, engagement; governance answers 503). The warehouse and the API
secret come from the environment, as for the collector."""

from __future__ import annotations

import argparse

import uvicorn

from accounts.app import AccountsSettings, create_app
from accounts.manage import ensure_first_admin
from accounts.oidc import provider_from_env
from outcomelens.core.external_tokens import external_issuers_from_env
from outcomelens.core.keyring import cube_api_secret
from outcomelens.core.warehouse import ensure_warehouse

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 4100


def settings_from_env(**extra) -> AccountsSettings:
    """Ensures the warehouse (migrations), creates the first admin from the environment if asked."""
    warehouse = ensure_warehouse()
    ensure_first_admin(warehouse.connect)
    return AccountsSettings(connect=warehouse.connect, secret=cube_api_secret(), external=external_issuers_from_env(),
                            oidc=provider_from_env(), **extra)


def create_app_from_env():
    return create_app(settings_from_env())


def serve(host: str = DEFAULT_HOST, port: int = DEFAULT_PORT, factory: str = "accounts.service:create_app_from_env"):
    # One worker: sign-in is rare, and Cube caches introspection answers.
    uvicorn.run(factory, factory=True, host=host, port=port, log_level="warning", access_log=False)


def main(description: str, factory: str) -> None:
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--host", default=DEFAULT_HOST)
    parser.add_argument("--port", type=int, default=DEFAULT_PORT)
    arguments = parser.parse_args()
    serve(arguments.host, arguments.port, factory)


if __name__ == "__main__":
    main("The OutcomeLens accounts service (without governance)", "accounts.service:create_app_from_env")
