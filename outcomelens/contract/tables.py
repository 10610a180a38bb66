"""The raw tables, declared once: columns, neutral types, primary keys, required and nullable fields.

Every copy elsewhere (the collector's record models, the loader's and the demo's Arrow schemas, the
dbt sources, the data-quality suites, docs/contracts.md) is built from this or checked against it by
tests/unit/test_contract.py.

The types are dlt's own names (the loaders hand them to dlt as column hints): text, timestamp (always
with a time zone: timestamptz), double (double precision), bigint.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

TYPES = ("text", "timestamp", "double", "bigint")
POSTGRES_TYPES = {"text": "text", "timestamp": "timestamptz", "double": "double precision", "bigint": "bigint"}
PYTHON_TYPES = {"text": str, "timestamp": datetime, "double": float, "bigint": int}

# Bounds of the measures intake accepts. A double measure stays within ±1e15 (15 significant digits
# of headroom: sums and sums of squares over millions of rows stay finite); a token count within
# 1e12, so even nine million calls at the maximum sum inside a bigint (2^63 ≈ 9.2e18).
MAX_MEASURE = 1e15
MAX_TOKENS = 10**12


@dataclass(frozen=True)
class Column:
    """One contracted column.

    required: a record without it (or with it null) is rejected on intake.
    nullable: the contract lets the raw table hold NULL here (a source may not know it).
    values: the values the column takes; closed=True when intake rejects any other (else dbt only warns).
    minimum, maximum: the smallest and largest value intake accepts (counts and durations are never
    negative; no single measure is large enough to make a sum over it overflow).
    stamped: set by the collector from the request's ingestion key, never read from the record (a
    record's own value is replaced), so a client cannot write into another project.
    """

    name: str
    type: str
    doc: str = ""
    required: bool = False
    nullable: bool = False
    values: tuple[str, ...] = ()
    closed: bool = False
    minimum: float | None = None
    maximum: float | None = None
    stamped: bool = False

    def __post_init__(self) -> None:
        if self.type not in TYPES:
            raise ValueError(f"{self.name}: unknown type {self.type!r}; expected one of {TYPES}")


@dataclass(frozen=True)
class Table:
    """One raw table (schema `raw`); `loaded_by` names the part of the project that writes it and
    `dbt_source` the dbt source that reads it (None: dbt does not read it); `always_present=False`
    when a fresh warehouse may not have it yet (its loader creates it with the first row)."""

    name: str
    doc: str
    columns: tuple[Column, ...]
    primary_key: tuple[str, ...]
    loaded_by: str
    dbt_source: str | None = None
    notes: str = ""
    always_present: bool = True

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(column.name for column in self.columns)

    @property
    def required(self) -> tuple[str, ...]:
        return tuple(column.name for column in self.columns if column.required)

    @property
    def record_columns(self) -> tuple[Column, ...]:
        """The columns a record brings (the stamped ones come from its ingestion key)."""
        return tuple(column for column in self.columns if not column.stamped)

    @property
    def stamped(self) -> tuple[str, ...]:
        return tuple(column.name for column in self.columns if column.stamped)

    def column(self, name: str) -> Column:
        for column in self.columns:
            if column.name == name:
                return column
        raise KeyError(f"{self.name} has no contracted column {name!r}")


def _text(name: str, doc: str = "", **options) -> Column:
    return Column(name, "text", doc, **options)


def _timestamp(name: str, doc: str = "", **options) -> Column:
    return Column(name, "timestamp", doc, **options)


def _double(name: str, doc: str = "", **options) -> Column:
    return Column(name, "double", doc, **options)


def _bigint(name: str, doc: str = "", **options) -> Column:
    return Column(name, "bigint", doc, **options)


# Every record the collector takes carries the project and key it was sent with. Events are keyed on
# (project, event_id): the same event_id from two projects is two rows, a replay within one is one.
PROJECT_KEY = ("project", "event_id")


def _ingestion_key_columns() -> tuple[Column, ...]:
    return (
        _text("project", "the project of the ingestion key the record was sent with (`demo` for the demo)",
              stamped=True),
        _text("ingestion_key_id", "the id of that key (ops.ingestion_keys; null for the demo)", stamped=True,
              nullable=True),
    )


LLM_CALLS = Table(
    name="llm_calls",
    doc="one row per LLM call",
    loaded_by="collector",
    dbt_source="outcomelens",
    primary_key=PROJECT_KEY,
    columns=(
        _text("event_id", "idempotency key", required=True),
        _timestamp("occurred_at", "call start", required=True),
        _text("conversation_id", "every call belongs to a conversation (the marts group by it)", required=True),
        _text("trace_id"),
        _text("span_id"),
        _text("parent_span_id", nullable=True),
        _text("customer_ref", "HubSpot contact id (digits) **or** an e-mail address, possibly with odd case/whitespace"),
        _text("experiment_id", "e.g. `exp_sales_prompt`"),
        _text("variant", values=("control", "treatment")),
        _text("prompt_id", "e.g. `sales_agent`"),
        _text("prompt_version", "globally unique, e.g. `sales_agent.v1`"),
        _text("config", "JSON object as text (temperature, max_tokens, …)"),
        _text("config_hash", "first 12 hex of sha256 of the canonical JSON (sorted keys, no spaces)"),
        _text("llm_provider", values=("openai", "anthropic", "google")),
        _text("llm_model", required=True),
        _text("intent"),
        _text("capability"),
        _text("action"),
        _double("latency_ms", minimum=0, maximum=MAX_MEASURE),
        _double("time_to_first_token_ms", minimum=0, maximum=MAX_MEASURE),
        _bigint("input_tokens", "cached ones included", minimum=0, maximum=MAX_TOKENS),
        _bigint("output_tokens", minimum=0, maximum=MAX_TOKENS),
        _bigint("cached_input_tokens", "a subset of input_tokens", minimum=0, maximum=MAX_TOKENS),
        _double("cost_usd", "filled from the price table when absent", nullable=True, minimum=0,
                maximum=MAX_MEASURE),
        _text("status", "`ok` when not given", values=("ok", "error"), closed=True),
        _text("error_type", nullable=True),
        *_ingestion_key_columns(),
    ),
    notes="All calls of one conversation share conversation_id, customer_ref, experiment_id, variant, "
    "prompt_id, prompt_version, config, config_hash, llm_provider, llm_model, intent, capability, action.",
)

CONVERSATION_EVENTS = Table(
    name="conversation_events",
    doc="conversation lifecycle",
    loaded_by="collector",
    dbt_source="outcomelens",
    primary_key=PROJECT_KEY,
    columns=(
        _text("event_id", "idempotency key", required=True),
        _text("conversation_id", required=True),
        _timestamp("occurred_at", required=True),
        _text("kind", values=("started", "resolved", "escalated", "abandoned"), closed=True, required=True),
        _text("customer_ref", "as on the calls"),
        *_ingestion_key_columns(),
    ),
    notes="Every conversation has exactly one `started` and exactly one terminal event (`resolved`, "
    "`escalated` or `abandoned`).",
)

FEEDBACK = Table(
    name="feedback",
    doc="thumbs, ratings and CSAT answers",
    loaded_by="collector",
    dbt_source="outcomelens",
    primary_key=PROJECT_KEY,
    columns=(
        _text("event_id", "idempotency key", required=True),
        _timestamp("occurred_at", required=True),
        _text("conversation_id", "may be null when trace_id is given"),
        _text("trace_id", nullable=True),
        _text("kind", values=("thumb", "rating", "csat"), closed=True, required=True),
        _double("value", "thumb: 1 = up, 0 = down; rating 1–5; csat 1–5", required=True),
        _text("comment", nullable=True),
        *_ingestion_key_columns(),
    ),
    notes="A feedback record names a conversation_id or a trace_id (or both).",
)

OUTCOME_METRICS = Table(
    name="outcome_metrics",
    doc="generic outcome metrics (CSV upload, API, demo)",
    loaded_by="collector",
    dbt_source="outcomelens",
    primary_key=PROJECT_KEY,
    columns=(
        _text("event_id", "given, or sha256 of the canonical row when absent"),
        _timestamp("occurred_at", "the CSV's `timestamp`", required=True),
        _text("experiment_id", nullable=True),
        _text("metric_name", required=True),
        _double("metric_value", required=True, minimum=-MAX_MEASURE, maximum=MAX_MEASURE),
        _text("intent", nullable=True),
        _text("capability", nullable=True),
        _text("action", nullable=True),
        _text("llm_model", nullable=True),
        _text("user_id", nullable=True),
        _text("conversation_id", nullable=True),
        _text("customer_ref", nullable=True),
        _text("source", "`api` when not given", values=("csv", "api", "demo"), closed=True),
        *_ingestion_key_columns(),
    ),
    notes="Extra columns are kept as they come (dlt evolves the table); core columns are contracted. "
    "A fresh warehouse may not have the table yet.",
    always_present=False,
)

DEAD_LETTERS = Table(
    name="dead_letters",
    doc="rejected records, kept to be fixed and replayed",
    loaded_by="collector",
    primary_key=("event_id",),
    columns=(
        _text("event_id", "sha256 of the raw record"),
        _timestamp("received_at"),
        _text("endpoint"),
        _bigint("record_index"),
        _text("field"),
        _text("reason"),
        _text("raw_record", "JSON as received"),
        _text("project", "the project of the key it was sent with", stamped=True, nullable=True),
    ),
)

HUBSPOT_CONTACTS = Table(
    name="hubspot_contacts",
    doc="HubSpot CRM v3 contact, properties flattened",
    loaded_by="hubspot",
    dbt_source="hubspot",
    primary_key=("id",),
    columns=(
        _text("id", "digits"),
        _text("email"),
        _text("firstname"),
        _text("lastname"),
        _timestamp("createdate"),
        _timestamp("lastmodifieddate"),
    ),
)

HUBSPOT_DEALS = Table(
    name="hubspot_deals",
    doc="HubSpot CRM v3 deal, properties flattened",
    loaded_by="hubspot",
    dbt_source="hubspot",
    primary_key=("id",),
    columns=(
        _text("id"),
        _text("dealname"),
        _double("amount", "USD"),
        _text("dealstage", values=("appointmentscheduled", "closedwon", "closedlost")),
        _text("pipeline", "`default`"),
        _timestamp("closedate", "null unless closed", nullable=True),
        _timestamp("createdate"),
        _timestamp("hs_lastmodifieddate"),
    ),
)

HUBSPOT_DEAL_CONTACT_ASSOCIATIONS = Table(
    name="hubspot_deal_contact_associations",
    doc="deal ↔ contact links",
    loaded_by="hubspot",
    dbt_source="hubspot",
    primary_key=("deal_id", "contact_id"),
    columns=(_text("deal_id"), _text("contact_id")),
)

PROVIDER_USAGE = Table(
    name="provider_usage",
    doc="usage reported by the LLM providers, one row per provider × time bucket × model (× project, API key)",
    loaded_by="provider_usage",
    dbt_source="provider_usage",
    primary_key=("usage_id",),
    columns=(
        _text("usage_id", "hash of provider, bucket and model (and project, API key)"),
        _text("provider"),
        _timestamp("bucket_start"),
        _timestamp("bucket_end"),
        _text("model"),
        _text("project_id"),
        _text("api_key_id"),
        _bigint("input_tokens", "all input, cached included"),
        _bigint("cached_input_tokens"),
        _bigint("cache_creation_input_tokens"),
        _bigint("output_tokens"),
        _bigint("num_requests", "OpenAI only"),
    ),
    notes="Re-reading a bucket (today's grows during the day) replaces its row.",
)

RAW_TABLES: dict[str, Table] = {
    table.name: table
    for table in (
        LLM_CALLS, CONVERSATION_EVENTS, FEEDBACK, OUTCOME_METRICS, DEAD_LETTERS,
        HUBSPOT_CONTACTS, HUBSPOT_DEALS, HUBSPOT_DEAL_CONTACT_ASSOCIATIONS, PROVIDER_USAGE,
    )
}
COLLECTOR_TABLES = tuple(name for name, table in RAW_TABLES.items() if table.loaded_by == "collector")
