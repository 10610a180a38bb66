"""Export routes: the CSV of any widget (Cube's rows for what is on screen) and a PDF report of
the current view, printed by headless chromium from this same server with the user's session."""

from __future__ import annotations

import datetime as dt
import os
import shutil

import flask

from dashboard import context, filters, session, widgets
from dashboard.cube import CubeError

# What the PDF renderer waits for: every widget on the page has drawn its content, charts included.
_ALL_WIDGETS_READY = """() => {
  const cards = document.querySelectorAll('.card-body');
  if (!cards.length) return !!document.querySelector('#forbidden-reason');
  const ready = [...cards].every(c => c.querySelector('.widget-ready'));
  // dcc.Graph loads plotly lazily: a graph is drawn only once it has its SVG.
  const drawn = [...document.querySelectorAll('.dash-graph')].every(g => g.querySelector('.main-svg'))
    && !document.querySelector('.dash-graph--pending');
  return ready && drawn && !document.querySelector('[data-dash-is-loading="true"]');
}"""
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update"]


def chromium_path() -> str | None:
    configured = context.settings().get("chromium")
    return configured or shutil.which("chromium") or shutil.which("chromium-browser") or (
        "/usr/bin/chromium" if os.path.exists("/usr/bin/chromium") else None)


def csv_response(name: str):
    if name not in widgets.REGISTRY:
        return flask.jsonify({"error": f"no widget {name!r}"}), 404
    state = filters.from_query(flask.request.query_string.decode())
    try:
        result = widgets.run(name, context.build(state))
    except CubeError as exc:
        return flask.jsonify({"error": exc.message}), exc.status
    if isinstance(result, widgets.Unavailable):
        return flask.jsonify({"error": result.reason}), 409
    stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%d-%H%M%S")
    return flask.Response(widgets.to_csv(result), mimetype="text/csv", headers={
        "Content-Disposition": f'attachment; filename="{name.replace(".", "-")}-{stamp}.csv"'})


def render_pdf(page_url: str, session_id: str, executable: str) -> bytes:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        try:
            page_context = browser.new_context(viewport={"width": 1200, "height": 900})
            page_context.add_cookies([{"name": session.COOKIE, "value": session_id,
                                       "url": page_url}])
            page = page_context.new_page()
            page.goto(page_url, wait_until="networkidle")
            page.wait_for_function(_ALL_WIDGETS_READY, timeout=60_000)
            page.wait_for_timeout(300)  # let plotly finish its last layout pass
            return page.pdf(format="A4", landscape=True, print_background=True,
                            margin={"top": "10mm", "bottom": "10mm", "left": "8mm", "right": "8mm"})
        finally:
            browser.close()


def pdf_response(page: str):
    executable = chromium_path()
    if not executable:
        return flask.jsonify({"error": "no chromium to render the report with (set --chromium)"}), 503
    query = flask.request.query_string.decode()
    target = f"{flask.request.host_url.rstrip('/')}/{page}?{query}"
    pdf = render_pdf(target, session.current_session_id() or "", executable)
    stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%d-%H%M%S")
    return flask.Response(pdf, mimetype="application/pdf", headers={
        "Content-Disposition": f'attachment; filename="outcomelens-{page}-{stamp}.pdf"'})


def register(server: flask.Flask) -> None:
    server.add_url_rule("/export/csv/<name>", "export_csv", csv_response)
    server.add_url_rule("/export/pdf/<page>", "export_pdf", pdf_response)
