"""Experiments: arms side by side, and each variant against control with its 95% CI.

The comparison figures (fct_experiment_comparison) are computed by dbt over the whole experiment,
so the time range does not apply to them; the page says so instead of pretending it does. Beside each
row: the sample ratio mismatch (flag and p-value; a flagged row says not to trust it), the always-valid
95% interval (safe to read every day), CUPED's adjusted interval and variance reduction where a
pre-period covariate exists, and whether the experiment and its variant are registered.
"""

from __future__ import annotations

import plotly.graph_objects as go
from dash import html

from dashboard import components, metrics, theme, widgets
from dashboard.context import Ctx
from dashboard.pages.common import base_query, connect

V = "experiments"
ARM_MEASURES = ["conversations", "conversions", "conversion_rate", "average_order_value", "revenue",
                "escalation_rate", "deflection_rate", "csat", "latency_mean_ms", "cost_per_conversion"]
COMPARISON = ["experiment_id", "metric_name", "variant", "control_variant", "n_control", "n_variant",
              "control_value", "variant_value", "difference", "ci_low", "ci_high", "method",
              "significant", "underpowered", "registration_status", "variant_registration",
              "sample_ratio_mismatch", "srm_p_value", "always_valid_ci_low", "always_valid_ci_high",
              "cuped_difference", "cuped_ci_low", "cuped_ci_high", "cuped_variance_reduction"]
SRM_WARNING = "split mismatch: do not trust this comparison"


@widgets.widget("experiments.arms")
def arms_query(ctx: Ctx):
    query = base_query(ctx, V, ARM_MEASURES, dimensions=["experiment_id", "variant", "prompt_version"],
                       order={f"{V}.experiment_id": "asc", f"{V}.variant": "asc"})
    return query if isinstance(query, widgets.Unavailable) else {"rows": query}


def render_arms(result: dict, ctx: Ctx):
    rows = result["rows"]
    if not rows:
        return components.notice("No experiment traffic in this range.")
    columns = [{"field": f"{V}.{d}", "headerName": d.replace("_", " ")} for d in
               ("experiment_id", "variant", "prompt_version")]
    for name in ARM_MEASURES:
        kind = metrics.BY_NAME[name].kind
        columns.append({"field": f"{V}.{name}", "headerName": metrics.BY_NAME[name].label,
                        "valueFormatter": {"function": _formatter(kind)}, "type": "numericColumn"})
    data = [{k: (metrics.number(v) if k.split(".")[1] in ARM_MEASURES else v) for k, v in r.items()}
            for r in rows]
    return components.ready(components.grid(data, columns, "arms-grid", height=300))


def _formatter(kind: str) -> str:
    # AG Grid formats in the browser; the exported CSV keeps Cube's raw numbers.
    return {"percent": "params.value == null ? '–' : d3.format('.1%')(params.value)",
            "usd": "params.value == null ? '–' : d3.format('$,.2f')(params.value)",
            "ms": "params.value == null ? '–' : d3.format(',.0f')(params.value) + ' ms'",
            "rating": "params.value == null ? '–' : d3.format('.2f')(params.value)"}.get(
        kind, "params.value == null ? '–' : d3.format(',.0f')(params.value)")


@widgets.widget("experiments.comparison")
def comparison_query(ctx: Ctx):
    query = {"dimensions": [f"{V}.comparison_{c}" for c in COMPARISON],
             "order": {f"{V}.comparison_experiment_id": "asc", f"{V}.comparison_metric_name": "asc"},
             "filters": []}
    if ctx.state.get("experiment"):
        query["filters"].append({"member": f"{V}.comparison_experiment_id", "operator": "equals",
                                 "values": ctx.state["experiment"]})
    return {"rows": query}


def verdict(row: dict) -> tuple[str, str]:
    """(label, badge class): a winner only when the interval excludes zero."""
    def get(name):
        return row.get(f"{V}.comparison_{name}")
    metric = metrics.BY_NAME.get(get("metric_name"))
    better = metric.better if metric else "up"
    if _srm_flagged(row):
        return SRM_WARNING, "badge-lose"
    if get("underpowered") in (True, "true"):
        return "underpowered: too few samples to tell", "badge-weak"
    if get("significant") not in (True, "true"):
        return "no significant difference", "badge-none"
    improves = (metrics.number(get("difference")) or 0) > 0 if better == "up" else \
        (metrics.number(get("difference")) or 0) < 0
    return (f"winner: {get('variant')}", "badge-win") if improves else \
        (f"significantly worse: {get('variant')}", "badge-lose")


def _srm_flagged(row: dict) -> bool:
    return row.get(f"{V}.comparison_sample_ratio_mismatch") in (True, "true")


def _interval(low, high, kind: str) -> str:
    if metrics.number(low) is None and metrics.number(high) is None:
        return "–"
    return f"[{metrics.fmt(low, kind)}, {metrics.fmt(high, kind)}]"


def _p(value) -> str:
    v = metrics.number(value)
    return "–" if v is None else (f"{v:.2g}" if v < 0.001 else f"{v:.3f}")


def _srm_cell(row: dict) -> html.Td:
    p = _p(row.get(f"{V}.comparison_srm_p_value"))
    if _srm_flagged(row):
        return html.Td([html.Span("SRM", className="badge badge-lose"), f" p = {p}"], className="srm-cell")
    return html.Td(f"ok, p = {p}", className="srm-cell")


def _cuped_cell(get, kind: str) -> html.Td:
    reduction = metrics.number(get("cuped_variance_reduction"))
    if reduction is None:
        return html.Td("no covariate", className="cuped-cell")
    return html.Td([metrics.fmt(get("cuped_difference"), kind), " ",
                    _interval(get("cuped_ci_low"), get("cuped_ci_high"), kind),
                    html.Br(), html.Small(f"variance −{reduction * 100:.1f}%")], className="cuped-cell")


def _registration(get) -> str:
    status = get("registration_status") or "unregistered"
    variant = "registered variant" if get("variant_registration") == "registered" else "variant seen only"
    return f"{status}, {variant}"


def _comparison_row(row: dict) -> list[html.Tr]:
    def get(name):
        return row.get(f"{V}.comparison_{name}")
    metric = metrics.BY_NAME.get(get("metric_name"))
    kind = metric.kind if metric else "rating"
    diff_kind = "percent" if kind == "percent" else kind
    label, badge = verdict(row)
    flagged = _srm_flagged(row)
    cells = html.Tr([
        html.Td(get("experiment_id")), html.Td(metric.label if metric else get("metric_name")),
        html.Td(f"{get('control_variant')}: {metrics.fmt(get('control_value'), kind)}"),
        html.Td(f"{get('variant')}: {metrics.fmt(get('variant_value'), kind)}"),
        html.Td(metrics.fmt(get("difference"), diff_kind)),
        html.Td(_interval(get("ci_low"), get("ci_high"), diff_kind)),
        html.Td(_interval(get("always_valid_ci_low"), get("always_valid_ci_high"), diff_kind),
                className="always-valid-cell"),
        _cuped_cell(get, diff_kind),
        html.Td(f"{metrics.fmt(get('n_control'), 'count')} / {metrics.fmt(get('n_variant'), 'count')}"),
        _srm_cell(row),
        html.Td(_registration(get), className="registration-cell"),
        html.Td(html.Span(label, className=f"badge {badge}")),
    ], className="comparison-row srm-flagged" if flagged else "comparison-row")
    if not flagged:
        return [cells]
    # a visible line under the row: the split itself is wrong, so no figure in the row can be trusted
    warning = html.Tr(html.Td(f"⚠ {SRM_WARNING} (the observed split of {get('experiment_id')} differs from the "
                              "expected one at p < 0.001)", colSpan=len(HEADERS), className="srm-warning"),
                      className="srm-warning-row")
    return [cells, warning]


HEADERS = ("Experiment", "Metric", "Control", "Variant", "Difference", "95% CI", "Always-valid 95% CI",
           "CUPED difference (95% CI)", "n control / variant", "SRM", "Registration", "Verdict")


def render_comparison(result: dict, ctx: Ctx):
    rows = result["rows"]
    if not rows:
        return components.notice("No comparisons computed for these experiments yet.")
    head = html.Tr([html.Th(h) for h in HEADERS])
    table = html.Table([html.Thead(head), html.Tbody([tr for r in rows for tr in _comparison_row(r)])],
                       className="table", id="comparison-table")
    return components.ready(html.Div(table, className="table-scroll"), components.graph(_forest(rows)))


def _forest(rows: list[dict]) -> go.Figure:
    # Differences relative to control (in % of the control value) so that metrics of different
    # units share one axis; the hover gives the absolute figures.
    fig = go.Figure()
    for row in rows:
        get = lambda n, r=row: r.get(f"{V}.comparison_{n}")  # noqa: E731
        control = metrics.number(get("control_value")) or None
        if not control:
            continue
        label = f"{get('experiment_id')} · {get('metric_name')} · {get('variant')}"
        diff, low, high = (metrics.number(get(n)) or 0 for n in ("difference", "ci_low", "ci_high"))
        fig.add_scatter(x=[diff / control * 100], y=[label], mode="markers", showlegend=False,
                        marker=dict(size=11, color=theme.GOOD if get("significant") in (True, "true") else theme.SERIES[0]),
                        error_x=dict(type="data", symmetric=False, array=[(high - diff) / control * 100],
                                     arrayminus=[(diff - low) / control * 100]),
                        hovertemplate=f"{label}<br>difference {diff:.4g} (95% CI {low:.4g} – {high:.4g})<extra></extra>")
    fig.add_vline(x=0, line=dict(color=theme.MUTED, dash="dot"))
    theme.figure_layout(fig, title="Difference to control, % of control (95% CI)",
                        height=120 + 40 * len(rows))
    return fig


def layout(state: dict, caps) -> html.Div:
    return html.Div(className="grid-page", children=[
        html.H1("Experiments"),
        components.card("experiments.arms", "Arms side by side", wide=True),
        components.card("experiments.comparison", "Variants against control", wide=True,
                        note="Computed over each experiment's whole run (the time range does not "
                             "apply); a winner is named only when the 95% interval excludes zero. Looking "
                             "every day? Read the always-valid interval. A sample ratio mismatch (SRM) "
                             "means the split itself is wrong: such a row is not to be trusted."),
    ])


def register(app) -> None:
    connect(app, "experiments.arms", render_arms)
    connect(app, "experiments.comparison", render_comparison)
