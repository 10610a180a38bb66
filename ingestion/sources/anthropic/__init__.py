"""Anthropic's usage report as a dlt source (dlt rest_api) landing in raw.provider_usage.

GET /v1/organizations/usage_report/messages (admin key, x-api-key + anthropic-version); `data[]`
buckets with `results[]`, `has_more`/`next_page` → `page`; incremental on the newest bucket loaded.
"""

from __future__ import annotations

from typing import Iterator

import dlt
from dlt.sources.rest_api import rest_api_resources

from ingestion.sources.provider_usage import usage_id, usage_resource

ANTHROPIC_BASE_URL = "https://api.anthropic.com/v1"
ANTHROPIC_VERSION = "2023-06-01"


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
        row["usage_id"] = usage_id("anthropic", start, row["model"], row["project_id"], row["api_key_id"],
                                    result.get("service_tier"), result.get("context_window"))
        yield row


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
        "resources": [usage_resource("anthropic_usage", {
            "path": "organizations/usage_report/messages",
            "params": {"bucket_width": bucket_width, "group_by[]": "model"},
            "data_selector": "data",
            "paginator": {"type": "cursor", "cursor_path": "next_page", "cursor_param": "page"},
            "incremental": {"start_param": "starting_at", "cursor_path": "bucket_start", "initial_value": starting_at,
                            "primary_key": []},
        }, anthropic_bucket_rows)],
    })
