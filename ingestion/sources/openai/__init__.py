"""OpenAI's usage API as a dlt source (dlt rest_api) landing in raw.provider_usage.

GET /v1/organization/usage/completions (admin key, Bearer); `data[]` buckets with `results[]`, paged
by `next_page` → `page`; incremental on the newest bucket loaded.
"""

from __future__ import annotations

from typing import Iterator

import dlt
from dlt.sources.rest_api import rest_api_resources

from ingestion.sources.provider_usage import iso_from_unix, unix_from_iso, usage_id, usage_resource

OPENAI_BASE_URL = "https://api.openai.com/v1"


def openai_bucket_rows(bucket: dict) -> Iterator[dict]:
    start, end = iso_from_unix(bucket["start_time"]), iso_from_unix(bucket["end_time"])
    for result in bucket.get("results", []):
        row = {
            "provider": "openai", "bucket_start": start, "bucket_end": end,
            "model": result.get("model"), "project_id": result.get("project_id"), "api_key_id": result.get("api_key_id"),
            "input_tokens": result.get("input_tokens", 0), "cached_input_tokens": result.get("input_cached_tokens") or 0,
            "cache_creation_input_tokens": None, "output_tokens": result.get("output_tokens", 0),
            "num_requests": result.get("num_model_requests"),
        }
        row["usage_id"] = usage_id("openai", start, row["model"], row["project_id"], row["api_key_id"],
                                    result.get("user_id"), result.get("batch"), result.get("service_tier"))
        yield row


@dlt.source(name="openai_usage", max_table_nesting=0)
def openai_usage_source(
    api_key: str = dlt.secrets.value, base_url: str = OPENAI_BASE_URL, start_time: int = 0, bucket_width: str = "1d",
):
    yield from rest_api_resources({
        "client": {"base_url": base_url.rstrip("/") + "/", "auth": {"type": "bearer", "token": api_key}},
        "resources": [usage_resource("openai_usage", {
            "path": "organization/usage/completions",
            "params": {"bucket_width": bucket_width, "group_by": "model", "limit": 31},
            "data_selector": "data",
            "paginator": {"type": "cursor", "cursor_path": "next_page", "cursor_param": "page"},
            # The newest bucket is read again next time, since it grows until it ends; primary_key=[]
            # stops dlt from dropping it as already seen (the merge on usage_id replaces the row).
            # The cursor is the newest bucket loaded (its rows' bucket_start); OpenAI wants unix seconds.
            "incremental": {"start_param": "start_time", "cursor_path": "bucket_start",
                            "initial_value": iso_from_unix(start_time), "convert": unix_from_iso, "primary_key": []},
        }, openai_bucket_rows)],
    })
