"""The filter state every widget follows, and its round trip through the URL.

State is a plain dict (it lives in a dcc.Store): `range` (a preset or "custom"), `from`/`to`
(ISO days, for custom), one list of values per segment filter, and a few page keys (the drill-down
KPI, the open conversation, the anomaly metric). The URL's query string holds exactly this, so a
copied link restores the view.
"""

from __future__ import annotations

import datetime as dt
from urllib.parse import parse_qsl, urlencode

PRESETS = {"1D": 1, "7D": 7, "1M": 30, "3M": 91, "6M": 182, "1Y": 365}
DEFAULT_RANGE = "1M"
# URL key -> dimension name in every view that has it.
SEGMENTS = {
    "model": "llm_model",
    "experiment": "experiment_id",
    "version": "prompt_version",
    "intent": "intent",
    "capability": "capability",
    "action": "action",
    "mtype": "outcome_metric_name",
}
SEGMENT_LABELS = {"model": "Model", "experiment": "Experiment", "version": "Prompt version",
                  "intent": "Intent", "capability": "Capability", "action": "Action",
                  "mtype": "Outcome metric type"}
# Filters on outcome-metric records only: a widget applies them only when it says which of its
# dimensions they map to. A conversation-grain query must never filter on a joined record's field
# (Cube would join the records in and count each conversation once per record); such a widget
# says it cannot follow the filter instead.
RECORD_ONLY = frozenset({"mtype"})
PAGE_KEYS = ("kpi", "conv", "metric")


def from_query(search: str | None) -> dict:
    """Filters from a URL query string (`?range=7D&intent=buy,browse`)."""
    pairs = dict(parse_qsl((search or "").lstrip("?")))
    state: dict = {"range": pairs.get("range", DEFAULT_RANGE)}
    if state["range"] not in PRESETS and state["range"] != "custom":
        state["range"] = DEFAULT_RANGE
    if state["range"] == "custom":
        state["from"], state["to"] = pairs.get("from"), pairs.get("to")
    for key in SEGMENTS:
        values = [v for v in pairs.get(key, "").split(",") if v]
        if values:
            state[key] = values
    for key in PAGE_KEYS:
        if pairs.get(key):
            state[key] = pairs[key]
    return state


def to_query(state: dict) -> str:
    """The URL query string for `state` (empty filters left out, lists comma-joined)."""
    pairs = [("range", state.get("range", DEFAULT_RANGE))]
    if pairs[0][1] == "custom":
        pairs += [("from", state.get("from") or ""), ("to", state.get("to") or "")]
    pairs += [(k, ",".join(state[k])) for k in SEGMENTS if state.get(k)]
    pairs += [(k, state[k]) for k in PAGE_KEYS if state.get(k)]
    return "?" + urlencode(pairs, safe=",:")


def date_range(state: dict, anchor: dt.date) -> tuple[dt.date, dt.date]:
    """The inclusive days a state covers. Presets end on `anchor`, the latest day with data, so
    that a pipeline that stalled shows its last figures (the header says which day that is)."""
    if state.get("range") == "custom" and state.get("from") and state.get("to"):
        start, end = dt.date.fromisoformat(state["from"]), dt.date.fromisoformat(state["to"])
        return (start, end) if start <= end else (end, start)
    days = PRESETS.get(state.get("range"), PRESETS[DEFAULT_RANGE])
    return anchor - dt.timedelta(days=days - 1), anchor


def previous_range(start: dt.date, end: dt.date) -> tuple[dt.date, dt.date]:
    """The period of equal length just before [start, end]."""
    length = (end - start).days + 1
    return start - dt.timedelta(days=length), start - dt.timedelta(days=1)


def segment_filters(view: str, state: dict, available: frozenset[str],
                    dimensions: dict[str, str] | None = None) -> tuple[list[dict], list[str]]:
    """Cube filters for the segment filters in force, and the keys `view` cannot follow.

    A widget whose view lacks a filtered dimension must say so rather than show an unfiltered
    figure under a filter that looks applied. `dimensions` renames keys for views with prefixes.
    """
    mapping = {**SEGMENTS, **(dimensions or {})}
    cube_filters, missing = [], []
    for key, dimension in mapping.items():
        values = state.get(key)
        if not values:
            continue
        if key in RECORD_ONLY and key not in (dimensions or {}):
            missing.append(key)
        elif dimension in available:
            cube_filters.append({"member": f"{view}.{dimension}", "operator": "equals",
                                 "values": list(values)})
        else:
            missing.append(key)
    return cube_filters, missing


def describe(state: dict, start: dt.date, end: dt.date) -> str:
    """One line naming the filters in force (shown on screen and printed in the PDF report)."""
    label = state.get("range", DEFAULT_RANGE)
    parts = [f"Range: {label} ({start.isoformat()} – {end.isoformat()})"]
    parts += [f"{SEGMENT_LABELS[k]}: {', '.join(state[k])}" for k in SEGMENTS if state.get(k)]
    if len(parts) == 1:
        parts.append("no segment filters")
    return " · ".join(parts)
