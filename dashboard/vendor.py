"""Browser libraries the dashboard serves itself, installed by `make setup` from dashboard/package.json.

plotly.js's basic bundle (scatter, bar and pie: every trace the pages draw) is 1.2 MB against the
4.8 MB full bundle that Dash loads for the first chart, and the browser parses and runs all of it
on every page load, cache or not. The page includes it as a script, so `window.Plotly` exists when
the first dcc.Graph mounts and Dash never fetches its own bundle. Without `make setup` the file is
absent and the pages fall back to Dash's full bundle: slower, never broken.
"""

from __future__ import annotations

import functools
import json
import logging
from pathlib import Path

import flask

from dashboard.serving import YEAR_S

log = logging.getLogger(__name__)

PACKAGE_DIR = Path(__file__).parent / "node_modules" / "plotly.js-basic-dist-min"
BUNDLE = PACKAGE_DIR / "plotly-basic.min.js"
ROUTE = "/vendor/plotly-basic.min.js"


def bundle_version() -> str | None:
    """The installed basic bundle's plotly.js version, or None when `make setup` has not installed it."""
    try:
        return json.loads((PACKAGE_DIR / "package.json").read_text())["version"] if BUNDLE.is_file() else None
    except (OSError, ValueError, KeyError):
        return None


def external_scripts() -> list[dict]:
    """Script tags for dash.Dash(external_scripts=...): the basic bundle, versioned so browsers keep it."""
    version = bundle_version()
    if version is None:
        log.warning("plotly.js basic bundle not installed (run `make setup`): the pages load Dash's full bundle")
        return []
    return [{"src": f"{ROUTE}?v={version}"}]


@functools.cache
def _bundle_bytes() -> bytes:
    return BUNDLE.read_bytes()


def register(server: flask.Flask) -> None:
    @server.get(ROUTE)
    def plotly_basic_bundle():
        if not BUNDLE.is_file():
            flask.abort(404)
        # A body, not a file stream: flask-compress compresses it once and keeps it (serving.py).
        response = flask.Response(_bundle_bytes(), mimetype="text/javascript")
        response.cache_control.public = True
        response.cache_control.max_age = YEAR_S
        return response
