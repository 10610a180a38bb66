"""Property-based tests of the intake parsers: records (JSON arrays), NDJSON, CSV and OTLP.

Whatever arrives, each parser either raises its documented error (BatchError, OtlpError: the
collector's 400/413) or returns a batch; every record it accepts is one the warehouse can store,
and the batch and its dead letters can always be written out. Valid records come back unchanged.
"""

from __future__ import annotations

import csv
import io
import json
import math
from datetime import datetime, timedelta, timezone

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from ingestion.collector import otlp
from ingestion.collector.batches import Batch, BatchError, validate_batch, validate_records
from ingestion.collector.csv_upload import parse_outcomes_csv
from ingestion.collector.records import RECORD_KINDS
from ingestion.collector.storable import (
    BIGINT_MAX,
    BIGINT_MIN,
    MAX_DEPTH,
    MAX_EXTRA_FIELDS,
    Unstorable,
    is_storable,
    normalized_name,
)
from outcomelens.contract import RAW_TABLES

PROPERTY = settings(max_examples=150, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
NOW = datetime.now(timezone.utc)

# Text as hostile clients send it: NULs, lone surrogates, blanks and letters.
hostile_text = st.text(alphabet=st.sampled_from(["a", "Z", "_", " ", "\t", "\x00", "\ud800", "é", "1", "-"]), max_size=8)
any_text = st.one_of(st.text(max_size=12), hostile_text)
numbers = st.one_of(
    st.integers(min_value=-(2**70), max_value=2**70),
    st.sampled_from([2**63 - 1, 2**63, -(2**63), -(2**63) - 1, 2**64]),
    st.floats(allow_nan=True, allow_infinity=True),
)
scalars = st.one_of(st.none(), st.booleans(), numbers, any_text)
json_values = st.recursive(
    scalars, lambda children: st.one_of(st.lists(children, max_size=4), st.dictionaries(any_text, children, max_size=4)),
    max_leaves=25,
)
# A record-shaped object: mostly contracted field names (with anything as values), some extras.
FIELD_NAMES = sorted({name for table in RAW_TABLES.values() for name in table.column_names})
record_like = st.dictionaries(st.one_of(st.sampled_from(FIELD_NAMES), any_text), json_values, max_size=12)
kinds = st.sampled_from(sorted(RECORD_KINDS))


def deep(depth: int) -> object:
    """`depth` lists around an empty one: depth + 1 levels."""
    value: object = []
    for _ in range(depth):
        value = [value]
    return value


def assert_storable_batch(batch: Batch) -> None:
    """Every accepted record, and every dead letter, can be written out and stored."""
    table = RAW_TABLES[RECORD_KINDS[batch.kind][0]]
    for line in batch.ndjson().split(b"\n") if batch.accepted else []:
        record = orjson.loads(line)
        assert is_storable(record), record
        for name in record:
            if name not in table.column_names:
                assert normalized_name(name) == name  # extras are stored under dlt's own name
        assert len(set(record) - set(table.column_names)) <= MAX_EXTRA_FIELDS
    for row in batch.dead_letters("/v1/test"):
        assert is_storable(row), row
        orjson.dumps(row)


def encoded(value: object) -> bytes:
    return json.dumps(value, allow_nan=True).encode()  # lone surrogates travel as \\ud800 escapes


@PROPERTY
@given(kind=kinds, records=st.lists(st.one_of(record_like, json_values), max_size=6))
def test_any_json_array_is_a_batch_or_a_batch_error(kind, records):
    try:
        batch = validate_batch(kind, encoded(records))
    except BatchError as error:
        assert error.status_code in (400, 413)
        return
    assert len(batch.accepted) + len(batch.rejected) == len(records)
    assert_storable_batch(batch)


@PROPERTY
@given(kind=kinds, lines=st.lists(st.one_of(record_like.map(encoded), st.binary(max_size=20)), min_size=1, max_size=6))
def test_any_ndjson_is_a_batch_or_a_batch_error(kind, lines):
    body = b"\n".join(line.replace(b"\n", b" ") for line in lines)
    try:
        batch = validate_batch(kind, body)
    except BatchError as error:
        assert error.status_code in (400, 413)
        return
    if not body.strip().startswith(b"["):  # NDJSON: one answer per non-empty line
        assert len(batch.accepted) + len(batch.rejected) == len([line for line in body.split(b"\n") if line.strip()])
    assert_storable_batch(batch)


@PROPERTY
@given(kind=kinds, body=st.binary(max_size=200))
def test_any_bytes_are_a_batch_or_a_batch_error(kind, body):
    try:
        assert_storable_batch(validate_batch(kind, body))
    except BatchError:
        pass


@pytest.mark.parametrize("depth", [MAX_DEPTH, MAX_DEPTH + 1, 250, 2_000])
def test_nesting_at_any_depth_is_answered(depth):
    """A nested extra value is kept up to MAX_DEPTH levels and its record rejected past that, from
    JSON, NDJSON or Python alike; only a JSON array nested past any parser's reach is a 400."""
    kept = 1 if depth <= MAX_DEPTH else 0
    head = {"event_id": "e", "occurred_at": NOW.isoformat(), "conversation_id": "c", "llm_model": "m"}
    line = encoded(head)[:-1] + b', "payload": ' + b"[" * depth + b"]" * depth + b"}"
    for body in (line, b"[" + line + b"]"):
        try:
            batch = validate_batch("llm-calls", body)
        except BatchError:
            assert body.startswith(b"[") and depth > 250
            continue
        assert len(batch.accepted) == kept, body[:40]
        assert_storable_batch(batch)
    batch = validate_records("llm-calls", [{**head, "payload": deep(depth - 1)}])
    assert len(batch.accepted) == kept
    assert_storable_batch(batch)


# --- valid records round-trip ------------------------------------------------------------------------

plain_text = st.text(alphabet=st.characters(blacklist_categories=["Cs"], blacklist_characters="\x00"), min_size=1,
                     max_size=12).filter(lambda text: text.strip(" \t\r\n"))
extra_names = st.from_regex(r"[a-z][a-z0-9_]{0,10}", fullmatch=True).filter(
    lambda name: name not in RAW_TABLES["llm_calls"].column_names and normalized_name(name) == name)
extra_values = st.one_of(st.none(), st.booleans(), st.integers(BIGINT_MIN, BIGINT_MAX), plain_text,
                         st.floats(allow_nan=False, allow_infinity=False))
event_times = st.datetimes(min_value=datetime(2000, 1, 2), max_value=NOW.replace(tzinfo=None),
                           timezones=st.just(timezone.utc))


@st.composite
def valid_calls(draw) -> dict:
    record = {"event_id": draw(plain_text), "occurred_at": draw(event_times).isoformat(),
              "conversation_id": draw(plain_text), "llm_model": draw(plain_text), "status": "ok"}
    optional = {
        "latency_ms": st.floats(0, 1e15), "input_tokens": st.integers(0, 10**12), "intent": plain_text,
        "cost_usd": st.floats(0, 1e15), "variant": st.sampled_from(["control", "treatment", "other"]),
    }
    for name, strategy in optional.items():
        if draw(st.booleans()):
            record[name] = draw(strategy)
    record.update(draw(st.dictionaries(extra_names, extra_values, max_size=5)))
    return record


@PROPERTY
@given(records=st.lists(valid_calls(), min_size=1, max_size=8), as_ndjson=st.booleans())
def test_valid_records_round_trip(records, as_ndjson):
    body = b"\n".join(map(encoded, records)) if as_ndjson else encoded(records)
    batch = validate_batch("llm-calls", body)
    assert batch.rejected == []
    written = [orjson.loads(line) for line in batch.ndjson().split(b"\n")]
    for sent, stored in zip(records, written, strict=True):
        assert datetime.fromisoformat(stored.pop("occurred_at")) == datetime.fromisoformat(sent["occurred_at"])
        assert stored == {key: value for key, value in sent.items() if key != "occurred_at"}


@PROPERTY
@given(name=st.text(max_size=80))
def test_normalized_names_are_stable(name):
    """Extras are stored under dlt's name; normalizing that name again changes nothing, so two records
    can never bring two spellings of one column into a load."""
    try:
        column = normalized_name(name)
    except Unstorable:
        return
    assert normalized_name(column) == column
    assert len(column) <= 63


# --- CSV ---------------------------------------------------------------------------------------------

csv_cells = st.one_of(any_text, st.sampled_from(["nan", "inf", "-inf", "1e308", "1", "-0.5", "9999-12-31", ",", '"']))


@PROPERTY
@given(text=st.text(max_size=300))
def test_any_csv_text_is_a_batch_or_a_batch_error(text):
    try:
        batch, lines = parse_outcomes_csv(text)
    except BatchError:
        return
    assert len(lines) == len(batch.accepted) + len(batch.rejected)
    assert_storable_batch(batch)


@PROPERTY
@given(header_extra=st.lists(any_text, max_size=3), rows=st.lists(st.lists(csv_cells, min_size=4, max_size=7), max_size=5))
def test_csv_rows_of_any_cells_are_accepted_only_when_storable(header_extra, rows):
    header = ["experiment_id", "metric_name", "metric_value", "timestamp", *header_extra]
    out = io.StringIO()
    csv.writer(out).writerows([header, *rows])
    try:
        batch, _ = parse_outcomes_csv(out.getvalue())
    except BatchError:
        return
    assert_storable_batch(batch)
    for record in batch.accepted:
        assert math.isfinite(record["metric_value"]) and abs(record["metric_value"]) <= 1e15


@PROPERTY
@given(values=st.lists(st.tuples(plain_text.filter(lambda t: "," not in t and '"' not in t and "\n" not in t
                                                   and "\r" not in t and t == t.strip()),
                                 st.floats(-1e15, 1e15), event_times), min_size=1, max_size=5))
def test_valid_csv_rows_round_trip(values):
    rows = [f"exp,{name},{value!r},{at.isoformat()}" for name, value, at in values]
    batch, _ = parse_outcomes_csv("experiment_id,metric_name,metric_value,timestamp\n" + "\n".join(rows) + "\n")
    assert batch.rejected == []
    assert [(r["metric_name"], r["metric_value"], r["occurred_at"]) for r in batch.accepted] == values


# --- OTLP --------------------------------------------------------------------------------------------


def otlp_batch(body: bytes, content_type: str) -> Batch | None:
    try:
        request = otlp.parse_request(body, content_type)
    except otlp.OtlpError:
        return None
    records, _ = otlp.records_from_request(request)
    batch = validate_records("llm-calls", records)
    assert_storable_batch(batch)
    return batch


@PROPERTY
@given(body=st.binary(max_size=300))
def test_any_protobuf_bytes_are_records_or_an_otlp_error(body):
    otlp_batch(body, "application/x-protobuf")


@PROPERTY
@given(document=json_values)
def test_any_otlp_json_is_records_or_an_otlp_error(document):
    otlp_batch(encoded(document), "application/json")
    otlp_batch(encoded({"resourceSpans": [{"scopeSpans": [{"spans": [document]}]}]}), "application/json")


# Protobuf strings are UTF-8: no lone surrogates (the client library cannot even write one).
attribute_text = st.text(alphabet=st.characters(blacklist_categories=["Cs"]), max_size=8)
attribute_values = st.one_of(attribute_text, hostile_text.map(lambda text: text.replace("\ud800", "")), st.integers(-(2**63), 2**63 - 1), st.floats(), st.booleans())
ATTRIBUTES = ["gen_ai.request.model", "gen_ai.conversation.id", "gen_ai.usage.input_tokens", "gen_ai.provider.name",
              "outcomelens.intent", "outcomelens.cost_usd", "outcomelens.config", "error.type"]


@PROPERTY
@given(spans=st.lists(st.dictionaries(st.sampled_from(ATTRIBUTES), attribute_values), min_size=1, max_size=4),
       start=st.integers(0, 2**64 - 1))
def test_any_genai_span_attributes_are_a_record_or_a_rejection(spans, start):
    request = ExportTraceServiceRequest()
    scope = request.resource_spans.add().scope_spans.add()
    for number, attributes in enumerate(spans):
        span = scope.spans.add(trace_id=bytes(16), span_id=bytes([number + 1] * 8), name="chat",
                               start_time_unix_nano=start, end_time_unix_nano=min(start + 10**9, 2**64 - 1))
        for key, value in attributes.items():
            kv = span.attributes.add(key=key)
            field = {str: "string_value", bool: "bool_value", int: "int_value", float: "double_value"}[type(value)]
            setattr(kv.value, field, value)
    batch = otlp_batch(request.SerializeToString(), "application/x-protobuf")
    assert batch is not None
    started = datetime.fromtimestamp(start / 1e9, timezone.utc)
    window_ok = datetime(2000, 1, 1, tzinfo=timezone.utc) <= started <= datetime.now(timezone.utc) + timedelta(days=1)
    for record in batch.accepted:
        assert window_ok and record["conversation_id"]
