"""Hostile and careless input over real HTTP: never a 500, never a record the loader cannot store.

Each case was a finding against the collector (issue 11): a record it accepted stopped every later
load (a camelCase extra field colliding with a core column, a NUL character, an integer of 2^63,
1,700 extra fields), data it accepted failed the marts' tests later (a call without conversation_id,
NaN, a year-9999 timestamp), and malformed bodies answered 500 and dropped the batch (deep nesting, a
lone surrogate, integers of 2^64 and more, OTLP JSON that is not an object). The last test posts the
records that used to wedge loading next to valid ones and runs the real loader.
"""

from __future__ import annotations

import json
import time
from datetime import datetime, timedelta, timezone

import pytest
import requests
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)
from opentelemetry.proto.common.v1.common_pb2 import KeyValue

from ingestion.collector.keys import create_key
from tests.integration.support import environment, query, running_collector, throwaway_database

NOW = datetime.now(timezone.utc).replace(microsecond=0)
CSV_HEADER = "experiment_id,metric_name,metric_value,timestamp"
# The documented limits (ingestion/collector/storable.py), stated here as the truth to check against.
MAX_EXTRA_FIELDS = 64
MAX_DEPTH = 32
WINDOW_REFRESH_S = 1.1


def intake(warehouse, collector) -> dict:
    with warehouse.connection() as conn:
        _, key = create_key(conn, "shop", "hostile")
    return {"wh": warehouse, "url": collector.url, "auth": {"Authorization": f"Bearer {key}"}, "collector": collector}


@pytest.fixture(scope="module")
def env(exported_warehouse, collector):
    return intake(exported_warehouse, collector)


@pytest.fixture()
def loader_env(tmp_path):
    """A collector and loader of its own, on a database of its own: the raw tables hold only what
    the test posts."""
    with throwaway_database("ol_wedge") as warehouse, environment(**warehouse.env()), \
            running_collector(warehouse, tmp_path) as collector:
        yield intake(warehouse, collector)


def call(event_id: str, **fields) -> dict:
    record = {"event_id": event_id, "occurred_at": (NOW - timedelta(hours=1)).isoformat(), "conversation_id": "conv-1",
              "llm_provider": "openai", "llm_model": "gpt-4o-mini", "latency_ms": 120.0, "input_tokens": 10}
    return {**record, **fields}


def post(env, path: str, body: bytes | str, content_type: str = "application/json") -> requests.Response:
    return requests.post(env["url"] + path, data=body, timeout=60,
                         headers={**env["auth"], "Content-Type": content_type})


def ingested(env, path: str, body: bytes | str, content_type: str = "application/json") -> dict:
    response = post(env, path, body, content_type)
    assert response.status_code == 202, response.text
    return response.json()


def nested(depth: int) -> str:
    return "[" * depth + "]" * depth


def ndjson_around(line: bytes | str) -> bytes:
    """A bad line between two valid calls."""
    line = line.encode() if isinstance(line, str) else line
    return b"\n".join([json.dumps(call("ok-1")).encode(), line, json.dumps(call("ok-2")).encode()])


def the_one_rejection(result: dict) -> dict:
    assert (result["accepted"], result["rejected"]) == (2, 1), result
    return result["errors"][0]


# --- bodies that answered 500 --------------------------------------------------------------------


@pytest.mark.parametrize("line, field, reason", [
    (nested(100_000), "(json)", "nested"),
    (json.dumps(call("deep", payload=json.loads(nested(300)))), "payload", "nested"),
    (json.dumps(call("deep-config", config={"a": json.loads(nested(300))})), "config", "nested"),
    ('{"event_id": "\\ud800", "occurred_at": "2026-03-01T12:00:00Z", "conversation_id": "c", "llm_model": "m"}',
     "event_id", "surrogate"),
    (json.dumps(call("huge", input_tokens=2**70)), "input_tokens", "less than or equal"),
    (json.dumps(call("huge-extra", retries=2**64)), "retries", "bigint"),
], ids=["deep-line", "deep-extra", "deep-config", "lone-surrogate", "tokens-2^70", "extra-2^64"])
def test_ndjson_lines_that_answered_500_are_rejected_alone(env, line, field, reason):
    rejection = the_one_rejection(ingested(env, "/v1/llm-calls", ndjson_around(line), "application/x-ndjson"))
    assert (rejection["index"], rejection["field"]) == (1, field)
    assert reason in rejection["reason"]


@pytest.mark.parametrize("bad, field, reason", [
    ('{"event_id": "s", "occurred_at": "2026-03-01T12:00:00Z", "conversation_id": "c", "llm_model": "m", '
     '"note": "\\udc00"}', "note", "surrogate"),
    (json.dumps(call("big", retries=2**64)), "retries", "bigint"),
    (json.dumps(call("big-tokens", input_tokens=2**64)), "input_tokens", "less than or equal"),
    (json.dumps(call("bigint-edge", retries=2**63)), "retries", "bigint"),
    (json.dumps(call("negative-edge", offset=-(2**63) - 1)), "offset", "bigint"),
], ids=["lone-surrogate", "extra-2^64", "tokens-2^64", "extra-2^63", "extra-below-bigint"])
def test_a_json_array_keeps_its_valid_records_next_to_one_the_warehouse_cannot_take(env, bad, field, reason):
    body = f'[{json.dumps(call("ok-1"))}, {bad}, {json.dumps(call("ok-2"))}]'
    rejection = the_one_rejection(ingested(env, "/v1/llm-calls", body))
    assert (rejection["index"], rejection["field"]) == (1, field)
    assert reason in rejection["reason"]


@pytest.mark.parametrize("body", [
    '{"resourceSpans": ' + nested(100_000) + "}",
    "null", "1", "[]", '"spans"', '{"resourceSpans": [' + '{"a": ' * 50_000 + '1' + '}' * 50_000 + ']}',
    '{"\\ud800": 1}',
], ids=["deep", "null", "number", "array", "string", "deep-objects", "surrogate-field-name"])
def test_otlp_json_that_is_not_an_export_request_is_a_400(env, body):
    response = post(env, "/v1/traces", body)
    assert response.status_code == 400, response.text
    assert "OTLP" in response.json()["detail"]


def span_request(*spans: dict, resource: dict | None = None) -> ExportTraceServiceRequest:
    """An OTLP export request of GenAI spans, each given as {attribute: value} plus optional times."""
    request = ExportTraceServiceRequest()
    resource_spans = request.resource_spans.add()
    resource_spans.resource.attributes.extend(_key_values(resource or {}))
    scope = resource_spans.scope_spans.add()
    for number, given in enumerate(spans):
        attributes = dict(given)
        span = scope.spans.add(trace_id=bytes(range(16)), span_id=bytes([number + 1] * 8), name="chat")
        start = attributes.pop("start_ns", int((NOW - timedelta(minutes=5)).timestamp() * 1e9))
        span.start_time_unix_nano, span.end_time_unix_nano = start, start + 250_000_000
        span.attributes.extend(_key_values({"gen_ai.request.model": "gpt-4o-mini", **attributes}))
    return request


def _key_values(attributes: dict) -> list[KeyValue]:
    values = []
    for key, value in attributes.items():
        kv = KeyValue(key=key)
        if isinstance(value, int):
            kv.value.int_value = value
        else:
            kv.value.string_value = value
        values.append(kv)
    return values


def test_otlp_protobuf_under_another_content_type_is_a_415(env):
    body = span_request({"gen_ai.conversation.id": "conv-1"}).SerializeToString()
    response = post(env, "/v1/traces", body, "text/plain")
    assert response.status_code == 415, response.text
    assert "text/plain" in response.json()["detail"]


# --- records the warehouse or the marts cannot take -------------------------------------------------


WIDE = {f"extra_{i}": i for i in range(MAX_EXTRA_FIELDS + 1)}


@pytest.mark.parametrize("extra, field, reason", [
    ({"conversationId": "conv-2"}, "conversationId", "conversation_id"),
    ({"userTier": "gold", "user_tier": "gold"}, "user_tier", "userTier"),
    ({"_dlt_id": "x"}, "_dlt_id", "reserved"),
    ({"": "x"}, "", "name"),
    (WIDE, "(record)", str(MAX_EXTRA_FIELDS)),
    ({"payload": json.loads(nested(MAX_DEPTH + 1))}, "payload", "nested"),
    ({"intent": "buy\x00"}, "intent", "NUL"),
    ({"a\x00b": 1}, "a\\x00b", "NUL"),
    ({"tags": ["ok", {"note": "a\x00"}]}, "tags.1.note", "NUL"),
    ({"ratio": float("inf")}, "ratio", "finite"),
], ids=["camel-case-collision", "extras-collide", "dlt-column", "empty-name", "too-many-extras", "too-deep", "nul-in-text", "nul-in-key", "nul-nested",
        "infinite-extra"])
def test_extra_fields_the_loader_cannot_store_are_rejected_by_name(env, extra, field, reason):
    body = json.dumps([call("ok-1"), call("bad", **extra), call("ok-2")])
    rejection = the_one_rejection(ingested(env, "/v1/llm-calls", body))
    assert (rejection["index"], rejection["field"]) == (1, field)
    assert reason in rejection["reason"]


@pytest.mark.parametrize("kind, record, field", [
    ("llm-calls", call("inf", latency_ms="Infinity"), "latency_ms"),
    ("llm-calls", call("huge", latency_ms=1e308), "latency_ms"),
    ("llm-calls", call("cost", cost_usd=1e300), "cost_usd"),
    ("llm-calls", call("ttft", time_to_first_token_ms=float("inf")), "time_to_first_token_ms"),
    ("outcomes", {"metric_name": "nps", "metric_value": "NaN", "occurred_at": NOW.isoformat()}, "metric_value"),
    ("outcomes", {"metric_name": "nps", "metric_value": -1e16, "occurred_at": NOW.isoformat()}, "metric_value"),
], ids=["infinite-latency", "1e308-latency", "1e300-cost", "infinite-ttft", "nan-metric", "huge-negative"])
def test_non_finite_and_absurd_measures_are_rejected(env, kind, record, field):
    result = ingested(env, f"/v1/{kind}", json.dumps([record]))
    assert (result["accepted"], result["rejected"]) == (0, 1), result
    assert result["errors"][0]["field"] == field


@pytest.mark.parametrize("occurred_at", [
    "9999-12-31T00:00:00Z", "0001-01-01T00:00:00Z", "0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00",
    99_999_999_999_999, "2099-01-01T00:00:00Z", "1999-12-31T23:59:59Z", (NOW + timedelta(days=2)).isoformat(),
], ids=["year-9999", "year-1", "year-1-with-offset", "year-10000-in-utc", "epoch-ms-year-5138", "2099",
        "before-2000", "two-days-ahead"])
def test_timestamps_outside_the_window_are_rejected_with_the_field(env, occurred_at):
    body = json.dumps([call("ok-1"), call("bad", occurred_at=occurred_at), call("ok-2")])
    rejection = the_one_rejection(ingested(env, "/v1/llm-calls", body))
    assert (rejection["index"], rejection["field"]) == (1, "occurred_at")
    assert "between" in rejection["reason"]


def test_the_window_is_configurable(env, monkeypatch):
    edges = [call("y2k", occurred_at="2000-01-01T00:00:00Z"), call("soon", occurred_at=(NOW + timedelta(hours=12)).isoformat())]
    assert ingested(env, "/v1/llm-calls", json.dumps(edges))["accepted"] == 2
    monkeypatch.setenv("OUTCOMELENS_OLDEST_EVENT", "1990-01-01")
    monkeypatch.setenv("OUTCOMELENS_MAX_FUTURE_S", "60")
    time.sleep(WINDOW_REFRESH_S)  # the collector reads its settings once a second
    result = ingested(env, "/v1/llm-calls", json.dumps([call("1995", occurred_at="1995-06-01T00:00:00Z"), edges[1]]))
    assert (result["accepted"], [e["index"] for e in result["errors"]]) == (1, [1])
    monkeypatch.undo()
    time.sleep(WINDOW_REFRESH_S)


def test_what_the_marts_require_is_required(env):
    without_conversation = {key: value for key, value in call("lonely").items() if key != "conversation_id"}
    result = ingested(env, "/v1/llm-calls", json.dumps([call("ok-1"), without_conversation]))
    assert [(e["index"], e["field"]) for e in result["errors"]] == [(1, "conversation_id")]
    blank = {"metric_name": " \t", "metric_value": 1.0, "occurred_at": NOW.isoformat()}
    result = ingested(env, "/v1/outcomes", json.dumps([blank]))
    assert [(e["index"], e["field"]) for e in result["errors"]] == [(0, "metric_name")]


SPANS = (
    {"gen_ai.conversation.id": "conv-1"},
    {},  # no conversation: the marts could not place the call
    {"gen_ai.conversation.id": "conv-1", "outcomelens.intent": "buy\x00"},
    {"gen_ai.conversation.id": "conv-1", "start_ns": 2**64 - 2**40},  # year 2554
)
SPAN_ERRORS = [(1, "conversation_id"), (2, "intent"), (3, "occurred_at")]


def test_spans_without_a_conversation_or_that_the_warehouse_cannot_take_are_rejected(env):
    as_json = {"resourceSpans": [_span_json(span_request(*SPANS))]}
    response = post(env, "/v1/traces", json.dumps(as_json))
    assert response.status_code == 200, response.text
    result = response.json()
    assert result["accepted"] == 1
    assert [(e["index"], e["field"]) for e in result["errors"]] == SPAN_ERRORS
    protobuf = post(env, "/v1/traces", span_request(*SPANS).SerializeToString(),
                    "application/x-protobuf")
    assert protobuf.status_code == 200
    answer = ExportTraceServiceResponse.FromString(protobuf.content)
    assert answer.partial_success.rejected_spans == 3
    assert answer.partial_success.error_message.startswith("span 1: conversation_id:")
    # The conversation may come as a resource attribute of OutcomeLens instead.
    from_resource = span_request({}, resource={"outcomelens.conversation_id": "conv-r"})
    assert post(env, "/v1/traces", json.dumps({"resourceSpans": [_span_json(from_resource)]})).json()["accepted"] == 1


def _span_json(request: ExportTraceServiceRequest) -> dict:
    """The request's first resource as OTLP/JSON (hex ids, as exporters write them)."""
    resource = request.resource_spans[0]
    spans = [{
        "traceId": span.trace_id.hex(), "spanId": span.span_id.hex(), "name": span.name,
        "startTimeUnixNano": str(span.start_time_unix_nano), "endTimeUnixNano": str(span.end_time_unix_nano),
        "attributes": [_attribute_json(kv) for kv in span.attributes],
    } for span in resource.scope_spans[0].spans]
    return {"resource": {"attributes": [_attribute_json(kv) for kv in resource.resource.attributes]},
            "scopeSpans": [{"spans": spans}]}


def _attribute_json(kv: KeyValue) -> dict:
    if kv.value.WhichOneof("value") == "int_value":
        return {"key": kv.key, "value": {"intValue": str(kv.value.int_value)}}
    return {"key": kv.key, "value": {"stringValue": kv.value.string_value}}


def upload(env, text: str) -> dict:
    response = requests.post(env["url"] + "/v1/outcomes/csv", headers=env["auth"], timeout=60,
                             files={"file": ("metrics.csv", text.encode(), "text/csv")})
    assert response.status_code == 202, response.text
    return response.json()


@pytest.mark.parametrize("header, row, field", [
    (CSV_HEADER, "e,nps\x00,1,{ts}", "metric_name"),
    (CSV_HEADER, "e,nps,nan,{ts}", "metric_value"),
    (CSV_HEADER, "e,nps,inf,{ts}", "metric_value"),
    (CSV_HEADER, "e,nps,1e308,{ts}", "metric_value"),
    (CSV_HEADER, "e,nps,1,9999-12-31T00:00:00Z", "timestamp"),
    (CSV_HEADER + ",Metric_Name", "e,nps,1,{ts},x", "Metric_Name"),
    (CSV_HEADER + ",", "e,nps,1,{ts},x", ""),
], ids=["nul", "nan", "inf", "1e308", "year-9999", "header-collides", "empty-header"])
def test_csv_rows_the_warehouse_cannot_take_are_rejected_by_line_and_column(env, header, row, field):
    ts = NOW.isoformat()
    good = "e,nps,1,{ts}" + ",x" * header.count(",", len(CSV_HEADER))
    result = upload(env, "\n".join([header, good.format(ts=ts), row.format(ts=ts)]) + "\n")
    if field in ("Metric_Name", ""):  # every row carries the column: both are rejected
        assert result["accepted"] == 0 and {e["field"] for e in result["errors"]} == {field}
        return
    assert (result["accepted"], result["rejected"]) == (1, 1), result
    assert (result["errors"][0]["index"], result["errors"][0]["field"]) == (3, field)


# --- the real loader ----------------------------------------------------------------------------------


WEDGING = [
    call("camel", conversationId="conv-1"),  # dlt makes both conversation_id
    call("nul-text", intent="buy\x00now"),
    call("nul-key", **{"tier\x00": "gold"}),
    call("bigint", retries=2**63),
    call("wide", **{f"attribute_{i}": i for i in range(1_700)}),
]


def test_records_that_wedged_loading_become_dead_letters_and_the_rest_loads(loader_env):
    env = loader_env
    # Also wedged loading, and now valid: two spellings of one extra column in one load (each record
    # is stored with dlt's name), and nested extra values (Arrow structs dlt's Postgres loader refused).
    valid = [call("valid-0", userTier="gold", payload={"keyName": 1, "key_name": 2}),
             call("valid-1", user_tier="silver", tags=["a", {"b": 1}])]
    body = json.dumps([valid[0], *WEDGING, valid[1]])
    result = ingested(env, "/v1/llm-calls", body)
    assert (result["accepted"], result["rejected"]) == (2, len(WEDGING)), result
    # A line that is not JSON because of a raw NUL byte: its dead letter must be storable too.
    ndjson = b'{"event_id": "raw-nul\x00"}\n' + json.dumps(call("valid-2")).encode()
    assert ingested(env, "/v1/llm-calls", ndjson, "application/x-ndjson")["accepted"] == 1
    env["collector"].load()
    ingested(env, "/v1/llm-calls", json.dumps([call("valid-3")]))
    env["collector"].load()  # later records still flow
    loaded = query(env["wh"], "select event_id, user_tier, payload, tags from raw.llm_calls order by event_id")
    assert loaded == [("valid-0", "gold", '{"keyName":1,"key_name":2}', None),
                      ("valid-1", "silver", None, '["a",{"b":1}]'),
                      ("valid-2", None, None, None), ("valid-3", None, None, None)]
    dead = query(env["wh"], "select record_index, field, reason, raw_record from raw.dead_letters order by record_index")
    assert [(index, field) for index, field, _, _ in dead] == [
        (0, "(json)"), (1, "conversationId"), (2, "intent"), (3, "tier\\x00"), (4, "retries"), (5, "(record)")]
    reasons = [reason for _, _, reason, _ in dead]
    assert "conversation_id" in reasons[1] and "NUL" in reasons[2] and "bigint" in reasons[4] and "64" in reasons[5]
    assert json.loads(dead[4][3])["retries"] == 2**63  # the raw record as sent, to be fixed and replayed
    assert "raw-nul" in dead[0][3]
