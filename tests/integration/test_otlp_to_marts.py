"""From an app instrumented with the real OpenTelemetry SDK to the marts: spans and conversation events
through the collector, the loader into raw, then `dbt seed` + `dbt run` up to marts.fct_conversations."""

from __future__ import annotations

import time

import pytest
import requests
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor

from ingestion.collector.keys import create_key
from tests.integration.support import DBT, HUBSPOT_RAW_DDL, query

SPANS = [(812, 96, 512, 0.12), (400, 50, 0, 0.05), (1000, 10, 1000, 0.08)]  # input, output, cached, seconds


@pytest.mark.skipif(not DBT.exists(), reason="dbt is not installed in .venv")
def test_genai_spans_reach_fct_conversations(exported_warehouse, collector, dbt):
    wh, url = exported_warehouse, collector.url
    with wh.connection() as conn:
        _, key = create_key(conn, "shop", "otel")
    provider = TracerProvider(resource=Resource.create({
        "service.name": "shop-agent", "outcomelens.experiment_id": "exp_sales_prompt"}))
    provider.add_span_processor(SimpleSpanProcessor(OTLPSpanExporter(
        endpoint=url + "/v1/traces", headers={"Authorization": f"Bearer {key}"})))
    tracer = provider.get_tracer("agent")
    durations = []
    start_s = int(time.time())
    for input_tokens, output_tokens, cached, seconds in SPANS:
        with tracer.start_as_current_span("chat gpt-4o-mini") as span:
            span.set_attributes({
                "gen_ai.operation.name": "chat", "gen_ai.provider.name": "openai",
                "gen_ai.request.model": "gpt-4o-mini", "gen_ai.response.model": "gpt-4o-mini-2024-07-18",
                "gen_ai.usage.input_tokens": input_tokens, "gen_ai.usage.output_tokens": output_tokens,
                "gen_ai.usage.cache_read.input_tokens": cached, "gen_ai.conversation.id": "conv-m1",
                "outcomelens.variant": "treatment", "outcomelens.prompt_id": "sales_agent",
                "outcomelens.prompt_version": "sales_agent.v2", "outcomelens.intent": "buy",
                "outcomelens.capability": "recommend", "outcomelens.action": "reply",
                "outcomelens.customer_ref": "ann@example.com",
                "outcomelens.config": '{"temperature": 0.2}',
            })
            time.sleep(seconds)
        durations.append((span.end_time - span.start_time) / 1e6)
    provider.shutdown()
    events = [
        {"event_id": "m1-start", "conversation_id": "conv-m1", "kind": "started",
         "occurred_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(start_s - 5)), "customer_ref": "ann@example.com"},
        {"event_id": "m1-end", "conversation_id": "conv-m1", "kind": "resolved",
         "occurred_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(start_s + 115)), "customer_ref": "ann@example.com"},
    ]
    headers = {"Authorization": f"Bearer {key}"}
    assert requests.post(url + "/v1/conversation-events", json=events, headers=headers, timeout=10).json()["accepted"] == 2
    thumb = [{"event_id": "m1-thumb", "occurred_at": events[1]["occurred_at"], "conversation_id": "conv-m1",
              "kind": "thumb", "value": 1}]
    assert requests.post(url + "/v1/feedback", json=thumb, headers=headers, timeout=10).json()["accepted"] == 1
    collector.load()
    with wh.connection() as conn, conn.cursor() as cur:
        cur.execute(HUBSPOT_RAW_DDL)

    dbt("seed")
    dbt("run", "--select", "+fct_conversations")

    got = query(wh, """select llm_calls, llm_errors, input_tokens, output_tokens, latency_ms_sum, cost_usd,
                             llm_provider, llm_model, prompt_version, variant, experiment_id, resolved,
                             resolution_time_s, thumbs_up
                      from marts.fct_conversations where conversation_id = 'conv-m1'""")
    assert len(got) == 1
    calls, errors, input_tokens, output_tokens, latency, cost, *dims = got[0]
    assert (calls, errors, input_tokens, output_tokens) == (3, 0, 2212, 156)
    assert latency == pytest.approx(sum(durations), abs=0.01)
    # gpt-4o-mini prices from seeds/model_prices.csv: 0.15 input, 0.075 cached, 0.60 output per 1M tokens.
    expected_cost = sum(((i - c) * 0.15 + c * 0.075 + o * 0.60) / 1e6 for i, o, c, _ in SPANS)
    assert cost == pytest.approx(expected_cost)
    assert dims == ["openai", "gpt-4o-mini-2024-07-18", "sales_agent.v2", "treatment", "exp_sales_prompt", True, 120, 1]
