"""The records every source maps onto (docs/design.md §2), as pydantic-validated TypedDicts.

Their fields are the contract's columns (outcomelens.contract): name, type, required or not, closed
value sets and minimums come from there; only what intake accepts beyond the stored type is added here.
Validation runs over whole batches with a TypeAdapter in pydantic-core; records come out as plain
dicts (no model instances), which orjson writes back out fast. One small Python function per record
does what a schema cannot: UTC for naive timestamps and the accepted window of event times, canonical
config text and its hash, cross-field checks, content-hash ids, and what the warehouse can store
(ingestion.collector.storable). Fields left out stay out (the loader types them as null).

Event times are accepted from OUTCOMELENS_OLDEST_EVENT (an ISO date or time, UTC unless it says
otherwise; default 2000-01-01) to OUTCOMELENS_MAX_FUTURE_S seconds ahead of now (default 86400): a
call dated 2099 would stretch every daily series to 2099, and one from year 1 is a client's bug.
"""

from __future__ import annotations

import functools
import hashlib
import os
import time
from datetime import datetime, timedelta, timezone
from typing import Annotated, Any, Literal, NamedTuple, Optional

import orjson
from pydantic import AfterValidator, AliasChoices, ConfigDict, Field, TypeAdapter, with_config
from pydantic_core import PydanticCustomError
from typing_extensions import NotRequired, TypedDict

from ingestion.collector.storable import (
    BIGINT_MAX,
    BIGINT_MIN,
    Unstorable,
    check_value,
    checked_extras,
    storable_extras,
)
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


# Text Postgres can store has no NUL character; a required text also has a character other than
# blanks, since dbt's staging trims blanks and reads an empty text as null (a blank required field
# would fail the marts' not-null tests after it was accepted). Patterns, so pydantic-core checks them
# (and, as it matches them on Rust strings, refuses lone surrogates in these fields too).
NO_NUL_PATTERN = r"^[^\x00]*$"
FILLED_PATTERN = r"^[^\x00]*[^\x00 \t\r\n][^\x00]*$"


def text_problem(text: str) -> str:
    """Why a text failed NO_NUL_PATTERN or FILLED_PATTERN, in words."""
    if "\x00" in text:
        return "contains a NUL character (\\u0000), which Postgres text cannot store"
    return "needs a character other than blanks"


def _constraints(column: Column) -> dict[str, Any]:
    """pydantic Field constraints of a column: its bounds, finite doubles, bigints within Postgres'."""
    constraints: dict[str, Any] = {}
    low, high = column.minimum, column.maximum
    if column.type == "bigint":
        low = BIGINT_MIN if low is None else max(low, BIGINT_MIN)
        high = BIGINT_MAX if high is None else min(high, BIGINT_MAX)
    if column.type == "double":
        constraints["allow_inf_nan"] = False
    if low is not None:
        constraints["ge"] = low
    if high is not None:
        constraints["le"] = high
    return constraints


def intake_type(column: Column) -> Any:
    """The type a record field is validated against, from its contracted column.

    A required text is non-empty and not blank; numbers are finite and within the column's bounds; a
    closed value set is a Literal that may be left out (a default fills it) but not sent as null; any
    other optional field may be left out or null.
    """
    value_type: Any = Literal[column.values] if column.closed else PYTHON_TYPES[column.type]
    constraints = _constraints(column)
    if column.type == "text" and not column.closed:
        constraints["pattern"] = FILLED_PATTERN if column.required else NO_NUL_PATTERN
        if column.required:
            constraints["min_length"] = 1
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
        for column in RAW_TABLES[table].record_columns
    }
    return with_config(_KEEP_EXTRA)(TypedDict(name, fields))


def field_error(field: str, message: str) -> PydanticCustomError:
    """An error from a cross-field check that still names the field at fault."""
    return PydanticCustomError("field_error", "{field}: {message}", {"field": field, "message": message})


def canonical_json(value: Any) -> str:
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS, default=str).decode()


def config_hash(config_text: str) -> str:
    return hashlib.sha256(config_text.encode()).hexdigest()[:12]


OLDEST_EVENT_VARIABLE, MAX_FUTURE_VARIABLE = "OUTCOMELENS_OLDEST_EVENT", "OUTCOMELENS_MAX_FUTURE_S"
DEFAULT_OLDEST_EVENT, DEFAULT_MAX_FUTURE_S = "2000-01-01", "86400"
WINDOW_REFRESH_S = 1.0


class WindowSettingError(RuntimeError):
    """OUTCOMELENS_OLDEST_EVENT or OUTCOMELENS_MAX_FUTURE_S cannot be read (a setup error, not a record's)."""


@functools.lru_cache(maxsize=16)
def _window_settings(oldest: str, max_future_s: str) -> tuple[datetime, timedelta]:
    try:
        oldest_at = datetime.fromisoformat(oldest)
    except ValueError:
        raise WindowSettingError(f"{OLDEST_EVENT_VARIABLE}={oldest!r} is not an ISO date or time") from None
    try:
        ahead = timedelta(seconds=float(max_future_s))
    except (ValueError, OverflowError):
        raise WindowSettingError(f"{MAX_FUTURE_VARIABLE}={max_future_s!r} is not a number of seconds") from None
    return (oldest_at if oldest_at.tzinfo else oldest_at.replace(tzinfo=timezone.utc)), ahead


class EventWindow(NamedTuple):
    """The event times accepted: oldest..newest. An offset moves a time by less than a day, so a
    time whose own calendar day is two days inside the window (sure_first_day..sure_last_day, as
    ordinals) is inside whatever its offset. Comparing day numbers is cheap; comparing aware times
    calls the tzinfo pydantic attaches, which costs more than all other checks of a record."""

    oldest: datetime
    newest: datetime
    sure_first_day: int
    sure_last_day: int


class _WindowCache:
    refresh_at = float("-inf")  # time.monotonic() after which the window is worked out again
    window: EventWindow


def event_window() -> EventWindow:
    """The event times accepted now. Worked out once a second, not per record (reading the
    environment costs more than the rest of a record's checks): a changed setting applies within
    WINDOW_REFRESH_S."""
    clock = time.monotonic()
    if clock >= _WindowCache.refresh_at:
        oldest, ahead = _window_settings(os.environ.get(OLDEST_EVENT_VARIABLE, DEFAULT_OLDEST_EVENT),
                                         os.environ.get(MAX_FUTURE_VARIABLE, DEFAULT_MAX_FUTURE_S))
        newest = datetime.now(timezone.utc) + ahead
        _WindowCache.window = EventWindow(oldest, newest, _utc_day(oldest) + 2, _utc_day(newest) - 2)
        _WindowCache.refresh_at = clock + WINDOW_REFRESH_S
    return _WindowCache.window


def _utc_day(value: datetime) -> int:
    return value.astimezone(timezone.utc).toordinal()


event_window()  # a collector whose window settings cannot be read stops here, at start


def _utc_in_window(record: dict, field: str = "occurred_at") -> None:
    value = record[field]
    if value.tzinfo is None:  # no offset given: UTC, not the server's local time
        value = record[field] = value.replace(tzinfo=timezone.utc)
    window = event_window()
    if window.sure_first_day <= value.toordinal() <= window.sure_last_day:
        return
    if not window.oldest <= value <= window.newest:
        raise field_error(field, f"must be between {window.oldest.isoformat()} and "
                                 f"{window.newest.isoformat(timespec='seconds')} ({OLDEST_EVENT_VARIABLE}, "
                                 f"{MAX_FUTURE_VARIABLE})")


_CORE_COLUMNS = {table: frozenset(RAW_TABLES[table].column_names) for table in RAW_TABLES}


# Core fields the record models take as any JSON (then written as text): checked as extra fields are.
_UNTYPED_CORE = {"llm_calls": ("config",)}


def _checked_extras(record: dict, table: str) -> list[str]:
    try:
        return checked_extras(record, _CORE_COLUMNS[table], _UNTYPED_CORE.get(table, ()))
    except Unstorable as problem:
        raise field_error(problem.field, problem.reason) from None


def _stored_extras(record: dict, extras: list[str], table: str) -> dict:
    try:
        return storable_extras(record, extras, _CORE_COLUMNS[table], canonical_json)
    except Unstorable as problem:
        raise field_error(problem.field, problem.reason) from None


def _storable(record: dict, table: str) -> dict:
    """The record as the warehouse can store it (ingestion.collector.storable), or a field error."""
    extras = _checked_extras(record, table)
    return _stored_extras(record, extras, table) if extras else record


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
    if isinstance(record["config"], str):
        try:
            check_value(config, ("config",))  # a config given as text is checked once it is parsed
        except Unstorable as problem:
            raise field_error(problem.field, problem.reason) from None
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
    record = _storable(record, "llm_calls")
    _utc_in_window(record)
    _canonical_config(record)
    record.setdefault("status", "ok")
    return record


ConversationEventFields = record_fields("conversation_events", "ConversationEventFields")


def _conversation_event(record: dict) -> dict:
    record = _storable(record, "conversation_events")
    _utc_in_window(record)
    return record


FEEDBACK_RANGES = {"thumb": (0.0, 1.0), "rating": (1.0, 5.0), "csat": (1.0, 5.0)}

FeedbackFields = record_fields("feedback", "FeedbackFields")


def _feedback(record: dict) -> dict:
    record = _storable(record, "feedback")
    _utc_in_window(record)
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
    extras = _checked_extras(record, "outcome_metrics")
    _utc_in_window(record)
    record.setdefault("source", "api")
    if not record.get("event_id"):
        # The same row sent twice must land once: its id is a hash of its content as sent (before
        # extra names are normalized, so ids stay what they were for files uploaded before).
        row = {k: v for k, v in record.items() if k not in ("event_id", "source") and v is not None}
        record["event_id"] = hashlib.sha256(canonical_json(row).encode()).hexdigest()
    return _stored_extras(record, extras, "outcome_metrics")


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
