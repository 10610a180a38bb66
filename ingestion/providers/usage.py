"""Provider usage as dlt sources (dlt rest_api) landing in raw.provider_usage, and the Gemini mapping.

raw.provider_usage (PK usage_id): one row per provider × time bucket × model (× project/workspace,
API key), with usage_id a hash of those, so re-reading a bucket (today's grows during the day)
replaces its row. Columns: usage_id, provider, bucket_start, bucket_end, model, project_id,
api_key_id, input_tokens (all input, cached included), cached_input_tokens,
cache_creation_input_tokens, output_tokens, num_requests (OpenAI only).

- OpenAI: GET /v1/organization/usage/completions (admin key, Bearer); `data[]` buckets with
  `results[]`, paged by `next_page` → `page`; incremental on the newest bucket loaded.
- Anthropic: GET /v1/organizations/usage_report/messages (admin key, x-api-key + anthropic-version);
  `data[]` buckets with `results[]`, `has_more`/`next_page` → `page`; incremental on the newest bucket loaded.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timezone
from typing import Any, Iterator

import dlt
from dlt.sources.rest_api import rest_api_resources

OPENAI_BASE_URL = "https://api.openai.com/v1"
ANTHROPIC_BASE_URL = "https://api.anthropic.com/v1"
ANTHROPIC_VERSION = "2023-06-01"

USAGE_COLUMNS = {
    "usage_id": {"data_type": "text", "nullable": False},
    "provider": {"data_type": "text"},
    "bucket_start": {"data_type": "timestamp", "timezone": True},
    "bucket_end": {"data_type": "timestamp", "timezone": True},
    "model": {"data_type": "text"},
    "project_id": {"data_type": "text"},
    "api_key_id": {"data_type": "text"},
    "input_tokens": {"data_type": "bigint"},
    "cached_input_tokens": {"data_type": "bigint"},
    "cache_creation_input_tokens": {"data_type": "bigint"},
    "output_tokens": {"data_type": "bigint"},
    "num_requests": {"data_type": "bigint"},
}


def _usage_id(*parts: Any) -> str:
    return hashlib.sha256("|".join("" if p is None else str(p) for p in parts).encode()).hexdigest()[:32]


def _iso(unix_s: int) -> str:
    return datetime.fromtimestamp(unix_s, tz=timezone.utc).isoformat()


def _unix(iso: str) -> int:
    return int(datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp())


def openai_bucket_rows(bucket: dict) -> Iterator[dict]:
    start, end = _iso(bucket["start_time"]), _iso(bucket["end_time"])
    for result in bucket.get("results", []):
        row = {
            "provider": "openai", "bucket_start": start, "bucket_end": end,
            "model": result.get("model"), "project_id": result.get("project_id"), "api_key_id": result.get("api_key_id"),
            "input_tokens": result.get("input_tokens", 0), "cached_input_tokens": result.get("input_cached_tokens") or 0,
            "cache_creation_input_tokens": None, "output_tokens": result.get("output_tokens", 0),
            "num_requests": result.get("num_model_requests"),
        }
        row["usage_id"] = _usage_id("openai", start, row["model"], row["project_id"], row["api_key_id"],
                                    result.get("user_id"), result.get("batch"), result.get("service_tier"))
        yield row


def anthropic_bucket_rows(bucket: dict) -> Iterator[dict]:
    start, end = bucket["starting_at"], bucket["ending_at"]
    for result in bucket.get("results", []):
        creation = result.get("cache_creation") or {}
        created = int(creation.get("ephemeral_5m_input_tokens") or 0) + int(creation.get("ephemeral_1h_input_tokens") or 0)
        uncached = int(result.get("uncached_input_tokens") or 0)
        cache_read = int(result.get("cache_read_input_tokens") or 0)
        row = {
            "provider": "anthropic", "bucket_start": start, "bucket_end": end,
            "model": result.get("model"), "project_id": result.get("workspace_id"), "api_key_id": result.get("api_key_id"),
            # Same meaning as OpenAI's input_tokens: every input token, cached or not.
            "input_tokens": uncached + cache_read + created, "cached_input_tokens": cache_read,
            "cache_creation_input_tokens": created, "output_tokens": int(result.get("output_tokens") or 0),
            "num_requests": None,
        }
        row["usage_id"] = _usage_id("anthropic", start, row["model"], row["project_id"], row["api_key_id"],
                                    result.get("service_tier"), result.get("context_window"))
        yield row


def _usage_resource(name: str, endpoint: dict, yield_rows) -> dict:
    return {
        "name": name,
        "table_name": "provider_usage",
        "primary_key": "usage_id",
        "write_disposition": "merge",
        "columns": {key: dict(value) for key, value in USAGE_COLUMNS.items()},
        "endpoint": endpoint,
        "processing_steps": [{"yield_map": yield_rows}],
    }


@dlt.source(name="openai_usage", max_table_nesting=0)
def openai_usage_source(
    api_key: str = dlt.secrets.value, base_url: str = OPENAI_BASE_URL, start_time: int = 0, bucket_width: str = "1d",
):
    yield from rest_api_resources({
        "client": {"base_url": base_url.rstrip("/") + "/", "auth": {"type": "bearer", "token": api_key}},
        "resources": [_usage_resource("openai_usage", {
            "path": "organization/usage/completions",
            "params": {"bucket_width": bucket_width, "group_by": "model", "limit": 31},
            "data_selector": "data",
            "paginator": {"type": "cursor", "cursor_path": "next_page", "cursor_param": "page"},
            # The newest bucket is read again next time, since it grows until it ends; primary_key=[]
            # stops dlt from dropping it as already seen (the merge on usage_id replaces the row).
            # The cursor is the newest bucket loaded (its rows' bucket_start); OpenAI wants unix seconds.
            "incremental": {"start_param": "start_time", "cursor_path": "bucket_start",
                            "initial_value": _iso(start_time), "convert": _unix, "primary_key": []},
        }, openai_bucket_rows)],
    })


@dlt.source(name="anthropic_usage", max_table_nesting=0)
def anthropic_usage_source(
    api_key: str = dlt.secrets.value, base_url: str = ANTHROPIC_BASE_URL,
    starting_at: str = "2024-01-01T00:00:00Z", bucket_width: str = "1d",
):
    yield from rest_api_resources({
        "client": {
            "base_url": base_url.rstrip("/") + "/",
            "auth": {"type": "api_key", "name": "x-api-key", "api_key": api_key, "location": "header"},
            "headers": {"anthropic-version": ANTHROPIC_VERSION},
        },
        "resources": [_usage_resource("anthropic_usage", {
            "path": "organizations/usage_report/messages",
            "params": {"bucket_width": bucket_width, "group_by[]": "model"},
            "data_selector": "data",
            "paginator": {"type": "cursor", "cursor_path": "next_page", "cursor_param": "page"},
            "incremental": {"start_param": "starting_at", "cursor_path": "bucket_start", "initial_value": starting_at,
                            "primary_key": []},
        }, anthropic_bucket_rows)],
    })


def gemini_response_to_llm_call(response: dict, *, event_id: str, occurred_at: str, latency_ms: float | None = None,
                                **dimensions: Any) -> dict:
    """An llm_call record from a logged Gemini generateContent response (its usageMetadata).

    promptTokenCount already includes cachedContentTokenCount; thinking tokens are billed as output.
    """
    usage = response.get("usageMetadata") or {}
    candidates = response.get("candidates") or []
    finish = candidates[0].get("finishReason") if candidates else None
    blocked = (response.get("promptFeedback") or {}).get("blockReason")
    failed = blocked is not None or finish in ("SAFETY", "RECITATION", "BLOCKLIST", "PROHIBITED_CONTENT", "MALFORMED_FUNCTION_CALL")
    record = {
        "event_id": event_id,
        "occurred_at": occurred_at,
        "llm_provider": "google",
        "llm_model": response.get("modelVersion") or dimensions.pop("llm_model", None),
        "input_tokens": usage.get("promptTokenCount"),
        "output_tokens": (usage.get("candidatesTokenCount") or 0) + (usage.get("thoughtsTokenCount") or 0)
        if "candidatesTokenCount" in usage or "thoughtsTokenCount" in usage else None,
        "cached_input_tokens": usage.get("cachedContentTokenCount", 0 if usage else None),
        "latency_ms": latency_ms,
        "status": "error" if failed else "ok",
        "error_type": (blocked or finish) if failed else None,
    }
    record.update(dimensions)
    return record


def run_usage(pipelines_dir: str, sources: list):
    pipeline = dlt.pipeline(pipeline_name="outcomelens_provider_usage", destination="postgres", dataset_name="raw",
                            pipelines_dir=pipelines_dir)
    return pipeline.run(sources)
