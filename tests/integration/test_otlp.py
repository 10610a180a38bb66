"""GenAI spans from the real OpenTelemetry SDK and its OTLP/HTTP exporter reach raw.llm_calls."""

from __future__ import annotations

import json
import time

import pytest
import requests
from opentelemetry.exporter.otlp.proto.http import Compression
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.trace import Status, StatusCode

from ingestion.collector.keys import create_key
from tests.integration.support import query


@pytest.fixture(scope="module")
def env(exported_warehouse, collector):
    with exported_warehouse.connection() as conn:
        _, key = create_key(conn, "shop", "otel")
    return {"wh": exported_warehouse, "url": collector.url, "key": key, "collector": collector}


def test_sdk_exporter_spans_land_with_model_provider_tokens_and_latency(env):
    exporter = OTLPSpanExporter(
        endpoint=env["url"] + "/v1/traces", headers={"Authorization": f"Bearer {env['key']}"},
        compression=Compression.Gzip,
    )
    provider = TracerProvider(resource=Resource.create({"service.name": "shop-agent",
                                                        "outcomelens.experiment_id": "exp_sales_prompt"}))
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    tracer = provider.get_tracer("test")
    spans = {}
    with tracer.start_as_current_span("handle request") as outer:  # not a GenAI span: skipped
        with tracer.start_as_current_span("chat gpt-4o-mini") as span:
            span.set_attributes({
                "gen_ai.operation.name": "chat", "gen_ai.provider.name": "openai",
                "gen_ai.request.model": "gpt-4o-mini", "gen_ai.response.model": "gpt-4o-mini-2024-07-18",
                "gen_ai.usage.input_tokens": 812, "gen_ai.usage.output_tokens": 96,
                "gen_ai.usage.cache_read.input_tokens": 512, "gen_ai.conversation.id": "conv-42",
                "outcomelens.prompt_version": "sales_agent.v2", "outcomelens.variant": "treatment",
                "outcomelens.intent": "buy", "outcomelens.capability": "recommend", "outcomelens.action": "reply",
                "outcomelens.customer_ref": "ann@example.com",
            })
            time.sleep(0.12)
            spans["ok"] = span
        with tracer.start_as_current_span("chat claude") as span:
            span.set_attributes({
                "gen_ai.operation.name": "chat", "gen_ai.system": "anthropic",
                "gen_ai.request.model": "claude-3-5-haiku", "gen_ai.usage.input_tokens": 100,
                "gen_ai.usage.output_tokens": 0, "error.type": "rate_limit_error",
                "gen_ai.conversation.id": "conv-42",
            })
            span.set_status(Status(StatusCode.ERROR, "429"))
            time.sleep(0.03)
            spans["error"] = span
        spans["outer"] = outer
    provider.force_flush()
    provider.shutdown()
    env["collector"].load()

    got = {r[0]: r[1:] for r in query(env["wh"], """
        select span_id, llm_provider, llm_model, input_tokens, output_tokens, cached_input_tokens, latency_ms,
               conversation_id, prompt_version, variant, intent, customer_ref, experiment_id, status, error_type,
               trace_id, parent_span_id, occurred_at
        from raw.llm_calls""")}
    ok_span, err_span = spans["ok"], spans["error"]
    assert set(got) == {format(ok_span.context.span_id, "016x"), format(err_span.context.span_id, "016x")}
    ok = got[format(ok_span.context.span_id, "016x")]
    assert ok[:5] == ("openai", "gpt-4o-mini-2024-07-18", 812, 96, 512)
    assert ok[5] == pytest.approx((ok_span.end_time - ok_span.start_time) / 1e6)
    assert ok[5] >= 120
    assert ok[6:13] == ("conv-42", "sales_agent.v2", "treatment", "buy", "ann@example.com", "exp_sales_prompt", "ok")
    assert ok[14] == format(ok_span.context.trace_id, "032x")
    assert ok[15] == format(spans["outer"].context.span_id, "016x")
    err = got[format(err_span.context.span_id, "016x")]
    assert err[:4] == ("anthropic", "claude-3-5-haiku", 100, 0)
    assert (err[12], err[13]) == ("error", "rate_limit_error")


def test_otlp_json_encoding_with_hex_ids(env):
    trace_id, span_id = "5b8efff798038103d269b633813fc60c", "eee19b7ec3c1b174"
    body = {"resourceSpans": [{"resource": {"attributes": []}, "scopeSpans": [{"spans": [
        {"traceId": trace_id, "spanId": span_id, "name": "chat gemini-2.0-flash",
         "startTimeUnixNano": "1772366400000000000", "endTimeUnixNano": "1772366400250000000",
         "attributes": [
             {"key": "gen_ai.provider.name", "value": {"stringValue": "gcp.gemini"}},
             {"key": "gen_ai.request.model", "value": {"stringValue": "gemini-2.0-flash"}},
             {"key": "gen_ai.usage.input_tokens", "value": {"intValue": "40"}},
             {"key": "gen_ai.usage.output_tokens", "value": {"intValue": 7}},
             {"key": "gen_ai.conversation.id", "value": {"stringValue": "conv-7"}},
         ]},
        {"traceId": trace_id, "spanId": "bbb19b7ec3c1b174", "name": "chat broken",
         "startTimeUnixNano": "1772366400000000000", "endTimeUnixNano": "1772366400250000000",
         "attributes": [
             {"key": "gen_ai.request.model", "value": {"stringValue": "gemini-2.0-flash"}},
             {"key": "gen_ai.usage.input_tokens", "value": {"intValue": "-5"}},
             {"key": "gen_ai.conversation.id", "value": {"stringValue": "conv-7"}},
         ]},
        {"traceId": trace_id, "spanId": "aaa19b7ec3c1b174", "name": "db query",
         "startTimeUnixNano": "1772366400000000000", "endTimeUnixNano": "1772366400001000000"},
    ]}]}]}
    answer = requests.post(env["url"] + "/v1/traces", data=json.dumps(body),
                           headers={"Content-Type": "application/json", "Authorization": f"Bearer {env['key']}"}, timeout=10)
    assert answer.status_code == 200, answer.text
    result = answer.json()
    assert (result["accepted"], result["skipped"], result["rejected"]) == (1, 1, 1)
    assert result["partialSuccess"]["rejectedSpans"] == "1"
    assert result["errors"] == [{"index": 1, "field": "input_tokens", "reason": "Input should be greater than or equal to 0"}]
    env["collector"].load()
    got = query(env["wh"], "select llm_provider, llm_model, input_tokens, output_tokens, latency_ms, occurred_at::text "
                          "from raw.llm_calls where span_id = %s", (span_id,))
    assert got == [("google", "gemini-2.0-flash", 40, 7, 250.0, "2026-03-01 12:00:00+00")]
    dead = query(env["wh"], "select endpoint, field, raw_record from raw.dead_letters")
    assert [(d[0], d[1], json.loads(d[2])["span_id"]) for d in dead] == [("/v1/traces", "input_tokens", "bbb19b7ec3c1b174")]
    bad = requests.post(env["url"] + "/v1/traces", data=b"\x00garbage", headers={
        "Content-Type": "application/x-protobuf", "Authorization": f"Bearer {env['key']}"}, timeout=10)
    assert bad.status_code == 400
