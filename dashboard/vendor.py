"""Browser libraries the dashboard serves itself, installed by `make setup` from dashboard/package.json.

- plotly.js's basic bundle (scatter, bar and pie: every trace the pages draw) is 1.2 MB against the
  4.8 MB full bundle that Dash loads for the first chart, and the browser parses and runs all of it
  on every page load, cache or not. The page includes it as a script, so `window.Plotly` exists
  when the first dcc.Graph mounts and Dash never fetches its own bundle.
Dash's index page puts every registered component library's script on every page; `page_scripts`
changes that list:

- regenerator-runtime instead of Dash's babel polyfill (core-js 2 and regenerator-runtime, 99 kB):
  the browsers Dash 4 supports have every ES2017 feature core-js 2 adds, but running it still
  cost about 100 ms of a page load, and it replaces the browser's own String.prototype.trim with
  a slower one (core-js 2 rejects V8's, which no longer trims U+180E). Dash's lazy-loading
  components (dash-component-plugins' asyncDecorator) need only the global `regeneratorRuntime`.
- dash-ag-grid's bundle (1.3 MB) is loaded by the first grid a page draws (lazy_grid.js), not by
  the overview and the other pages without one.
- Dash's DataTable bundle is left out: no page uses dash_table.

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
_DASH_TABLE = re.compile(r'<script src="[^"]*/dash/dash_table/bundle\.[^"]*"></script>\n?')
_AG_GRID = re.compile(r'<script src="(?P<src>[^"]*/dash_ag_grid/dash_ag_grid\.[^"]*\.js)"></script>')


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


def page_scripts(scripts: str) -> str:
    """The index page's script tags (Dash's `{%scripts%}`) with the changes above."""
    runtime = src("regenerator-runtime.js")
    if runtime is not None:
        scripts = _BABEL_POLYFILL.sub(lambda _: f'<script src="{runtime}"></script>', scripts, count=1)
    scripts = _DASH_TABLE.sub("", scripts, count=1)
    return _AG_GRID.sub(lambda tag: f"<script>{_lazy_grid_loader(tag['src'])}</script>", scripts, count=1)


def _lazy_grid_loader(bundle_src: str) -> str:
    return (Path(__file__).parent / "lazy_grid.js").read_text().replace("__SRC__", json.dumps(bundle_src))


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
