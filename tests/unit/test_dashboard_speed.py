"""What makes the overview fast without changing what it shows: answers reused per user (not per
token, not per role), the overview's charts built as plain figures identical to plotly's own, and
compressed, cacheable responses."""

from __future__ import annotations

import re
from pathlib import Path

import jwt
import plotly.graph_objects as go
import pytest
from backports import zstd
from plotly.basedatatypes import BaseTraceType

from dashboard import serving, theme, vendor
from dashboard.app import create_app
from dashboard.cube import security_context
from dashboard.pages import overview

KEY = "k" * 32


def _token(**claims) -> str:
    return jwt.encode({"iss": "outcomelens", "aud": "outcomelens-api", **claims}, KEY, algorithm="HS256")


def test_a_refreshed_token_of_the_same_user_reuses_answers_and_nobody_else_does():
    first = _token(sub="u1", role="product_manager", iat=1, exp=100, jti="a")
    refreshed = _token(sub="u1", role="product_manager", iat=50, exp=150, jti="b")
    colleague = _token(sub="u2", role="product_manager", iat=1, exp=100, jti="c")
    promoted = _token(sub="u1", role="admin", iat=60, exp=160, jti="d")
    assert security_context(first) == security_context(refreshed)
    # Another user of the same role: Cube records each user's queries, so no sharing.
    assert security_context(first) != security_context(colleague)
    assert security_context(first) != security_context(promoted)
    assert security_context("not a jwt") == "token:not a jwt"
    assert security_context(_token(role="admin")) == "token:" + _token(role="admin")  # no sub: per token


DAYS = ["2026-10-01", "2026-10-02", "2026-10-03"]
V = "outcomes_overview"
ROWS = [{f"{V}.date_day.day": f"{d}T00:00:00.000", f"{V}.conversion_rate": str(rate), f"{V}.revenue": str(rev),
         f"{V}.conversations": "10"} for d, rate, rev in zip(DAYS, (0.1, 0.25, 0.05), (100, 250.5, 0))]


def _figure(component):
    return component.children[0].figure


def test_the_trend_chart_holds_the_rows_and_marks_releases_on_their_first_day_in_range():
    releases = [{f"{V}.prompt_version": "v1", f"{V}.date_day.day": "2026-09-20T00:00:00.000"},  # before range
                {f"{V}.prompt_version": "v2", f"{V}.date_day.day": "2026-10-02T00:00:00.000"},
                {f"{V}.prompt_version": "v2", f"{V}.date_day.day": "2026-10-03T00:00:00.000"},
                {f"{V}.prompt_version": "v3", f"{V}.date_day.day": "2026-10-03T00:00:00.000"}]  # last day
    fig = _figure(overview.render_trend({"rows": ROWS, "releases": releases}, None))
    go.Figure(fig)  # plotly accepts it as it is (raises on an unknown property)
    revenue, conversion = fig["data"]
    assert revenue["type"] == "bar" and revenue["x"] == DAYS and revenue["y"] == [100, 250.5, 0]
    assert conversion["y"] == pytest.approx([10.0, 25.0, 5.0]) and "yaxis" not in conversion
    assert revenue["yaxis"] == "y2"
    assert [s["x0"] for s in fig["layout"]["shapes"]] == ["2026-10-02", "2026-10-03"]
    assert [a["text"] for a in fig["layout"]["annotations"]] == ["v2 released", "v3 released"]


def test_plain_figures_have_the_layout_plotly_would_build():
    built = theme.figure_layout(go.Figure(), y2="Revenue ($)")
    built.update_layout(yaxis=dict(title="Conversion (%)"), hovermode="closest")
    plain = theme.figure([], y2="Revenue ($)", yaxis={"title": {"text": "Conversion (%)"}}, hovermode="closest")
    assert plain["layout"] == built.to_plotly_json()["layout"]
    # Each figure gets its own copy: one chart's changes never reach the next.
    plain["layout"]["yaxis"]["title"]["text"] = "changed"
    assert theme.figure([], y2="Revenue ($)")["layout"]["yaxis"].get("title") is None


def test_scripts_are_compressed_once_and_cached_a_year_and_callbacks_compressed():
    app = create_app("http://127.0.0.1:9/cubejs-api")
    serving.register(app.server)
    client = app.server.test_client()
    script = app._collect_and_register_resources(app.scripts.get_all_scripts())[0]
    plain = client.get(script).data
    answer = client.get(script, headers={"Accept-Encoding": "gzip, deflate, br, zstd"})
    assert answer.headers["Content-Encoding"] == "zstd" and answer.cache_control.max_age == serving.YEAR_S
    assert zstd.decompress(answer.data) == plain and len(answer.data) < len(plain) / 2
    asset = client.get("/assets/style.css?m=1", headers={"Accept-Encoding": "zstd"})
    assert asset.status_code == 200 and asset.cache_control.max_age == serving.YEAR_S
    assert client.get("/assets/style.css").cache_control.max_age is None  # unversioned link: revalidated
    refused = client.post("/_dash-update-component", json={}, headers={"Accept-Encoding": "zstd"})
    assert refused.status_code == 401  # still signed-in only


def test_pages_load_plotlys_basic_bundle_of_the_version_plotly_py_draws_for():
    from plotly.offline import get_plotlyjs_version

    assert vendor.bundle_version() == get_plotlyjs_version()  # figures built by plotly.py 7 for plotly.js 4.1.1
    app = create_app("http://127.0.0.1:9/cubejs-api")
    serving.register(app.server)
    client = app.server.test_client()
    src = f"{vendor.ROUTE}?v={get_plotlyjs_version()}"
    with app.server.test_request_context("/"):
        page = app.index()  # the page a signed-in browser gets
    assert f'<script src="{src}"></script>' in page
    answer = client.get(src, headers={"Accept-Encoding": "zstd"})
    assert answer.status_code == 200 and answer.cache_control.max_age == serving.YEAR_S
    body = zstd.decompress(answer.data)
    assert body.startswith(b"/**\n* plotly.js (basic - minified) v4.1.1") and len(body) < 1_500_000
    # Every trace the pages build is one the basic bundle has: plotly objects and figure dicts alike.
    source = "".join(p.read_text() for p in Path(theme.__file__).parent.rglob("*.py"))
    names = {n.lower() for n in re.findall(r"go\.([A-Z]\w*)\(|\.add_(\w+)\(|\{\"type\": \"(\w+)\"", source) for n in n if n}
    trace_types = {cls.lower() for cls in dir(go) if isinstance(getattr(go, cls), type)
                   and issubclass(getattr(go, cls), BaseTraceType)}
    assert names & trace_types == {"bar", "scatter"}
