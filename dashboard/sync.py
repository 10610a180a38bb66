"""One callback keeps the URL, the filter controls and the filter store in step.

Dash allows a circular dependency only inside a single callback, so the URL → controls direction
(opening a shared link, the back button) and the controls → URL direction (choosing a filter,
clicking a bar to cross-filter, opening a conversation) live together here; `triggered_id` says
which way this call goes.
"""

from __future__ import annotations

from dash import ALL, Input, Output, State, ctx, no_update
from dash.exceptions import PreventUpdate

from dashboard import filters


def _clicked_value(click: dict | None) -> str | None:
    # Bars carry their segment value in customdata, whatever their orientation.
    if not click or not click.get("points"):
        return None
    point = click["points"][0]
    value = point.get("customdata")
    if isinstance(value, list):
        value = value[0] if value else None
    return str(value) if value is not None else None


def _apply_trigger(state: dict, trigger, values: dict) -> dict:
    state = dict(state)
    if trigger == "f-range":
        state["range"] = values["range"]
        if values["range"] == "custom":
            state["from"], state["to"] = values["start"], values["end"]
        else:
            state.pop("from", None), state.pop("to", None)
    elif trigger == "f-dates" and values["start"] and values["end"]:
        state.update({"range": "custom", "from": values["start"][:10], "to": values["end"][:10]})
    elif isinstance(trigger, dict) and trigger.get("type") == "f-seg":
        for key, chosen in zip(filters.SEGMENTS, values["segments"]):
            state[key] = list(chosen or [])
    elif isinstance(trigger, dict) and trigger.get("type") == "xfilter":
        clicked = _clicked_value(ctx.triggered[0]["value"])
        if clicked is None:
            raise PreventUpdate
        state[trigger["key"]] = [clicked]
        state.pop("conv", None)
    elif isinstance(trigger, dict) and trigger.get("type") == "f-page":
        state[trigger["key"]] = ctx.triggered[0]["value"]
    elif isinstance(trigger, dict) and trigger.get("type") == "rowpick":
        cell = ctx.triggered[0]["value"] or {}
        if not cell.get("rowId"):
            raise PreventUpdate
        state[trigger["key"]] = cell["rowId"]
    return {k: v for k, v in state.items() if v not in (None, [], "")}


def register(app) -> None:
    @app.callback(
        Output("url", "search"), Output("f-range", "value"), Output("f-dates", "start_date"),
        Output("f-dates", "end_date"), Output({"type": "f-seg", "key": ALL}, "value"),
        Output("filters", "data"),
        Input("url", "search"), Input("f-range", "value"), Input("f-dates", "start_date"),
        Input("f-dates", "end_date"), Input({"type": "f-seg", "key": ALL}, "value"),
        Input({"type": "xfilter", "key": ALL, "n": ALL}, "clickData"),
        Input({"type": "f-page", "key": ALL}, "value"),
        Input({"type": "rowpick", "key": ALL}, "cellClicked"),
        State("filters", "data"),
    )
    def sync(search, range_value, start, end, segments, _clicks, _page, _rows, current):
        trigger = ctx.triggered_id
        if trigger in (None, "url") or current is None:
            state = filters.from_query(search)
            if state == current:
                raise PreventUpdate
            return (no_update, state["range"], state.get("from"), state.get("to"),
                    [state.get(k, []) for k in filters.SEGMENTS], state)
        values = {"range": range_value, "start": start, "end": end, "segments": segments}
        state = _apply_trigger(current, trigger, values)
        if state == current:
            raise PreventUpdate
        return (filters.to_query(state), state["range"], state.get("from"), state.get("to"),
                [state.get(k, []) for k in filters.SEGMENTS], state)
