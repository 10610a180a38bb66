"""The overview's first render needs no callback: the layout a signed-in browser fetches already
holds its page, with every widget filled from Cube, and the filter controls set from its URL.

Cube is replaced by a stand-in that answers each query with figures derived from the query itself
(its date range), so the test can tell the current period's tiles from the previous period's and
a page drawn for 7 days from one drawn for a month.
"""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest

from dashboard import session
from dashboard.app import create_app
from dashboard.cube import CubeClient
from dashboard.metrics import KPIS

VIEW = "outcomes_overview"
MEMBERS = [k.name for k in KPIS if not k.name.startswith("latency")] + [
    "conversations", "date_day", "intent", "prompt_version", "llm_model", "experiment_id", "capability",
    "action", "outcome_metric_name", "outcome_events", "outcome_value_mean", "outcome_value_sum",
    "outcome_date_day", "outcome_llm_model", "outcome_experiment_id", "outcome_intent", "outcome_capability",
    "outcome_action", "outcome_prompt_version"]
META = {"cubes": [{"name": VIEW, "type": "view", "measures": [{"name": f"{VIEW}.{m}"} for m in MEMBERS],
                   "dimensions": []}]}
LATEST = dt.date(2026, 11, 30)


def _days(query: dict) -> int:
    """How many days the query covers (0 when it has no date range: the latest-day lookup)."""
    ranges = [t["dateRange"] for t in query.get("timeDimensions", []) if "dateRange" in t]
    if not ranges:
        return 0
    start, end = (dt.date.fromisoformat(d) for d in ranges[0])
    return (end - start).days + 1


def fake_load(self, query: dict) -> list[dict]:
    """Rows shaped as Cube's: a value per measure that grows with the range's first day."""
    time_dims = query.get("timeDimensions", [])
    if not time_dims:  # a filter's values
        return [{query["dimensions"][0]: f"segment-{i}", query["measures"][0]: "5"} for i in range(2)]
    if "dateRange" not in time_dims[0]:  # the latest day with data, or release markers
        return [{f"{VIEW}.date_day.day": f"{LATEST}T00:00:00.000", f"{VIEW}.prompt_version": "v1",
                 **{m: "1" for m in query["measures"]}}]
    start = dt.date.fromisoformat(time_dims[0]["dateRange"][0])
    value = str(0.01 * (start - dt.date(2026, 1, 1)).days)
    if time_dims[0].get("granularity") == "day":
        return [{f"{VIEW}.date_day.day": f"{start + dt.timedelta(days=i)}T00:00:00.000",
                 **{m: value for m in query["measures"]}} for i in range(_days(query))]
    labels = query.get("dimensions") or []
    return [{**{d: f"segment-{i}" for d in labels}, **{m: value for m in query["measures"]}}
            for i in range(2 if labels else 1)]


@pytest.fixture
def signed_in(monkeypatch):
    monkeypatch.setattr(CubeClient, "meta", lambda self: META)
    monkeypatch.setattr(CubeClient, "_load_uncached", fake_load)
    app = create_app("http://127.0.0.1:9/cubejs-api", cache_ttl_s=0)
    client = app.server.test_client()
    client.set_cookie(session.COOKIE, session.new_session("a.token.of.someone"))
    return client


def _every(node):
    """Every component of a layout (Dash's JSON), depth first."""
    if isinstance(node, list):
        for child in node:
            yield from _every(child)
    elif isinstance(node, dict) and "props" in node:
        yield node
        for value in node["props"].values():
            yield from _every(value)


def _components(layout) -> dict:
    """The layout's components that have an id, by id (a dict id as sorted JSON)."""
    return {json.dumps(n["props"]["id"], sort_keys=True) if isinstance(n["props"]["id"], dict) else n["props"]["id"]: n
            for n in _every(layout) if "id" in n["props"]}


def _layout(client, page: str | None) -> dict:
    headers = {"Referer": f"http://localhost{page}"} if page else {}
    answer = client.get("/_dash-layout", headers=headers)
    assert answer.status_code == 200
    return answer.get_json()


def _text(node) -> str:
    if isinstance(node, list):
        return "".join(_text(n) for n in node)
    if isinstance(node, dict):
        return _text(node.get("props", {}).get("children"))
    return "" if node is None else str(node)


def test_the_overview_layout_arrives_with_its_tiles_and_charts_drawn_for_the_url(signed_in):
    layout = _layout(signed_in, "/overview?range=7D&intent=segment-0")
    shown = _components(layout)
    start = LATEST - dt.timedelta(days=6)
    current = 0.01 * (start - dt.date(2026, 1, 1)).days
    conversion = shown["kpi-conversion_rate"]
    assert conversion["props"]["data-value"] == str(current)  # the current 7 days, not the previous ones
    assert f"{current * 100:.1f}" in _text(conversion)
    trend = shown["trend-graph"]["props"]["figure"]
    assert len(trend["data"][0]["x"]) == 7 and trend["data"][0]["x"][-1] == LATEST.isoformat()
    assert sum(1 for n in _every(layout) if n["type"] == "Graph") == 5
    assert sum(1 for n in _every(layout) if "widget-ready" in n["props"].get("className", "")) == 6
    # The filter controls and the filter store are the URL's, so no callback has to set them.
    assert shown["filters"]["props"]["data"] == {"range": "7D", "intent": ["segment-0"]}
    assert shown["f-range"]["props"]["value"] == "7D"
    assert shown[json.dumps({"type": "f-seg", "key": "intent"}, sort_keys=True)]["props"]["value"] == ["segment-0"]
    assert shown["page-for"]["props"]["data"] == "/overview?range=7D&intent=segment-0"
    # And the frame around it: navigation, the header, the export links.
    assert shown["who"]["props"]["children"] == f"Role: custom · data to {LATEST}"
    assert [link["props"]["href"] for link in shown["nav"]["props"]["children"]][0] == "/overview?range=7D&intent=segment-0"
    assert shown["pdf-link"]["props"]["href"] == "/export/pdf/overview?range=7D&intent=segment-0"
    assert shown["copy-link"]["props"]["content"] == "http://localhost/overview?range=7D&intent=segment-0"


def test_without_the_browsers_url_the_page_is_left_to_the_page_callback(signed_in):
    shown = _components(_layout(signed_in, None))
    assert shown["page"]["props"].get("children") is None and shown["page-for"]["props"].get("data") is None
    assert shown["filters"]["props"].get("data") is None
    # Another site's page is not ours to draw.
    answer = signed_in.get("/_dash-layout", headers={"Referer": "http://elsewhere.example/overview?range=7D"})
    assert _components(answer.get_json())["page"]["props"].get("children") is None


def test_other_pages_arrive_in_the_layout_and_their_widgets_fill_on_the_first_render(signed_in):
    shown = _components(_layout(signed_in, "/prompts?range=1M"))
    assert shown["page-for"]["props"]["data"] == "/prompts?range=1M"
    assert "Prompt" in _text(shown["page"]["props"]["children"])


def test_the_index_preloads_the_layout_and_the_callback_graph(signed_in):
    index = signed_in.get("/overview?range=1M").get_data(as_text=True)
    for route in ("/_dash-layout", "/_dash-dependencies"):
        assert f'<link rel="preload" href="{route}" as="fetch" crossorigin="anonymous">' in index


def test_the_overviews_widgets_and_the_frame_skip_the_first_render_and_follow_filter_changes(signed_in):
    dependencies = signed_in.get("/_dash-dependencies").get_json()
    for output in ("w-overview-kpis.children", "nav.children"):
        callback = next(d for d in dependencies if output in d["output"])
        assert callback["prevent_initial_call"] is True
        assert [i["id"] for i in callback["inputs"]] == ["filters"]


def test_pages_load_neither_the_babel_polyfill_nor_ag_grid_nor_dash_table_up_front(signed_in):
    index = signed_in.get("/overview?range=1M").get_data(as_text=True)
    scripts = re.findall(r'<script src="([^"]+)"', index)
    assert scripts and not [s for s in scripts if "polyfill@" in s or "dash_ag_grid" in s or "dash_table" in s]
    runtime = next(s for s in scripts if "regenerator-runtime" in s)
    assert b"regeneratorRuntime" in signed_in.get(runtime).data  # what Dash's lazy components need of it
    # ag-grid's bundle: loaded by the first grid a page draws, from a URL Dash serves.
    bundle = json.loads(re.search(r"\}\)\((\"[^\"]+dash_ag_grid[^\"]+\")\);", index).group(1))
    answer = signed_in.get(bundle)
    assert answer.status_code == 200 and b"window.dash_ag_grid=" in answer.data
