"""raw.provider_usage, the table every provider's usage source lands in, and the pipeline that loads them.

One row per provider × time bucket × model (× project/workspace, API key), with usage_id a hash of
those, so re-reading a bucket (today's grows during the day) replaces its row. Columns: usage_id,
provider, bucket_start, bucket_end, model, project_id, api_key_id, input_tokens (all input, cached
included), cached_input_tokens, cache_creation_input_tokens, output_tokens, num_requests (OpenAI only).
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timezone
from typing import Any

import dlt

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


def usage_id(*parts: Any) -> str:
    return hashlib.sha256("|".join("" if p is None else str(p) for p in parts).encode()).hexdigest()[:32]


def iso_from_unix(unix_s: int) -> str:
    return datetime.fromtimestamp(unix_s, tz=timezone.utc).isoformat()


def unix_from_iso(iso: str) -> int:
    return int(datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp())


def usage_resource(name: str, endpoint: dict, yield_rows) -> dict:
    return {
        "name": name,
        "table_name": "provider_usage",
        "primary_key": "usage_id",
        "write_disposition": "merge",
        "columns": {key: dict(value) for key, value in USAGE_COLUMNS.items()},
        "endpoint": endpoint,
        "processing_steps": [{"yield_map": yield_rows}],
    }


def run_usage(pipelines_dir: str, sources: list, credentials: str | None = None):
    """`credentials`: the warehouse's; None lets dlt read them from its own configuration."""
    pipeline = dlt.pipeline(pipeline_name="outcomelens_provider_usage", destination="postgres", dataset_name="raw",
                            pipelines_dir=pipelines_dir)
    return pipeline.run(sources, credentials=credentials)
