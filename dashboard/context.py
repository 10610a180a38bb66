"""Per-request context: the signed-in user's Cube client, what they may see, the days in force.

Dash callbacks and the export routes are ordinary Flask requests, so the session cookie is at
hand in both; nothing about the user is kept in the browser besides that cookie.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import flask
import requests

from dashboard import filters, session
from dashboard.access import Capabilities
from dashboard.accounts_api import AccountsClient
from dashboard.cube import CubeClient, CubeError

CONFIG_KEY = "OUTCOMELENS_DASHBOARD"
# Views that carry a date_day and a count, in the order the latest day is looked up.
_ANCHOR_SOURCES = (("outcomes_overview", "conversations"), ("prompt_variants", "conversations"),
                   ("experiments", "conversations"), ("model_health", "conversations"),
                   ("standard_reports", "conversations"), ("operations_drilldown", "count"))
# Shared by every request: a page's queries, and several users' pages, go to Cube at once.
_POOL = ThreadPoolExecutor(max_workers=16, thread_name_prefix="cube")


@dataclass(frozen=True)
class Ctx:
    client: CubeClient
    caps: Capabilities
    state: dict
    anchor: dt.date
    start: dt.date
    end: dt.date

    @property
    def date_range(self) -> list[str]:
        return [self.start.isoformat(), self.end.isoformat()]

    @property
    def previous(self) -> list[str]:
        start, end = filters.previous_range(self.start, self.end)
        return [start.isoformat(), end.isoformat()]


def settings() -> dict:
    return flask.current_app.config[CONFIG_KEY]


def client() -> CubeClient:
    token = session.current_token()
    if not token:
        raise CubeError(401, "not signed in")
    conf = settings()
    return CubeClient(conf["api_url"], token, cache_ttl_s=conf["cache_ttl_s"])


def accounts_client() -> AccountsClient:
    """The accounts API with the signed-in user's token."""
    return AccountsClient(flask.current_app.config[session.ACCOUNTS_URL_KEY], session.current_token())


ANCHOR_TTL_S = 60.0  # the latest day with data moves at most once a day


def latest_day(cube: CubeClient, caps: Capabilities) -> dt.date:
    """The latest day with data in the first view this token may see (today if none).

    Every widget asks for it, so it is reused for a minute even when answers are not otherwise.
    """
    cube = dataclasses.replace(cube, cache_ttl_s=max(cube.cache_ttl_s, ANCHOR_TTL_S))
    for view, count in _ANCHOR_SOURCES:
        if caps.has(view, "date_day", count):
            rows = cube.load({"measures": [f"{view}.{count}"],
                              "timeDimensions": [{"dimension": f"{view}.date_day", "granularity": "day"}],
                              "order": {f"{view}.date_day": "desc"}, "limit": 1})
            if rows:
                return dt.date.fromisoformat(rows[0][f"{view}.date_day.day"][:10])
    return dt.date.today()


_CAPS: dict[int, tuple[dict, Capabilities]] = {}


def capabilities(meta: dict) -> Capabilities:
    """Capabilities of a /meta answer, parsed once per answer (the client reuses the same object
    for a minute; every callback asks)."""
    hit = _CAPS.get(id(meta))
    if hit is not None and hit[0] is meta:
        return hit[1]
    caps = Capabilities.from_meta(meta)
    if len(_CAPS) > 64:
        _CAPS.clear()
    _CAPS[id(meta)] = (meta, caps)  # holding `meta` keeps its id from being reused
    return caps


def build(state: dict) -> Ctx:
    cube = client()
    caps = capabilities(cube.meta())
    anchor = latest_day(cube, caps)
    start, end = filters.date_range(state or {}, anchor)
    return Ctx(cube, caps, state or {}, anchor, start, end)


def load_all(cube: CubeClient, queries: dict[str, dict]) -> dict[str, list[dict]]:
    """Run several Cube queries at once (a widget often needs a period and the one before)."""
    futures = {name: _POOL.submit(cube.load, query) for name, query in queries.items()}
    return {name: future.result() for name, future in futures.items()}


def load_each(cube: CubeClient, queries: dict) -> dict:
    """Like load_all, but a failed query's answer is its CubeError instead of raising: several
    widgets filled from one fan-out each show their own failure."""
    futures = {name: _POOL.submit(cube.load, query) for name, query in queries.items()}
    answers = {}
    for name, future in futures.items():
        try:
            answers[name] = future.result()
        except CubeError as exc:
            answers[name] = exc
        except requests.RequestException as exc:  # Cube down or too slow: that widget says so
            answers[name] = CubeError(502, f"Cube could not be reached ({exc.__class__.__name__})")
    return answers
