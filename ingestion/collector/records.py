"""The records every source maps onto (docs/design.md §2), as pydantic-validated TypedDicts.

Their fields are the contract's columns (outcomelens.contract): name, type, required or not, closed
value sets and minimums come from there; only what intake accepts beyond the stored type is added here.
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
from pydantic import AfterValidator, AliasChoices, ConfigDict, Field, TypeAdapter, with_config
from pydantic_core import PydanticCustomError
from typing_extensions import NotRequired, TypedDict

from outcomelens.contract import PYTHON_TYPES, RAW_TABLES, Column

_KEEP_EXTRA = ConfigDict(extra="allow")  # extra fields are kept; dlt evolves the raw table for them

# What intake accepts beyond the stored type: a config given as a JSON object (stored as canonical
# text, see _canonical_config), and the CSV's `timestamp` header for occurred_at.
_INTAKE_TYPES: dict[tuple[str, str], Any] = {
    ("llm_calls", "config"): NotRequired[Optional[Any]],
    ("outcome_metrics", "occurred_at"): Annotated[
        datetime, Field(validation_alias=AliasChoices("occurred_at", "timestamp"))
    ],
}


def intake_type(column: Column) -> Any:
    """The type a record field is validated against, from its contracted column.

    A required text is non-empty; a closed value set is a Literal that may be left out (a default
    fills it) but not sent as null; any other optional field may be left out or null.
    """
    value_type: Any = Literal[column.values] if column.closed else PYTHON_TYPES[column.type]
    constraints: dict[str, Any] = {}
    if column.required and column.type == "text" and not column.closed:
        constraints["min_length"] = 1
    if column.minimum is not None:
        constraints["ge"] = column.minimum
    if constraints:
        value_type = Annotated[value_type, Field(**constraints)]
    if column.required:
        return value_type
    if column.closed:
        return NotRequired[value_type]
    return NotRequired[Optional[value_type]]


def record_fields(table: str, name: str) -> type:
    """The TypedDict of one raw table's records: one field per contracted column, extras kept."""
    fields = {
        column.name: _INTAKE_TYPES[table, column.name] if (table, column.name) in _INTAKE_TYPES else intake_type(column)
        for column in RAW_TABLES[table].columns
    }
    return with_config(_KEEP_EXTRA)(TypedDict(name, fields))


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


LlmCallFields = record_fields("llm_calls", "LlmCallFields")


def _llm_call(record: dict) -> dict:
    _utc(record)
    _canonical_config(record)
    record.setdefault("status", "ok")
    return record


ConversationEventFields = record_fields("conversation_events", "ConversationEventFields")


def _conversation_event(record: dict) -> dict:
    _utc(record)
    return record


FEEDBACK_RANGES = {"thumb": (0.0, 1.0), "rating": (1.0, 5.0), "csat": (1.0, 5.0)}

FeedbackFields = record_fields("feedback", "FeedbackFields")


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


OutcomeMetricFields = record_fields("outcome_metrics", "OutcomeMetricFields")


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
