"""Local OpenAI and Anthropic usage APIs: real HTTP servers in threads, in the providers' response shapes
(OpenAI: {object: page, data: [{object: bucket, start_time, end_time, results: [...]}], has_more, next_page};
Anthropic: {data: [{starting_at, ending_at, results: [...]}], has_more, next_page})."""

from __future__ import annotations

import base64
from datetime import datetime, timezone

from tests.mocks.server import MockServer, Reply, Request

DAY = 86_400


class _UsageServer(MockServer):
    """Daily buckets, keyed by day start (unix s) → list of per-model results, served two per page."""

    base_path = "/v1"
    page_size = 2

    def __init__(self, admin_key: str, buckets: dict[int, list[dict]]):
        super().__init__()
        self.admin_key = admin_key
        self.buckets = buckets

    def _days_since(self, since: float) -> list[int]:
        return sorted(day for day in self.buckets if day >= since)

    def _paged(self, buckets: list[dict], page: str | None) -> tuple[list[dict], str | None]:
        start = int(base64.b64decode(page).decode()) if page else 0
        chunk = buckets[start:start + self.page_size]
        more = start + self.page_size < len(buckets)
        return chunk, base64.b64encode(str(start + self.page_size).encode()).decode() if more else None


class MockOpenAIUsage(_UsageServer):
    def answer(self, request: Request) -> Reply:
        if request.headers.get("Authorization") != f"Bearer {self.admin_key}":
            return 401, {"error": {"message": "Incorrect API key provided", "type": "invalid_request_error"}}
        if request.path != "/v1/organization/usage/completions":
            return 404, {"error": {"message": "not found"}}
        data = [{"object": "bucket", "start_time": day, "end_time": day + DAY, "results": [
            {"object": "organization.usage.completions.result", "project_id": None, "user_id": None,
             "api_key_id": None, "batch": None, **result} for result in self.buckets[day]]}
            for day in self._days_since(int(request.query["start_time"]))]
        page, next_page = self._paged(data, request.query.get("page"))
        return 200, {"object": "page", "data": page, "has_more": next_page is not None, "next_page": next_page}


def _rfc3339(unix_s: int) -> str:
    return datetime.fromtimestamp(unix_s, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


class MockAnthropicUsage(_UsageServer):
    def answer(self, request: Request) -> Reply:
        headers = request.headers
        if headers.get("x-api-key") != self.admin_key or headers.get("anthropic-version") != "2023-06-01":
            return 401, {"type": "error", "error": {"type": "authentication_error", "message": "invalid x-api-key"}}
        if request.path != "/v1/organizations/usage_report/messages":
            return 404, {"type": "error", "error": {"type": "not_found_error", "message": "not found"}}
        since = datetime.fromisoformat(request.query["starting_at"].replace("Z", "+00:00")).timestamp()
        data = [{"starting_at": _rfc3339(day), "ending_at": _rfc3339(day + DAY), "results": [
            {"api_key_id": None, "workspace_id": None, "service_tier": "standard", "context_window": "0-200k",
             "server_tool_use": {"web_search_requests": 0}, **result} for result in self.buckets[day]]}
            for day in self._days_since(since)]
        page, next_page = self._paged(data, request.query.get("page"))
        return 200, {"data": page, "has_more": next_page is not None, "next_page": next_page}
