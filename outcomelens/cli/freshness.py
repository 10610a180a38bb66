"""Each source's freshness as the semantic layer serves it (Cube's `model_health` view, its
`freshness_*` members): what `outcomelens status` shows, and what the live benchmark reads."""

from __future__ import annotations

import time
from dataclasses import dataclass

import requests

from outcomelens.core.tokens import mint_token

VIEW = "model_health"
ROLE = "admin"
QUERY = {
    "dimensions": [
        f"{VIEW}.freshness_source_name",
        f"{VIEW}.freshness_table_name",
        f"{VIEW}.freshness_newest_loaded_at",
    ],
    "measures": [f"{VIEW}.freshness_age_s"],
    "order": {f"{VIEW}.freshness_table_name": "asc"},
}
TIMEOUT_S = 15.0


class FreshnessUnavailable(RuntimeError):
    pass


@dataclass(frozen=True)
class SourceFreshness:
    source_name: str
    table_name: str
    newest_loaded_at: str | None
    age_s: float | None


def cube_load(api_url: str, secret: str, query: dict, timeout_s: float = TIMEOUT_S) -> list[dict]:
    """The rows of a Cube REST /v1/load answer, waiting out its "Continue wait" replies."""
    headers = {"Authorization": f"Bearer {mint_token(ROLE, secret, ttl_s=300)}"}
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            response = requests.post(f"{api_url}/v1/load", json={"query": query}, headers=headers, timeout=timeout_s)
        except requests.RequestException as exc:
            raise FreshnessUnavailable(f"Cube does not answer at {api_url} ({type(exc).__name__})") from exc
        body = response.json() if response.headers.get("content-type", "").startswith("application/json") else {}
        if response.ok and "data" in body:
            return body["data"]
        if body.get("error") != "Continue wait" or time.monotonic() > deadline:
            raise FreshnessUnavailable(
                f"Cube answered {response.status_code}: {str(body.get('error', response.text))[:200]}"
            )
        time.sleep(0.2)


def through_cube(api_url: str, secret: str) -> list[SourceFreshness]:
    rows = cube_load(api_url, secret, QUERY)
    return [
        SourceFreshness(
            source_name=row[f"{VIEW}.freshness_source_name"],
            table_name=row[f"{VIEW}.freshness_table_name"],
            newest_loaded_at=row[f"{VIEW}.freshness_newest_loaded_at"],
            age_s=None if row[f"{VIEW}.freshness_age_s"] is None else float(row[f"{VIEW}.freshness_age_s"]),
        )
        for row in rows
    ]
