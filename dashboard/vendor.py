"""Browser libraries the dashboard serves itself, installed by `make setup` from dashboard/package.json.

- plotly.js's basic bundle (scatter, bar and pie: every trace the pages draw) is 1.2 MB against the
  4.8 MB full bundle that Dash loads for the first chart, and the browser parses and runs all of it
  on every page load, cache or not. The page includes it as a script, so `window.Plotly` exists
  when the first dcc.Graph mounts and Dash never fetches its own bundle.
- regenerator-runtime instead of Dash's babel polyfill (core-js 2 and regenerator-runtime, 99 kB):
  the browsers Dash 4 supports have every ES2017 feature core-js 2 adds, but running it still
  cost about 100 ms of a page load, and it replaces the browser's own String.prototype.trim with
  a slower one (core-js 2 rejects V8's, which no longer trims U+180E). Dash's lazy-loading
  components (dash-component-plugins' asyncDecorator) need only the global `regeneratorRuntime`.

Without `make setup` the files are absent and the pages fall back to Dash's own: slower, never broken.
"""

from __future__ import annotations

import functools
import json
import logging
import re
from pathlib import Path

import flask

from dashboard.serving import YEAR_S

log = logging.getLogger(__name__)

NODE_MODULES = Path(__file__).parent / "node_modules"
# Served name -> (npm package, file in it).
SCRIPTS = {"plotly-basic.min.js": ("plotly.js-basic-dist-min", "plotly-basic.min.js"),
           "regenerator-runtime.js": ("regenerator-runtime", "runtime.js")}
PREFIX = "/vendor/"
ROUTE = PREFIX + "plotly-basic.min.js"
_BABEL_POLYFILL = re.compile(r'<script src="[^"]*/deps/polyfill@[^"]*"></script>')


def _file(name: str) -> Path:
    package, file = SCRIPTS[name]
    return NODE_MODULES / package / file


def version(name: str) -> str | None:
    """The installed package's version for the served script `name`, or None when `make setup` has not installed it."""
    package, _ = SCRIPTS[name]
    try:
        return json.loads((NODE_MODULES / package / "package.json").read_text())["version"] if _file(name).is_file() \
            else None
    except (OSError, ValueError, KeyError):
        return None


def bundle_version() -> str | None:
    """The installed basic bundle's plotly.js version."""
    return version("plotly-basic.min.js")


def src(name: str) -> str | None:
    """The script's URL, versioned so browsers keep it; None when it is not installed."""
    installed = version(name)
    return f"{PREFIX}{name}?v={installed}" if installed else None


def external_scripts() -> list[dict]:
    """Script tags for dash.Dash(external_scripts=...): the basic bundle."""
    plotly = src("plotly-basic.min.js")
    if plotly is None:
        log.warning("plotly.js basic bundle not installed (run `make setup`): the pages load Dash's full bundle")
        return []
    return [{"src": plotly}]


def without_babel_polyfill(scripts: str) -> str:
    """The index page's script tags with Dash's babel polyfill replaced by regenerator-runtime."""
    runtime = src("regenerator-runtime.js")
    if runtime is None:
        return scripts
    return _BABEL_POLYFILL.sub(lambda _: f'<script src="{runtime}"></script>', scripts, count=1)


@functools.cache
def _bytes(name: str) -> bytes:
    return _file(name).read_bytes()


def register(server: flask.Flask) -> None:
    @server.get(PREFIX + "<name>")
    def vendored_script(name: str):
        if name not in SCRIPTS or not _file(name).is_file():
            flask.abort(404)
        # A body, not a file stream: flask-compress compresses it once and keeps it (serving.py).
        response = flask.Response(_bytes(name), mimetype="text/javascript")
        response.cache_control.public = True
        response.cache_control.max_age = YEAR_S
        return response
