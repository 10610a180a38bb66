"""The records every source maps onto (docs/design.md §2), as pydantic-validated TypedDicts.

Validation runs over whole batches with a TypeAdapter in pydantic-core; records come out as plain
dicts (no model instances), which orjson writes back out fast. One small Python function per record
does what a schema cannot: UTC for naive timestamps, canonical config text and its hash, cross-field
checks, content-hash ids. Fields left out stay out (the loader types them as null).
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timezone
from typing import Annotated, Any, Literal, Optional

import orjson
from pydantic import AfterValidator, AliasChoices, ConfigDict, Field, TypeAdapter
from pydantic_core import PydanticCustomError
from typing_extensions import NotRequired, TypedDict

Text = NotRequired[Optional[str]]
Count = NotRequired[Optional[Annotated[int, Field(ge=0)]]]
Millis = NotRequired[Optional[Annotated[float, Field(ge=0)]]]
Id = Annotated[str, Field(min_length=1)]
_KEEP_EXTRA = ConfigDict(extra="allow")  # extra fields are kept; dlt evolves the raw table for them


def field_error(field: str, message: str) -> PydanticCustomError:
    """An error from a cross-field check that still names the field at fault."""
    return PydanticCustomError("field_error", "{field}: {message}", {"field": field, "message": message})


def canonical_json(value: Any) -> str:
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS, default=str).decode()


def config_hash(config_text: str) -> str:
    return hashlib.sha256(config_text.encode()).hexdigest()[:12]


def _utc(record: dict, field: str = "occurred_at") -> None:
    value = record[field]
    if value.tzinfo is None:  # no offset given: UTC, not the server's local time
        record[field] = value.replace(tzinfo=timezone.utc)


_hash_cache: dict[str, str] = {}


def _canonical_config(record: dict) -> None:
    config = record.get("config")
    if config is None:
        return
    if isinstance(config, str):
        try:
            config = orjson.loads(config)
        except orjson.JSONDecodeError:
            raise field_error("config", "not a JSON object") from None
    if not isinstance(config, dict):
        raise field_error("config", "not a JSON object")
    text = canonical_json(config)
    record["config"] = text
    if record.get("config_hash") is None:
        # Calls share a handful of configs; hashing each one once is enough.
        digest = _hash_cache.get(text)
        if digest is None:
            if len(_hash_cache) > 50_000:
                _hash_cache.clear()
            digest = _hash_cache[text] = config_hash(text)
        record["config_hash"] = digest


class LlmCallFields(TypedDict):
    __pydantic_config__ = _KEEP_EXTRA
    event_id: Id
    occurred_at: datetime
    llm_model: Id
    conversation_id: Text
    trace_id: Text
    span_id: Text
    parent_span_id: Text
    customer_ref: Text
    experiment_id: Text
    variant: Text
    prompt_id: Text
    prompt_version: Text
    config: NotRequired[Optional[Any]]
    config_hash: Text
    llm_provider: Text
    intent: Text
    capability: Text
    action: Text
    latency_ms: Millis
    time_to_first_token_ms: Millis
    input_tokens: Count
    output_tokens: Count
    cached_input_tokens: Count
    cost_usd: NotRequired[Optional[Annotated[float, Field(ge=0)]]]
    status: NotRequired[Literal["ok", "error"]]
    error_type: Text


def _llm_call(record: dict) -> dict:
    _utc(record)
    _canonical_config(record)
    record.setdefault("status", "ok")
    return record


class ConversationEventFields(TypedDict):
    __pydantic_config__ = _KEEP_EXTRA
    event_id: Id
    conversation_id: Id
    occurred_at: datetime
    kind: Literal["started", "resolved", "escalated", "abandoned"]
    customer_ref: Text


def _conversation_event(record: dict) -> dict:
    _utc(record)
    return record


FEEDBACK_RANGES = {"thumb": (0.0, 1.0), "rating": (1.0, 5.0), "csat": (1.0, 5.0)}


class FeedbackFields(TypedDict):
    __pydantic_config__ = _KEEP_EXTRA
    event_id: Id
    occurred_at: datetime
    conversation_id: Text
    trace_id: Text
    kind: Literal["thumb", "rating", "csat"]
    value: float
    comment: Text


def _feedback(record: dict) -> dict:
    _utc(record)
    if not record.get("conversation_id") and not record.get("trace_id"):
        raise field_error("conversation_id", "feedback needs a conversation_id or a trace_id")
    kind, value = record["kind"], record["value"]
    low, high = FEEDBACK_RANGES[kind]
    if not low <= value <= high or (kind == "thumb" and value not in (0.0, 1.0)):
        allowed = "0 or 1" if kind == "thumb" else f"{low:g}..{high:g}"
        raise field_error("value", f"{kind} value must be {allowed}, got {value:g}")
    return record


class OutcomeMetricFields(TypedDict):
    __pydantic_config__ = _KEEP_EXTRA
    event_id: Text
    occurred_at: Annotated[datetime, Field(validation_alias=AliasChoices("occurred_at", "timestamp"))]
    experiment_id: Text
    metric_name: Id
    metric_value: float
    intent: Text
    capability: Text
    action: Text
    llm_model: Text
    user_id: Text
    conversation_id: Text
    customer_ref: Text
    source: NotRequired[Literal["csv", "api", "demo"]]


def _outcome_metric(record: dict) -> dict:
    _utc(record)
    record.setdefault("source", "api")
    if not record.get("event_id"):
        # The same row sent twice must land once: its id is a hash of its content.
        row = {k: v for k, v in record.items() if k not in ("event_id", "source") and v is not None}
        record["event_id"] = hashlib.sha256(canonical_json(row).encode()).hexdigest()
    return record


LlmCall = Annotated[LlmCallFields, AfterValidator(_llm_call)]
ConversationEvent = Annotated[ConversationEventFields, AfterValidator(_conversation_event)]
Feedback = Annotated[FeedbackFields, AfterValidator(_feedback)]
OutcomeMetric = Annotated[OutcomeMetricFields, AfterValidator(_outcome_metric)]

# endpoint kind -> (raw table, record type, title)
RECORD_KINDS: dict[str, tuple[str, Any]] = {
    "llm-calls": ("llm_calls", LlmCall),
    "conversation-events": ("conversation_events", ConversationEvent),
    "feedback": ("feedback", Feedback),
    "outcomes": ("outcome_metrics", OutcomeMetric),
}
TITLES = {"llm-calls": "LlmCall", "conversation-events": "ConversationEvent", "feedback": "Feedback", "outcomes": "OutcomeMetric"}

LIST_ADAPTERS = {kind: TypeAdapter(list[record]) for kind, (_, record) in RECORD_KINDS.items()}
ITEM_ADAPTERS = {kind: TypeAdapter(record) for kind, (_, record) in RECORD_KINDS.items()}


def record_schema(kind: str) -> dict:
    schema = ITEM_ADAPTERS[kind].json_schema()
    schema["title"] = TITLES[kind]
    return schema


def ndjson(records: list[dict]) -> bytes:
    dumps = orjson.dumps
    return b"\n".join([dumps(record) for record in records])
