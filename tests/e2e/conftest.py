"""Fixtures for the dashboard's browser tests: a real Cube over the synthetic world of
tests/integration/cube_fixtures.py (in a throwaway database), the real accounts service on the same
database, `python -m dashboard` in front of both, and Debian's chromium driven by Playwright. Skips
only when chromium is not installed."""

from __future__ import annotations

import os
import shutil
import uuid
from pathlib import Path

import pytest

from tests.e2e.stack import CHROMIUM, CHROMIUM_ARGS, Dashboard, accounts_service, start_cube, token
from tests.integration.cube_fixtures import create_contract_tables, load_world, synthetic_world
from tests.integration.support import throwaway_database

ARTIFACTS = Path(__file__).parent / "artifacts"
SECRET = "dashboard-e2e-" + uuid.uuid4().hex
ADMIN_EMAIL, ADMIN_PASSWORD = "admin@e2e.example.com", "e2e admin password " + uuid.uuid4().hex[:8]


def _chromium_missing() -> bool:
    return not (os.path.exists(CHROMIUM) or shutil.which("chromium"))


@pytest.fixture(scope="session")
def world():
    return synthetic_world()


@pytest.fixture(scope="session")
def warehouse(world):
    with throwaway_database("dashboard_e2e") as database:
        load_world(create_contract_tables(database), world)
        yield database


@pytest.fixture(scope="session")
def accounts(warehouse):
    """The accounts service the dashboard signs in with (and reads the admin pages from)."""
    with accounts_service(warehouse, SECRET, ADMIN_EMAIL, ADMIN_PASSWORD) as url:
        yield {"url": url, "email": ADMIN_EMAIL, "password": ADMIN_PASSWORD}


@pytest.fixture(scope="session")
def cube(warehouse, tmp_path_factory):
    server = start_cube(warehouse, SECRET, tmp_path_factory.mktemp("cube") / "cube.log")
    # One query first: Cube creates its pre-aggregation schema on the first one, and several
    # first queries at once (a page's widgets) race to create it on a fresh database.
    server.load({"measures": ["outcomes_overview.conversions"]}, token("admin", SECRET))
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def dashboard(cube, accounts):
    app = Dashboard(cube.api_url, ARTIFACTS / "dashboard.log", accounts_url=accounts["url"])
    try:
        yield app
    finally:
        app.stop()


@pytest.fixture(scope="session")
def browser():
    if _chromium_missing():
        pytest.skip("chromium is not installed (apt-get install -y chromium poppler-utils)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def tokens():
    return lambda role: token(role, SECRET)


@pytest.fixture
def new_page(browser):
    contexts = []

    def make(width: int = 1440, height: int = 1000):
        context = browser.new_context(viewport={"width": width, "height": height}, accept_downloads=True)
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()


@pytest.fixture(scope="session", autouse=True)
def artifacts_dir():
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS
