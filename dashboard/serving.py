"""How responses travel: compressed, and the page's scripts and styles kept by browsers.

- Compression (flask-compress): zstd, brotli or gzip, whichever the browser accepts first. The
  scripts (plotly's basic bundle alone is 1.2 MB, dashboard/vendor.py) shrink to about a third;
  their compressed bodies are kept in memory, so a first visit costs no compression time. Callback answers (a page's figures, tens of
  kB) are compressed on the fly (zstd: well under a millisecond).
- Caching: Dash already gives its fingerprinted scripts a year's max-age; the app's own assets are
  linked with their modification time (`?m=`), so they get a year too instead of a revalidation
  on every page load.
"""

from __future__ import annotations

import threading

import flask
from flask_compress import Compress

_STATIC_PREFIXES = ("/_dash-component-suites/", "/assets/", "/vendor/")
YEAR_S = 31_536_000


def _static_key(request: flask.Request) -> str:
    # Only files that are the same for everyone are worth keeping compressed; the rest key as "".
    return request.full_path if request.path.startswith(_STATIC_PREFIXES) else ""


class _StaticBodies:
    """flask-compress's cache: compressed static bodies, keyed by algorithm and URL."""

    def __init__(self) -> None:
        self._items: dict[str, bytes] = {}
        self._lock = threading.Lock()

    @staticmethod
    def _cacheable(key: str) -> bool:
        return not key.endswith(";")  # flask-compress keys "<algorithm>;<_static_key>"

    def get(self, key: str) -> bytes | None:
        with self._lock:
            return self._items.get(key) if self._cacheable(key) else None

    def set(self, key: str, value: bytes) -> None:
        if self._cacheable(key):
            with self._lock:
                if len(self._items) > 256:  # a few dozen files by a few algorithms; bounded anyway
                    self._items.clear()
                self._items[key] = value


def register(server: flask.Flask) -> None:
    # Streamed responses (the app's own files under /assets, a few kB) stay as they are:
    # compressing a stream runs in a generator outside the request's own context handling.
    server.config.update(COMPRESS_ALGORITHM=["zstd", "br", "gzip"], COMPRESS_CACHE_KEY=_static_key,
                         COMPRESS_CACHE_BACKEND=_StaticBodies, COMPRESS_STREAMS=False)

    @server.after_request
    def cache_versioned_assets(response: flask.Response) -> flask.Response:
        request = flask.request
        if request.path.startswith("/assets/") and request.args.get("m") and response.status_code == 200:
            response.cache_control.no_cache = None  # Flask's default for files: revalidate each time
            response.cache_control.public = True
            response.cache_control.max_age = YEAR_S
        return response

    # Registered after the hook above: Flask runs after_request hooks last-registered first, so
    # the response is compressed after its headers are final.
    Compress(server)
