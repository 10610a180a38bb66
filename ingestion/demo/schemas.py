"""Arrow schemas of the raw tables, exactly as docs/contracts.md names and types them.

Timestamps are tz-aware UTC (`timestamp[us, tz=UTC]` → timestamptz), ids are strings, counts int64
(bigint), measures float64 (double precision). `nullable=False` marks the columns that never hold NULL.
"""

from __future__ import annotations

import pyarrow as pa

TS = pa.timestamp("us", tz="UTC")


def _f(name: str, type_: pa.DataType, nullable: bool = False) -> pa.Field:
    return pa.field(name, type_, nullable=nullable)


S = pa.string()
F = pa.float64()
I = pa.int64()

SCHEMAS: dict[str, pa.Schema] = {
    "llm_calls": pa.schema(
        [
            _f("event_id", S),
            _f("occurred_at", TS),
            _f("conversation_id", S),
            _f("trace_id", S),
            _f("span_id", S),
            _f("parent_span_id", S, True),
            _f("customer_ref", S),
            _f("experiment_id", S),
            _f("variant", S),
            _f("prompt_id", S),
            _f("prompt_version", S),
            _f("config", S),
            _f("config_hash", S),
            _f("llm_provider", S),
            _f("llm_model", S),
            _f("intent", S),
            _f("capability", S),
            _f("action", S),
            _f("latency_ms", F),
            _f("time_to_first_token_ms", F),
            _f("input_tokens", I),
            _f("output_tokens", I),
            _f("cached_input_tokens", I),
            _f("cost_usd", F, True),
            _f("status", S),
            _f("error_type", S, True),
        ]
    ),
    "conversation_events": pa.schema(
        [
            _f("event_id", S),
            _f("conversation_id", S),
            _f("occurred_at", TS),
            _f("kind", S),
            _f("customer_ref", S),
        ]
    ),
    "feedback": pa.schema(
        [
            _f("event_id", S),
            _f("occurred_at", TS),
            _f("conversation_id", S),
            _f("trace_id", S, True),
            _f("kind", S),
            _f("value", F),
            _f("comment", S, True),
        ]
    ),
    "hubspot_contacts": pa.schema(
        [
            _f("id", S),
            _f("email", S),
            _f("firstname", S),
            _f("lastname", S),
            _f("createdate", TS),
            _f("lastmodifieddate", TS),
        ]
    ),
    "hubspot_deals": pa.schema(
        [
            _f("id", S),
            _f("dealname", S),
            _f("amount", F),
            _f("dealstage", S),
            _f("pipeline", S),
            _f("closedate", TS, True),
            _f("createdate", TS),
            _f("hs_lastmodifieddate", TS),
        ]
    ),
    "hubspot_deal_contact_associations": pa.schema([_f("deal_id", S), _f("contact_id", S)]),
    # docs/contracts.md (raw.outcome_metrics); `variant` is an extra column, kept as it comes.
    "outcome_metrics": pa.schema(
        [
            _f("event_id", S),
            _f("occurred_at", TS),
            _f("experiment_id", S, True),
            _f("metric_name", S),
            _f("metric_value", F),
            _f("intent", S, True),
            _f("capability", S, True),
            _f("action", S, True),
            _f("llm_model", S, True),
            _f("user_id", S, True),
            _f("conversation_id", S, True),
            _f("customer_ref", S, True),
            _f("source", S),
            _f("variant", S, True),
        ]
    ),
}

TABLES: tuple[str, ...] = tuple(SCHEMAS)
