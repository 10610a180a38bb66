"""The records every source maps onto (DESIGN.md §2), as pydantic models.

Validation is done over whole batches with a TypeAdapter (pydantic-core, no Python loop per record);
only the few derived values (config text and hash, outcome event ids) run Python code.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timezone
from typing import Any, Literal, Optional

from pydantic import (
    AliasChoices,
    BaseModel,
    ConfigDict,
    Field,
    TypeAdapter,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

NonNegInt = Field(default=None, ge=0)


def field_error(field: str, message: str) -> PydanticCustomError:
    """An error from a cross-field check that still names the field at fault."""
    return PydanticCustomError("field_error", "{field}: {message}", {"field": field, "message": message})


def canonical_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)


def config_hash(config_text: str) -> str:
    return hashlib.sha256(config_text.encode()).hexdigest()[:12]


class _Record(BaseModel):
    # Extra fields are kept as they come: dlt evolves the raw table for them.
    model_config = ConfigDict(extra="allow", str_strip_whitespace=False, ser_json_timedelta="float")

    @field_validator("occurred_at", check_fields=False)
    @classmethod
    def _utc(cls, value: datetime) -> datetime:
        # A timestamp without an offset is taken as UTC rather than the server's local time.
        return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


class LlmCall(_Record):
    event_id: str = Field(min_length=1)
    occurred_at: datetime
    llm_model: str = Field(min_length=1)
    conversation_id: Optional[str] = None
    trace_id: Optional[str] = None
    span_id: Optional[str] = None
    parent_span_id: Optional[str] = None
    customer_ref: Optional[str] = None
    experiment_id: Optional[str] = None
    variant: Optional[str] = None
    prompt_id: Optional[str] = None
    prompt_version: Optional[str] = None
    config: Optional[Any] = None
    config_hash: Optional[str] = None
    llm_provider: Optional[str] = None
    intent: Optional[str] = None
    capability: Optional[str] = None
    action: Optional[str] = None
    latency_ms: Optional[float] = Field(default=None, ge=0)
    time_to_first_token_ms: Optional[float] = Field(default=None, ge=0)
    input_tokens: Optional[int] = NonNegInt
    output_tokens: Optional[int] = NonNegInt
    cached_input_tokens: Optional[int] = NonNegInt
    cost_usd: Optional[float] = Field(default=None, ge=0)
    status: Literal["ok", "error"] = "ok"
    error_type: Optional[str] = None

    @model_validator(mode="after")
    def _config_text_and_hash(self) -> "LlmCall":
        if self.config is not None:
            if isinstance(self.config, str):
                try:
                    parsed = json.loads(self.config)
                except ValueError:
                    raise field_error("config", "not a JSON object") from None
            else:
                parsed = self.config
            if not isinstance(parsed, dict):
                raise field_error("config", "not a JSON object")
            text = canonical_json(parsed)
            self.config = text
            if self.config_hash is None:
                self.config_hash = config_hash(text)
        return self


class ConversationEvent(_Record):
    event_id: str = Field(min_length=1)
    conversation_id: str = Field(min_length=1)
    occurred_at: datetime
    kind: Literal["started", "resolved", "escalated", "abandoned"]
    customer_ref: Optional[str] = None


FEEDBACK_RANGES = {"thumb": (0.0, 1.0), "rating": (1.0, 5.0), "csat": (1.0, 5.0)}


class Feedback(_Record):
    event_id: str = Field(min_length=1)
    occurred_at: datetime
    conversation_id: Optional[str] = None
    trace_id: Optional[str] = None
    kind: Literal["thumb", "rating", "csat"]
    value: float
    comment: Optional[str] = None

    @model_validator(mode="after")
    def _target_and_range(self) -> "Feedback":
        if not self.conversation_id and not self.trace_id:
            raise field_error("conversation_id", "feedback needs a conversation_id or a trace_id")
        low, high = FEEDBACK_RANGES[self.kind]
        if not low <= self.value <= high or (self.kind == "thumb" and self.value not in (0.0, 1.0)):
            allowed = "0 or 1" if self.kind == "thumb" else f"{low:g}..{high:g}"
            raise field_error("value", f"{self.kind} value must be {allowed}, got {self.value:g}")
        return self


OUTCOME_CORE = (
    "experiment_id", "metric_name", "metric_value", "occurred_at", "intent", "capability", "action",
    "llm_model", "user_id", "conversation_id", "customer_ref",
)


class OutcomeMetric(_Record):
    event_id: Optional[str] = None
    occurred_at: datetime = Field(validation_alias=AliasChoices("occurred_at", "timestamp"))
    experiment_id: Optional[str] = None
    metric_name: str = Field(min_length=1)
    metric_value: float
    intent: Optional[str] = None
    capability: Optional[str] = None
    action: Optional[str] = None
    llm_model: Optional[str] = None
    user_id: Optional[str] = None
    conversation_id: Optional[str] = None
    customer_ref: Optional[str] = None
    source: Literal["csv", "api", "demo"] = "api"

    @model_validator(mode="after")
    def _event_id(self) -> "OutcomeMetric":
        if not self.event_id:
            # The same row sent twice must land once: its id is a hash of its content.
            row = self.model_dump(mode="json", exclude={"event_id", "source"})
            self.event_id = hashlib.sha256(canonical_json(row).encode()).hexdigest()
        return self


class DeadLetter(BaseModel):
    event_id: str
    received_at: datetime
    endpoint: str
    record_index: int
    field: str
    reason: str
    raw_record: str


# endpoint kind -> (raw table, model)
RECORD_KINDS: dict[str, tuple[str, type[_Record]]] = {
    "llm-calls": ("llm_calls", LlmCall),
    "conversation-events": ("conversation_events", ConversationEvent),
    "feedback": ("feedback", Feedback),
    "outcomes": ("outcome_metrics", OutcomeMetric),
}

LIST_ADAPTERS = {kind: TypeAdapter(list[model]) for kind, (_, model) in RECORD_KINDS.items()}
ITEM_ADAPTERS = {kind: TypeAdapter(model) for kind, (_, model) in RECORD_KINDS.items()}
