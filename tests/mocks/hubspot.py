"""A local HubSpot: a real HTTP server in a thread speaking CRM v3/v4 response shapes, serving the
recorded records vendored in tests/data/hubspot/ (their source and licence: tests/data/SOURCES.md)."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

from tests.mocks.server import MockServer, Reply, Request

RECORDS = Path(__file__).resolve().parents[1] / "data" / "hubspot"
UNAUTHORISED = {"status": "error", "category": "INVALID_AUTHENTICATION", "message": "Authentication credentials not found."}
RATE_LIMITED = {"status": "error", "errorType": "RATE_LIMIT", "message": "You have reached your secondly limit."}


# GET /account-info/v3/details as HubSpot documents it (what "test connection" calls).
ACCOUNT_INFO = {"portalId": 62515, "accountType": "STANDARD", "timeZone": "US/Eastern", "companyCurrency": "USD",
                "additionalCurrencies": [], "utcOffset": "-05:00", "utcOffsetMilliseconds": -18000000,
                "uiDomain": "app.hubspot.com", "dataHostingLocation": "na1"}


def _load(name: str) -> list[dict]:
    return json.loads((RECORDS / name).read_text())["results"]


def _ms(value: str) -> float:
    if value.isdigit():
        return int(value) / 1000
    return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()


def _page(items: list[dict], after: str | None, limit: int) -> dict:
    start = int(after or 0)
    body: dict = {"results": items[start:start + limit]}
    if start + limit < len(items):
        body["paging"] = {"next": {"after": str(start + limit), "link": f"?after={start + limit}"}}
    return body


def _no_route(path: str) -> Reply:
    return 404, {"status": "error", "message": f"no route {path}"}


class MockHubSpot(MockServer):
    def __init__(self, token: str, associations: dict[str, list[str]], throttle_first_search: bool = False):
        self.token = token
        self.contacts = _load("dlt_verified_sources_contacts_data.json")
        self.deals = _load("dlt_verified_sources_deals_data.json")
        self.associations = associations
        self.throttles_left = 1 if throttle_first_search else 0
        super().__init__()

    def update_deal(self, deal_id: str, **properties) -> str:
        now = datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")
        for deal in self.deals:
            if deal["id"] == deal_id:
                deal["properties"].update(properties, hs_lastmodifieddate=now)
                deal["updatedAt"] = now
                return now
        raise KeyError(deal_id)

    def searches(self) -> list[Request]:
        return [r for r in self.requests if r.path.endswith("/search")]

    # -- HTTP -------------------------------------------------------------------------------
    def answer(self, request: Request) -> Reply:
        # The rate limit comes before authentication, as HubSpot's own does.
        if request.method == "POST" and request.path.endswith("/search") and self._take_throttle():
            return 429, RATE_LIMITED, {"Retry-After": "1"}
        if request.headers.get("Authorization") != f"Bearer {self.token}":
            return 401, UNAUTHORISED
        if request.method == "GET":
            return self._get(request.path, request.query)
        if request.path != "/crm/v3/objects/deals/search":
            return _no_route(request.path)
        return 200, self._search_deals(request.json())

    def _take_throttle(self) -> bool:
        with self.lock:
            if self.throttles_left > 0:
                self.throttles_left -= 1
                return True
        return False

    def _get(self, path: str, query: dict[str, str]) -> Reply:
        limit = int(query.get("limit", 100))
        if path == "/account-info/v3/details":
            return 200, ACCOUNT_INFO
        if path == "/crm/v3/objects/contacts":
            return 200, _page(self.contacts, query.get("after"), limit)
        pieces = path.strip("/").split("/")
        # /crm/v4/objects/deals/{id}/associations/contacts
        if pieces[:4] == ["crm", "v4", "objects", "deals"] and pieces[5:] == ["associations", "contacts"]:
            links = [{"toObjectId": int(c), "associationTypes": [
                {"category": "HUBSPOT_DEFINED", "typeId": 3, "label": None}]}
                for c in self.associations.get(pieces[4], [])]
            return 200, _page(links, query.get("after"), limit)
        return _no_route(path)

    def _search_deals(self, body: dict) -> dict:
        deals = list(self.deals)
        for group in body.get("filterGroups", []):
            for f in group.get("filters", []):
                assert f["propertyName"] == "hs_lastmodifieddate" and f["operator"] == "GTE", f
                since = _ms(str(f["value"]))
                deals = [d for d in deals if _ms(d["properties"]["hs_lastmodifieddate"]) >= since]
        deals.sort(key=lambda d: _ms(d["properties"]["hs_lastmodifieddate"]))
        page = _page(deals, body.get("after"), int(body.get("limit", 100)))
        page["total"] = len(deals)
        return page
