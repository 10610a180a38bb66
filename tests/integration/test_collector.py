"""The collector over real HTTP, landing through the real loader (dlt) into a real Postgres."""

from __future__ import annotations

import gzip
import hashlib
import io
import json
from datetime import datetime, timedelta, timezone

import pytest
import requests

from ingestion.collector.keys import create_key, revoke_key
from tests.integration.support import query, query_value

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=timezone.utc)


@pytest.fixture(scope="module")
def env(exported_warehouse, collector):
    with exported_warehouse.connection() as conn:
        _, key = create_key(conn, "shop", "tests")
        revoked_id, revoked = create_key(conn, "shop", "old")
        revoke_key(conn, revoked_id)
    return {"wh": exported_warehouse, "url": collector.url, "key": key, "revoked": revoked,
            "spool": collector.spool, "collector": collector}


def post(env, path, body, *, key=None, headers=None):
    h = {"Authorization": f"Bearer {key or env['key']}", **(headers or {})}
    data = body if isinstance(body, (bytes, str)) else json.dumps(body)
    h.setdefault("Content-Type", "application/json")
    return requests.post(env["url"] + path, data=data, headers=h, timeout=60)


def load(env):
    return env["collector"].load()


def llm_call(i: int, **overrides) -> dict:
    record = {
        "event_id": f"call-{i}",
        "occurred_at": (T0 + timedelta(seconds=i)).isoformat(),
        "conversation_id": f"conv-{i // 4}",
        "customer_ref": " Ann@Example.com ",
        "experiment_id": "exp_sales_prompt",
        "variant": "treatment" if i % 2 else "control",
        "prompt_id": "sales_agent",
        "prompt_version": "sales_agent.v2",
        "config": {"temperature": 0.2, "max_tokens": 512},
        "llm_provider": "openai",
        "llm_model": "gpt-4o-mini",
        "intent": "buy", "capability": "recommend", "action": "reply",
        "latency_ms": 100.0 + i,
        "input_tokens": 10 * i, "output_tokens": 5, "cached_input_tokens": 0,
        "status": "ok",
    }
    record.update(overrides)
    return record


def test_unknown_revoked_and_missing_keys_are_refused(env):
    batch = [llm_call(0)]
    assert post(env, "/v1/llm-calls", batch, key="olk_nope_nope").status_code == 401
    assert post(env, "/v1/llm-calls", batch, key=env["revoked"]).status_code == 401
    assert requests.post(env["url"] + "/v1/llm-calls", json=batch, timeout=10).status_code == 401
    assert env["spool"].pending_count() == 0


def test_thousand_records_one_bad_then_replayed_three_times(env):
    batch = [llm_call(i) for i in range(1000)]
    batch[417]["input_tokens"] = "lots"
    answers = [post(env, "/v1/llm-calls", batch) for _ in range(3)]
    for answer in answers:
        assert answer.status_code == 202, answer.text
        body = answer.json()
        assert (body["accepted"], body["rejected"]) == (999, 1)
        assert body["errors"][0]["index"] == 417
        assert body["errors"][0]["field"] == "input_tokens"
    load(env)
    assert query_value(env["wh"], "select count(*) from raw.llm_calls") == 999
    assert query_value(env["wh"], "select count(*) from raw.llm_calls where event_id = 'call-417'") == 0
    dead = query(env["wh"], "select endpoint, record_index, field, reason, raw_record from raw.dead_letters")
    assert len(dead) == 1
    endpoint, index, field, reason, raw = dead[0]
    assert (endpoint, index, field) == ("/v1/llm-calls", 417, "input_tokens")
    assert "integer" in reason
    assert json.loads(raw)["event_id"] == "call-417"
    # The same request once more, loaded in a later batch: still no double counting.
    assert post(env, "/v1/llm-calls", batch).status_code == 202
    load(env)
    assert query_value(env["wh"], "select count(*) from raw.llm_calls") == 999
    assert query_value(env["wh"], "select count(*) from raw.dead_letters") == 1
    # Values as sent, with config canonicalised and hashed as the contract says.
    config, config_hash, tokens, latency = query(
        env["wh"], "select config, config_hash, input_tokens, latency_ms from raw.llm_calls where event_id = 'call-3'"
    )[0]
    assert config == '{"max_tokens":512,"temperature":0.2}'
    assert config_hash == hashlib.sha256(config.encode()).hexdigest()[:12]
    assert (tokens, latency) == (30, 103.0)


def test_ndjson_gzip_extra_fields_and_cross_field_errors(env):
    records = [
        {"event_id": "fb-1", "occurred_at": "2026-03-01T12:00:00Z", "conversation_id": "conv-1", "kind": "thumb",
         "value": 1, "widget": "chat-v2"},
        {"event_id": "fb-2", "occurred_at": "2026-03-01T12:00:01Z", "conversation_id": "conv-1", "kind": "rating",
         "value": 9},
        {"event_id": "fb-3", "occurred_at": "2026-03-01T12:00:02Z", "kind": "csat", "value": 4},
        {"event_id": "fb-4", "occurred_at": "2026-03-01T12:00:03", "trace_id": "t1", "kind": "csat", "value": 5},
    ]
    body = gzip.compress("\n".join(json.dumps(r) for r in records).encode() + b"\n{not json\n")
    answer = post(env, "/v1/feedback", body, headers={"Content-Encoding": "gzip", "Content-Type": "application/x-ndjson"})
    assert answer.status_code == 202, answer.text
    result = answer.json()
    assert (result["accepted"], result["rejected"]) == (2, 3)
    assert [(e["index"], e["field"]) for e in result["errors"]] == [(1, "value"), (2, "conversation_id"), (4, "(json)")]
    load(env)
    got = query(env["wh"], "select event_id, value, widget, occurred_at from raw.feedback order by event_id")
    assert [(r[0], r[1], r[2]) for r in got] == [("fb-1", 1.0, "chat-v2"), ("fb-4", 5.0, None)]
    assert got[1][3] == datetime(2026, 3, 1, 12, 0, 3, tzinfo=timezone.utc)  # no offset → UTC


def test_conversation_events_and_whole_request_errors(env):
    good = [{"event_id": "ce-1", "conversation_id": "c1", "occurred_at": "2026-03-01T12:00:00Z", "kind": "started"}]
    bad = [{"event_id": "ce-2", "conversation_id": "c1", "occurred_at": "2026-03-01T12:00:00Z", "kind": "finished"}]
    assert post(env, "/v1/conversation-events", good).json()["accepted"] == 1
    answer = post(env, "/v1/conversation-events", bad).json()
    assert answer["errors"][0]["field"] == "kind"
    assert post(env, "/v1/conversation-events", b"[{\"a\": ").status_code == 400  # a broken array
    assert post(env, "/v1/conversation-events", b"").status_code == 400
    # A lone object is one NDJSON line: a record, answered per field.
    lone = post(env, "/v1/conversation-events", {"event_id": "x", "occurred_at": "2026-03-01T12:00:00Z"}).json()
    assert (lone["rejected"], lone["errors"][0]["field"]) == (1, "conversation_id")
    too_many = [dict(good[0], event_id=f"ce-{i}") for i in range(10_001)]
    assert post(env, "/v1/conversation-events", too_many).status_code == 413


def test_outcomes_api_and_csv_upload(env):
    api = [{"experiment_id": "exp_sales_prompt", "metric_name": "order_value", "metric_value": 120.5,
            "timestamp": "2026-03-02T10:00:00Z", "user_id": "u1", "region": "eu"}]
    assert post(env, "/v1/outcomes", api).json()["accepted"] == 1
    csv_text = (
        "experiment_id,metric_name,metric_value,timestamp,intent,capability,action,llm_model,user_id,store\n"
        "exp_sales_prompt,conversion,1,2026-03-02T10:00:00Z,buy,recommend,reply,gpt-4o-mini,u1,berlin\n"
        "exp_sales_prompt,conversion,abc,2026-03-02T10:01:00Z,buy,recommend,reply,gpt-4o-mini,u2,berlin\n"
        "exp_sales_prompt,conversion,0,yesterday,buy,recommend,reply,gpt-4o-mini,u3,paris\n"
        "exp_sales_prompt,conversion,0,2026-03-02T10:03:00Z,buy,recommend,reply,gpt-4o-mini,u4,paris\n"
    )
    answer = requests.post(
        env["url"] + "/v1/outcomes/csv", files={"file": ("m.csv", io.BytesIO(csv_text.encode()), "text/csv")},
        headers={"X-OutcomeLens-Key": env["key"]}, timeout=30,
    )
    assert answer.status_code == 202, answer.text
    result = answer.json()
    assert (result["accepted"], result["rejected"]) == (2, 2)
    assert [(e["index"], e["field"]) for e in result["errors"]] == [(3, "metric_value"), (4, "timestamp")]
    assert result["errors"][0]["reason"].startswith("line 3, column metric_value")
    # Re-uploading the same file adds nothing: CSV rows without an id get a content hash.
    requests.post(env["url"] + "/v1/outcomes/csv", files={"file": ("m.csv", csv_text.encode())},
                  headers={"X-OutcomeLens-Key": env["key"]}, timeout=30)
    load(env)
    got = query(env["wh"], "select user_id, metric_value, source, store, region from raw.outcome_metrics order by user_id, source")
    assert got == [("u1", 120.5, "api", None, "eu"), ("u1", 1.0, "csv", "berlin", None), ("u4", 0.0, "csv", "paris", None)]
    missing = requests.post(env["url"] + "/v1/outcomes/csv", files={"file": ("m.csv", b"metric_name,metric_value\nx,1\n")},
                            headers={"X-OutcomeLens-Key": env["key"]}, timeout=30)
    assert missing.status_code == 400 and "experiment_id" in missing.json()["detail"]


def test_openapi_describes_the_endpoints(env):
    spec = requests.get(env["url"] + "/openapi.json", timeout=10).json()
    for path in ("/v1/llm-calls", "/v1/feedback", "/v1/outcomes", "/v1/conversation-events",
                 "/v1/outcomes/csv", "/v1/traces", "/v1/webhooks/hubspot", "/v1/admin/provider-keys"):
        assert path in spec["paths"], path
    body = spec["paths"]["/v1/llm-calls"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert body["maxItems"] == 10_000
    assert set(body["items"]["required"]) == {"event_id", "occurred_at", "conversation_id", "llm_model"}
    assert "202" in spec["paths"]["/v1/llm-calls"]["post"]["responses"]
