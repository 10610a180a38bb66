"""One conversation: its dimensions and outcome, its attribution, LLM calls, feedback and outcome
records, timestamps to the millisecond (as Cube returns them)."""

from __future__ import annotations

from dash import html

from dashboard import components, filters, metrics, widgets
from dashboard.context import Ctx

V = "operations_drilldown"
SUMMARY = ("conversation_id", "started_at", "experiment_id", "variant", "prompt_version",
           "config_hash", "llm_provider", "llm_model", "intent", "capability", "action", "converted",
           "attribution_reason", "resolved", "escalated", "deflected", "order_value_usd", "resolution_time_s",
           "customer_ref", "contact_id", "deal_id")
FEEDBACK = ("feedback_thumbs_up", "feedback_thumbs_down", "feedback_rating_mean", "feedback_csat")
CALL_DIMS = ("call_event_id", "call_occurred_at", "call_status", "call_error_type", "call_latency_ms",
             "call_time_to_first_token_ms")
CALL_MEASURES = ("call_input_tokens", "call_output_tokens", "call_cached_input_tokens", "call_cost")
OUTCOME_DIMS = ("outcome_event_id", "outcome_occurred_at", "outcome_metric_name", "outcome_metric_value",
                "outcome_source")


def _eq(member: str, value: str) -> dict:
    return {"member": f"{V}.{member}", "operator": "equals", "values": [value]}


@widgets.widget("drilldown.conversation")
def conversation_query(ctx: Ctx):
    conv = ctx.state.get("conv")
    if not conv:
        return widgets.Unavailable("Choose a conversation in the list to open it.")
    has = lambda names: [n for n in names if ctx.caps.has(V, n)]  # noqa: E731
    return {
        "summary": {"dimensions": [f"{V}.{d}" for d in has(SUMMARY + FEEDBACK)],
                    "filters": [_eq("conversation_id", conv)]},
        "calls": {"dimensions": [f"{V}.{d}" for d in has(CALL_DIMS)],
                  "measures": [f"{V}.{m}" for m in has(CALL_MEASURES)],
                  "filters": [_eq("conversation_id", conv)], "order": {f"{V}.call_occurred_at": "asc"}},
        "outcomes": {"dimensions": [f"{V}.{d}" for d in has(OUTCOME_DIMS)],
                     "filters": [_eq("outcome_conversation_id", conv)],
                     "order": {f"{V}.outcome_occurred_at": "asc"}},
    }


REASONS = {
    "no_contact": "No deal credited: no CRM contact matched this conversation's customer.",
    "outside_window": "No deal credited: the contact's closed-won deals all closed outside this "
                      "conversation's attribution window.",
    "credited_to_later_conversation": "No deal credited: a closed-won deal of the contact closed within "
                                      "the window, but it was credited to a later conversation (last touch).",
    "no_deal": "No deal credited: the contact has no closed-won deal.",
}


def attribution(summary: dict, sees_customer_data: bool) -> str:
    """The deal credited to this conversation, or why none is (the semantic layer's attribution_reason)."""
    value = metrics.fmt(summary.get(f"{V}.order_value_usd"), "usd")
    if summary.get(f"{V}.converted") in (True, "true"):
        if sees_customer_data:
            return f"Credited deal {summary.get(f'{V}.deal_id')} (order value {value})."
        return f"Credited a closed-won deal (order value {value}); its id is customer data your role may not see."
    reason = summary.get(f"{V}.attribution_reason")
    return REASONS.get(reason, f"No deal credited (attribution reason: {reason or 'not given'}).")


def _kv(row: dict) -> html.Dl:
    items = []
    for key, value in row.items():
        items += [html.Dt(key.split(".", 1)[1].replace("_", " ")), html.Dd(str(value))]
    return html.Dl(items, className="kv")


def render(result: dict, ctx: Ctx):
    summary = (result["summary"] or [None])[0]
    if summary is None:
        return components.notice(f"Conversation {ctx.state.get('conv')} is not in the semantic layer.")
    back = {k: v for k, v in ctx.state.items() if k != "conv"}
    short = lambda rows: [{k.split(".", 1)[1]: v for k, v in r.items()} for r in rows]  # noqa: E731
    calls, outcomes = short(result["calls"]), short(result["outcomes"])
    call_cols = [{"field": c, "headerName": c.replace("call_", "").replace("_", " ")} for c in (calls[0] if calls else {})]
    outcome_cols = [{"field": c, "headerName": c.replace("outcome_", "").replace("_", " ")} for c in (outcomes[0] if outcomes else {})]
    return components.ready(
        html.A("← back to the conversations", href=f"/drilldown{filters.to_query(back)}", className="back"),
        html.H3(f"Conversation {ctx.state['conv']}"),
        html.P(attribution(summary, ctx.caps.has(V, "deal_id")), id="attribution", className="notice"),
        _kv(summary),
        html.H3(f"LLM calls ({len(calls)})"),
        components.grid(calls, call_cols, "calls-grid", height=260) if calls else html.P("No LLM calls."),
        html.H3(f"Outcome records ({len(outcomes)})"),
        components.grid(outcomes, outcome_cols, "outcomes-grid", height=200) if outcomes
        else html.P("No outcome records for this conversation."),
    )
