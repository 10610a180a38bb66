"""What the pages share: choosing a view for a metric, time-dimension clauses, callback wiring."""

from __future__ import annotations

import logging
from typing import Callable

from dash import Input, Output
from dash.exceptions import PreventUpdate

from dashboard import components, context, filters, widgets
from dashboard.context import Ctx
from dashboard.cube import CubeError

log = logging.getLogger(__name__)
OUTCOME_VIEWS = ("outcomes_overview", "prompt_variants", "experiments", "standard_reports")
LATENCY_VIEWS = ("prompt_variants", "model_health")


def filtered_dimensions(state: dict) -> tuple[str, ...]:
    return tuple(filters.SEGMENTS[k] for k in filters.SEGMENTS if state.get(k))


def pick_view(ctx: Ctx, names: tuple[str, ...], preferred: tuple[str, ...]) -> str | None:
    """The first preferred view with `names` that can also follow every filter in force, else
    the first with `names` (whose widget then says which filter it cannot follow)."""
    followable = ctx.caps.first_view_with(names + filtered_dimensions(ctx.state), preferred)
    return followable or ctx.caps.first_view_with(names, preferred)


def time_dimension(view: str, date_range: list[str], granularity: str | None = None,
                   member: str = "date_day") -> dict:
    clause = {"dimension": f"{view}.{member}", "dateRange": date_range}
    if granularity:
        clause["granularity"] = granularity
    return clause


def base_query(ctx: Ctx, view: str, measures: list[str], *, dimensions: list[str] = (),
               granularity: str | None = None, date_range: list[str] | None = None,
               **extra) -> "dict | widgets.Unavailable":
    """A query on `view` over the days in force with the segment filters, or why it cannot be."""
    seg, missing = filters.segment_filters(view, ctx.state, ctx.caps.members[view])
    if missing:
        return widgets.cannot_follow(view, missing)
    query = {"measures": [f"{view}.{m}" for m in measures],
             "dimensions": [f"{view}.{d}" for d in dimensions],
             "timeDimensions": [time_dimension(view, date_range or ctx.date_range, granularity)],
             "filters": seg + list(extra.pop("filters", [])), **extra}
    return query


def connect(app, widget: str, render: Callable) -> None:
    """Fill a widget's body whenever the filters change: run its queries, then `render`."""

    @app.callback(Output(components.body_id(widget), "children"), Input("filters", "data"))
    def fill(state):
        if state is None:
            raise PreventUpdate
        try:
            built = context.build(state)
            result = widgets.run(widget, built)
        except CubeError as exc:
            return _refused(exc)
        if isinstance(result, widgets.Unavailable):
            return components.notice(result.reason)
        return render(result, built)


def connect_page(app, pairs: list[tuple[str, Callable]]) -> None:
    """Fill several widgets from one callback whenever the filters change (fill_page).

    Not on the page's first render: the page arrives with its widgets already filled (the
    layout served for the browser's URL, or the page callback), so an initial call would only
    ask Cube the same queries again.
    """
    names = [name for name, _ in pairs]

    @app.callback([Output(components.body_id(name), "children") for name in names], Input("filters", "data"),
                  prevent_initial_call=True)
    def fill(state):
        if state is None:
            raise PreventUpdate
        try:
            built = context.build(state)
        except CubeError as exc:
            return [_refused(exc)] * len(names)
        return fill_page(pairs, built)


def fill_page(pairs: list[tuple[str, Callable]], built: Ctx) -> list:
    """Every widget's body, from one parallel fan-out of all their Cube queries.

    One round trip per page instead of one per widget (browsers open at most six connections to
    a host, so six widget callbacks and the frame's queued), and no widget waits on another's
    context. Each widget still shows its own failure or notice.
    """
    planned = {name: widgets.REGISTRY[name](built) for name, _ in pairs}
    jobs = {(name, part): query for name, queries in planned.items()
            if not isinstance(queries, widgets.Unavailable) for part, query in queries.items()}
    answers = context.load_each(built.client, jobs)
    bodies = []
    for name, render in pairs:
        queries = planned[name]
        if isinstance(queries, widgets.Unavailable):
            bodies.append(components.notice(queries.reason))
            continue
        result = {part: answers[(name, part)] for part in queries}
        failed = next((r for r in result.values() if isinstance(r, CubeError)), None)
        bodies.append(_refused(failed) if failed else _rendered(name, render, result, built))
    return bodies


def _rendered(name: str, render: Callable, result: dict, built: Ctx):
    # One widget's bug must not leave the page's other widgets loading forever (they share a call).
    try:
        return render(result, built)
    except Exception:  # noqa: BLE001 - logged with its traceback, shown as this widget's failure
        log.exception("widget %s could not be drawn", name)
        return components.notice(f"This widget could not be drawn ({name}); the server log says why.", kind="error")


def _refused(exc: CubeError):
    return components.notice(f"The semantic layer refused this ({exc.status}): {exc.message}", kind="error")
