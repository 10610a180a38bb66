"""Pure pieces of ingestion: record validation, Gemini mapping, HubSpot signatures, the spool."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json

import pytest

from ingestion.collector.batches import BatchError, validate_batch
from ingestion.collector.webhooks import signed_uri, sync_subscriptions, verify_v3
from ingestion.sources.gemini import gemini_response_to_llm_call
from ingestion.sources.spool import Spool


def test_outcome_event_id_is_a_content_hash_and_timestamp_aliases_occurred_at():
    row = {"experiment_id": "e", "metric_name": "m", "metric_value": 1, "timestamp": "2026-01-01T00:00:00Z"}
    first = validate_batch("outcomes", json.dumps([row]).encode()).accepted[0]
    again = validate_batch("outcomes", json.dumps([dict(row, extra_col="x")]).encode()).accepted[0]
    changed = validate_batch("outcomes", json.dumps([dict(row, metric_value=2)]).encode()).accepted[0]
    assert first["event_id"] == validate_batch("outcomes", json.dumps([row]).encode()).accepted[0]["event_id"]
    assert first["event_id"] != changed["event_id"]
    assert again["event_id"] != first["event_id"]  # extra columns are part of the row
    assert first["occurred_at"].isoformat() == "2026-01-01T00:00:00+00:00"


def test_rejections_name_index_field_and_reason():
    call = {"occurred_at": "2026-01-01T00:00:00Z", "conversation_id": "c1", "llm_model": "m"}
    records = [
        {**call, "event_id": "a", "status": "fine"},
        {**call, "event_id": "b", "occurred_at": "not a time"},
        {**call, "event_id": "c", "latency_ms": -1},
        {**call, "event_id": "d", "config": "[1,2]"},
        {**call, "event_id": "e"},
        7,
    ]
    batch = validate_batch("llm-calls", json.dumps(records).encode())
    assert [m["event_id"] for m in batch.accepted] == ["e"]
    assert [(r.index, r.field) for r in batch.rejected] == [
        (0, "status"), (1, "occurred_at"), (2, "latency_ms"), (3, "config"), (5, "(record)")]
    assert "greater than or equal to 0" in batch.rejected[2].reason


def test_body_level_errors():
    with pytest.raises(BatchError):
        validate_batch("feedback", b"   ")
    with pytest.raises(BatchError) as too_many:
        validate_batch("feedback", b"{}\n" * 10_001)
    assert too_many.value.status_code == 413


def test_gemini_usage_metadata_maps_to_an_llm_call():
    response = {
        "candidates": [{"content": {"parts": [{"text": "hi"}]}, "finishReason": "STOP"}],
        "usageMetadata": {"promptTokenCount": 1200, "candidatesTokenCount": 80, "cachedContentTokenCount": 1024,
                          "thoughtsTokenCount": 20, "totalTokenCount": 1300},
        "modelVersion": "gemini-2.5-flash",
    }
    record = gemini_response_to_llm_call(response, event_id="g1", occurred_at="2026-01-01T00:00:00Z",
                                         latency_ms=640.0, conversation_id="c9", prompt_version="p.v3")
    assert {k: record[k] for k in ("llm_provider", "llm_model", "input_tokens", "output_tokens", "cached_input_tokens",
                                   "status", "conversation_id", "prompt_version")} == {
        "llm_provider": "google", "llm_model": "gemini-2.5-flash", "input_tokens": 1200, "output_tokens": 100,
        "cached_input_tokens": 1024, "status": "ok", "conversation_id": "c9", "prompt_version": "p.v3"}
    blocked = gemini_response_to_llm_call({"promptFeedback": {"blockReason": "SAFETY"}, "usageMetadata": {"promptTokenCount": 9}},
                                          event_id="g2", occurred_at="2026-01-01T00:00:00Z", llm_model="gemini-2.5-pro",
                                          conversation_id="c9")
    assert (blocked["status"], blocked["error_type"], blocked["llm_model"]) == ("error", "SAFETY", "gemini-2.5-pro")
    assert validate_batch("llm-calls", json.dumps([record, blocked]).encode()).rejected == []


def test_hubspot_signature_v3_matches_hubspots_recipe():
    secret, uri, body, ts = "s3cret", "https://example.com/v1/webhooks/hubspot", b'[{"a":1}]', "1715203101896"
    expected = base64.b64encode(hmac.new(b"s3cret", b"POST" + uri.encode() + body + ts.encode(), hashlib.sha256).digest()).decode()
    verify_v3(secret, "POST", uri, body, ts, expected, now_ms=1715203101896 + 299_000)
    for args in ((ts, expected + "x", 0), (ts, expected, 301_000), (None, expected, 0), ("abc", expected, 0)):
        with pytest.raises(PermissionError):
            verify_v3(secret, "POST", uri, body, args[0], args[1], now_ms=1715203101896 + args[2])
    assert sync_subscriptions([{"subscriptionType": "deal.propertyChange", "propertyName": "dealstage"}]) == [
        "deal.propertyChange"]
    assert sync_subscriptions([{"subscriptionType": "deal.propertyChange", "propertyName": "description"}]) == []
    assert sync_subscriptions([{"subscriptionType": "contact.propertyChange", "propertyName": "email"}, "junk",
                               {"subscriptionType": "deal.associationChange"}]) == [
        "contact.propertyChange", "deal.associationChange"]


def test_spool_segments_are_whole_files_until_retired(tmp_path):
    spool = Spool(tmp_path)
    first = spool.append("llm_calls", b'{"a":1}')
    spool.append("llm_calls", b'{"a":2}\n')
    assert spool.append("llm_calls", b"") is None
    (tmp_path / "llm_calls" / ".tmp-half-written").write_bytes(b'{"a":')
    ready = spool.ready("llm_calls")
    assert [s.read() for s in ready] == [b'{"a":1}\n', b'{"a":2}\n']
    spool.retire([first])
    assert spool.pending_count() == 1


def test_signed_uri_uses_the_public_address_behind_a_proxy():
    seen = "http://127.0.0.1:4318/v1/webhooks/hubspot?portal=1"
    assert signed_uri(seen, None) == seen
    assert signed_uri(seen, "https://hooks.example.com/") == "https://hooks.example.com/v1/webhooks/hubspot?portal=1"
