"""OTLP/HTTP traces → llm_call records, following the OpenTelemetry GenAI semantic conventions.

Span attributes read (GenAI conventions): gen_ai.provider.name (or the older gen_ai.system),
gen_ai.request.model, gen_ai.response.model, gen_ai.usage.input_tokens, gen_ai.usage.output_tokens,
gen_ai.usage.cache_read.input_tokens, gen_ai.operation.name, gen_ai.conversation.id, error.type.
The span's duration is the latency. OutcomeLens's own dimensions travel as span (or resource)
attributes named `outcomelens.<field>`, see OUTCOMELENS_ATTRIBUTES. Spans without a model are not
LLM calls and are skipped; a call without a conversation (neither gen_ai.conversation.id nor
outcomelens.conversation_id) is rejected like any record missing a required field.

A body is an ExportTraceServiceRequest as protobuf (application/x-protobuf) or OTLP/JSON
(application/json); anything else, JSON that is not one object, and nesting past what the parsers
follow are an OtlpError (the collector answers 400).
"""

from __future__ import annotations

import base64
from datetime import datetime, timezone
from typing import Any

import orjson
from google.protobuf import json_format
from google.protobuf.message import DecodeError
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.trace.v1.trace_pb2 import Status

OUTCOMELENS_ATTRIBUTES = (
    "experiment_id", "variant", "prompt_id", "prompt_version", "config", "intent", "capability",
    "action", "customer_ref", "conversation_id", "time_to_first_token_ms", "cost_usd",
)

PROVIDERS = {
    "openai": "openai", "azure.ai.openai": "openai", "az.ai.openai": "openai",
    "anthropic": "anthropic", "aws.bedrock": "aws.bedrock",
    "gcp.gemini": "google", "gcp.vertex_ai": "google", "gcp.gen_ai": "google",
    "gemini": "google", "vertex_ai": "google", "google": "google",
}


class OtlpError(ValueError):
    pass


def _hex_ids_to_base64(node: Any) -> Any:
    """OTLP/JSON writes trace and span ids as hex; protobuf's JSON mapping expects base64."""
    if isinstance(node, dict):
        out = {}
        for key, value in node.items():
            if key in ("traceId", "spanId", "parentSpanId") and isinstance(value, str) and value:
                try:
                    value = base64.b64encode(bytes.fromhex(value)).decode()
                except ValueError:
                    raise OtlpError(f"{key} is not hex: {value!r}") from None
            out[key] = _hex_ids_to_base64(value)
        return out
    if isinstance(node, list):
        return [_hex_ids_to_base64(item) for item in node]
    return node


PROTOBUF_TYPES = ("application/x-protobuf", "application/protobuf")


def _media_type(content_type: str) -> str:
    return content_type.split(";", 1)[0].strip().lower()


def _parse_json(body: bytes, request: ExportTraceServiceRequest) -> None:
    # orjson, not json: it refuses lone surrogates (protobuf's parser fails on them with a
    # SystemError) and nesting past 1,024 levels, as the ValueError we answer 400 to.
    document = orjson.loads(body)
    if not isinstance(document, dict):
        raise OtlpError(f"not an OTLP ExportTraceServiceRequest: OTLP/JSON is one object, got {type(document).__name__}")
    json_format.ParseDict(_hex_ids_to_base64(document), request, ignore_unknown_fields=True)


def parse_request(body: bytes, content_type: str) -> ExportTraceServiceRequest:
    request = ExportTraceServiceRequest()
    media_type = _media_type(content_type)
    try:
        if media_type == "application/json" or media_type.endswith("+json"):
            _parse_json(body, request)
        elif media_type in PROTOBUF_TYPES:
            request.ParseFromString(body)
        else:
            raise OtlpError(f"unsupported Content-Type {content_type!r}: OTLP/HTTP is application/x-protobuf "
                            "or application/json")
    except RecursionError:
        raise OtlpError("not an OTLP ExportTraceServiceRequest: nested too deeply to parse") from None
    except (ValueError, TypeError, AttributeError, DecodeError, json_format.ParseError) as exc:
        if isinstance(exc, OtlpError):
            raise
        # ParseDict raises TypeError/AttributeError on JSON whose shape is not the message's.
        raise OtlpError(f"not an OTLP ExportTraceServiceRequest: {exc}") from None
    return request


def _value(any_value) -> Any:
    kind = any_value.WhichOneof("value")
    if kind is None:
        return None
    if kind == "array_value":
        return [_value(v) for v in any_value.array_value.values]
    if kind == "kvlist_value":
        return {kv.key: _value(kv.value) for kv in any_value.kvlist_value.values}
    if kind == "bytes_value":
        return any_value.bytes_value.hex()
    return getattr(any_value, kind)


def _attributes(key_values) -> dict[str, Any]:
    return {kv.key: _value(kv.value) for kv in key_values}


def _time(unix_nano: int) -> str:
    return datetime.fromtimestamp(unix_nano / 1e9, tz=timezone.utc).isoformat()


def span_to_record(span, resource_attributes: dict[str, Any]) -> dict | None:
    attrs = {**resource_attributes, **_attributes(span.attributes)}
    model = attrs.get("gen_ai.response.model") or attrs.get("gen_ai.request.model")
    if not model:
        return None
    trace_id, span_id = span.trace_id.hex(), span.span_id.hex()
    provider = attrs.get("gen_ai.provider.name") or attrs.get("gen_ai.system")
    error_type = attrs.get("error.type")
    failed = span.status.code == Status.STATUS_CODE_ERROR or error_type is not None
    record: dict[str, Any] = {
        "event_id": f"{trace_id}-{span_id}",
        "occurred_at": _time(span.start_time_unix_nano),
        "trace_id": trace_id,
        "span_id": span_id,
        "parent_span_id": span.parent_span_id.hex() or None,
        "llm_provider": PROVIDERS.get(str(provider).lower(), provider) if provider else None,
        "llm_model": model,
        "latency_ms": max(span.end_time_unix_nano - span.start_time_unix_nano, 0) / 1e6,
        "input_tokens": attrs.get("gen_ai.usage.input_tokens"),
        "output_tokens": attrs.get("gen_ai.usage.output_tokens"),
        "cached_input_tokens": attrs.get("gen_ai.usage.cache_read.input_tokens"),
        "status": "error" if failed else "ok",
        "error_type": error_type or (span.status.message or "error" if failed else None),
        "operation_name": attrs.get("gen_ai.operation.name"),
        "request_model": attrs.get("gen_ai.request.model"),
    }
    conversation_id = attrs.get("gen_ai.conversation.id")
    if conversation_id is not None:  # left out otherwise: the record is rejected as missing it
        record["conversation_id"] = conversation_id
    for name in OUTCOMELENS_ATTRIBUTES:
        value = attrs.get(f"outcomelens.{name}")
        if value is not None:
            record[name] = value
    return record


def records_from_request(request: ExportTraceServiceRequest) -> tuple[list[dict], int]:
    """(llm_call records, number of spans skipped as not GenAI)."""
    records, skipped = [], 0
    for resource_spans in request.resource_spans:
        resource_attributes = {
            key: value
            for key, value in _attributes(resource_spans.resource.attributes).items()
            if key.startswith("outcomelens.")
        }
        for scope_spans in resource_spans.scope_spans:
            for span in scope_spans.spans:
                record = span_to_record(span, resource_attributes)
                if record is None:
                    skipped += 1
                else:
                    records.append(record)
    return records, skipped
