"""Fixtures shared by the integration tests, one test module each (module scope): the module's
throwaway database, the dbt CLI against it, the collector in front of it, and the command line, on
that database or on an embedded Postgres of its own; once per session, Cube's packages. The helpers behind them are in support.py."""

from __future__ import annotations

import shutil

import pytest

from outcomelens.core import cube_server
from outcomelens.core.warehouse import Warehouse
from tests.integration.support import (
    Cli,
    Collector,
    Dbt,
    environment,
    postgres_available,
    running_collector,
    throwaway_database,
)


@pytest.fixture(scope="module")
def warehouse_db(request) -> Warehouse:
    """A fresh database on the local Postgres for this test module, dropped at its end."""
    if not postgres_available():
        pytest.skip("no local Postgres trusting user postgres")
    with throwaway_database(request.module.__name__.rsplit(".", 1)[-1]) as warehouse:
        yield warehouse


@pytest.fixture(scope="module")
def exported_warehouse(warehouse_db) -> Warehouse:
    """The module's database with its variables in os.environ, where dlt's postgres destination (the
    loader's, HubSpot's and the provider usage pipelines) looks for its credentials."""
    with environment(**warehouse_db.env()):
        yield warehouse_db


@pytest.fixture(scope="module")
def dbt(warehouse_db, tmp_path_factory) -> Dbt:
    workdir = tmp_path_factory.mktemp("dbt")
    yield Dbt(warehouse_db, workdir)
    shutil.rmtree(workdir, ignore_errors=True)


@pytest.fixture(scope="module")
def collector(exported_warehouse, tmp_path_factory) -> Collector:
    with running_collector(exported_warehouse, tmp_path_factory.mktemp("collector")) as running:
        yield running


@pytest.fixture(scope="module")
def cli(warehouse_db, tmp_path_factory) -> Cli:
    """The command line on the module's database, with a data directory of its own."""
    return Cli(tmp_path_factory.mktemp("cli"), warehouse_db)


@pytest.fixture(scope="module")
def embedded_cli(tmp_path_factory) -> Cli:
    """The command line on an embedded Postgres in a data directory of its own; whatever the module
    started with it (`up`, `demo`, the Postgres itself) is stopped by `outcomelens down` at the end."""
    cli = Cli(tmp_path_factory.mktemp("outcomelens"))
    yield cli
    cli("down", check=False)


@pytest.fixture(scope="session")
def cube_packages() -> None:
    """The semantic layer's pinned npm packages (`npm ci` on first use only)."""
    cube_server.install()
