"""A local HubSpot: a real HTTP server in a thread speaking CRM v3/v4 response shapes, serving the
recorded records vendored in tests/data/hubspot/ (their source and licence: tests/data/SOURCES.md), or
a generated portal of any size.

What it enforces as HubSpot does: Bearer auth; page sizes (list ≤ 100, search ≤ 200, batch read ≤ 1,000
ids); search's 10,000-result cap (a page past it is a 400 VALIDATION_ERROR); a 207 with `errors` for
deals without contacts in a v4 batch read. Changing a deal's contacts moves its hs_lastmodifieddate, as
HubSpot's recalculated `num_associated_contacts` does.
"""

from __future__ import annotations

import bisect
import json
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

from tests.mocks.server import MockServer, Reply, Request

RECORDS = Path(__file__).resolve().parents[1] / "data" / "hubspot"
UNAUTHORISED = {"status": "error", "category": "INVALID_AUTHENTICATION", "message": "Authentication credentials not found."}
RATE_LIMITED = {"status": "error", "errorType": "RATE_LIMIT", "message": "You have reached your secondly limit."}
SEARCH_CAP = 10_000
MAX_PAGE = {"list": 100, "search": 200, "batch": 1_000}
MODIFIED = {"contacts": "lastmodifieddate", "deals": "hs_lastmodifieddate"}
# GET /account-info/v3/details as HubSpot documents it (what "test connection" calls).
ACCOUNT_INFO = {"portalId": 62515, "accountType": "STANDARD", "timeZone": "US/Eastern", "companyCurrency": "USD",
                "additionalCurrencies": [], "utcOffset": "-05:00", "utcOffsetMilliseconds": -18000000,
                "uiDomain": "app.hubspot.com", "dataHostingLocation": "na1"}


def _load(name: str) -> list[dict]:
    return json.loads((RECORDS / name).read_text())["results"]


def _ms(value: str) -> int:
    if value.isdigit():
        return int(value)
    return round(datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp() * 1000)


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _now() -> str:
    return _iso(datetime.now(timezone.utc))


def _error(status: int, message: str, category: str = "VALIDATION_ERROR") -> Reply:
    return status, {"status": "error", "message": message, "correlationId": str(uuid.uuid4()), "category": category}


def _page(items: list[dict], after: str | None, limit: int) -> dict:
    start = int(after or 0)
    body: dict = {"results": items[start:start + limit]}
    if start + limit < len(items):
        body["paging"] = {"next": {"after": str(start + limit), "link": f"?after={start + limit}"}}
    return body


class CrmStore:
    """One object type's records, kept sorted by id, with each one's modification time in ms."""

    def __init__(self, object_type: str, records: list[dict]):
        self.modified_property = MODIFIED[object_type]
        self.records = sorted(records, key=lambda r: int(r["id"]))
        self.ids = [int(r["id"]) for r in self.records]
        self.by_id = {r["id"]: r for r in self.records}

    def modified_ms(self, record: dict) -> int:
        return _ms(record["properties"][self.modified_property])

    def touch(self, object_id: str, **properties) -> str:
        record = self.by_id[object_id]
        now = _now()
        record["properties"].update(properties, **{self.modified_property: now})
        record["updatedAt"] = now
        return now

    def after_id(self, last_id: int) -> list[dict]:
        return self.records[bisect.bisect_right(self.ids, last_id):]


def _keep(store: CrmStore, record: dict, f: dict) -> bool:
    name, operator, value = f["propertyName"], f["operator"], str(f["value"])
    if name == "hs_object_id":
        actual, wanted = int(record["id"]), int(value)
    elif name == store.modified_property:
        actual, wanted = store.modified_ms(record), _ms(value)
    else:
        raise AssertionError(f"the mock filters on hs_object_id or {store.modified_property}, not {name}")
    return {"GT": actual > wanted, "GTE": actual >= wanted, "LT": actual < wanted, "LTE": actual <= wanted,
            "EQ": actual == wanted}[operator]


def generated_portal(contacts: int, deals: int, start: datetime | None = None) -> tuple[list, list, dict]:
    """A portal of `contacts` and `deals` (ids from 1 and from 10,000,001), modified one second apart,
    deal i linked to contact i mod `contacts` (+1)."""
    start = start or datetime(2024, 1, 1, tzinfo=timezone.utc)
    people = []
    for i in range(1, contacts + 1):
        at = _iso(start + timedelta(seconds=i))
        people.append({"id": str(i), "createdAt": at, "updatedAt": at, "archived": False, "properties": {
            "email": f"contact{i}@example.com", "firstname": f"First{i}", "lastname": f"Last{i}",
            "createdate": at, "lastmodifieddate": at, "hs_object_id": str(i)}})
    sales, links = [], {}
    for i in range(deals):
        deal_id, at = str(10_000_001 + i), _iso(start + timedelta(seconds=i))
        sales.append({"id": deal_id, "createdAt": at, "updatedAt": at, "archived": False, "properties": {
            "dealname": f"Deal {i}", "amount": str(100 + i % 900), "dealstage": "closedwon" if i % 3 == 0 else
            "appointmentscheduled", "pipeline": "default", "closedate": at if i % 3 == 0 else None,
            "createdate": at, "hs_lastmodifieddate": at, "hs_object_id": deal_id}})
        links[deal_id] = [str(i % contacts + 1)]
    return people, sales, links


class MockHubSpot(MockServer):
    def __init__(self, token: str, associations: dict[str, list[str]], throttle_first_search: bool = False,
                 contacts: list[dict] | None = None, deals: list[dict] | None = None):
        self.token = token
        self.stores = {
            "contacts": CrmStore("contacts", contacts or _load("dlt_verified_sources_contacts_data.json")),
            "deals": CrmStore("deals", deals or _load("dlt_verified_sources_deals_data.json")),
        }
        self.associations = associations
        self.throttles_left = 1 if throttle_first_search else 0
        super().__init__()

    @classmethod
    def portal(cls, token: str, contacts: int, deals: int) -> MockHubSpot:
        people, sales, links = generated_portal(contacts, deals)
        return cls(token, links, contacts=people, deals=sales)

    # -- changes, as a HubSpot user makes them -------------------------------------------------
    def update_deal(self, deal_id: str, **properties) -> str:
        return self.stores["deals"].touch(deal_id, **properties)

    def update_contact(self, contact_id: str, **properties) -> str:
        return self.stores["contacts"].touch(contact_id, **properties)

    def set_deal_contacts(self, deal_id: str, contact_ids: list[str]) -> str:
        with self.lock:
            self.associations[deal_id] = list(contact_ids)
        return self.update_deal(deal_id)

    # -- what was asked ------------------------------------------------------------------------
    def searches(self, object_type: str = "deals") -> list[Request]:
        return [r for r in self.requests if r.path == f"/crm/v3/objects/{object_type}/search"]

    def batch_reads(self) -> list[Request]:
        return [r for r in self.requests if r.path.endswith("/batch/read")]

    # -- HTTP -------------------------------------------------------------------------------
    def answer(self, request: Request) -> Reply:
        # The rate limit comes before authentication, as HubSpot's own does.
        if request.method == "POST" and request.path.endswith("/search") and self._take_throttle():
            return 429, RATE_LIMITED, {"Retry-After": "1"}
        if request.headers.get("Authorization") != f"Bearer {self.token}":
            return 401, UNAUTHORISED
        if request.method == "GET" and request.path == "/account-info/v3/details":
            return 200, ACCOUNT_INFO
        pieces = request.path.strip("/").split("/")
        if request.method == "GET" and pieces[:3] == ["crm", "v3", "objects"] and len(pieces) == 4 and pieces[3] in self.stores:
            return self._list(self.stores[pieces[3]], request.query)
        if request.method == "POST" and pieces[:3] == ["crm", "v3", "objects"] and pieces[4:] == ["search"] \
                and pieces[3] in self.stores:
            return self._search(self.stores[pieces[3]], request.json())
        if request.method == "POST" and request.path == "/crm/v4/associations/deals/contacts/batch/read":
            return self._batch_read(request.json())
        return 404, {"status": "error", "message": f"no route {request.method} {request.path}"}

    def _take_throttle(self) -> bool:
        with self.lock:
            if self.throttles_left > 0:
                self.throttles_left -= 1
                return True
        return False

    def _list(self, store: CrmStore, query: dict[str, str]) -> Reply:
        limit = int(query.get("limit", 10))
        if limit > MAX_PAGE["list"]:
            return _error(400, f"limit must be at most {MAX_PAGE['list']}")
        return 200, _page(store.records, query.get("after"), limit)

    def _search(self, store: CrmStore, body: dict) -> Reply:
        limit, after = int(body.get("limit", 10)), int(body.get("after") or 0)
        if limit > MAX_PAGE["search"]:
            return _error(400, f"limit must be at most {MAX_PAGE['search']}")
        if after + limit > SEARCH_CAP:
            return _error(400, f"Search results are limited to {SEARCH_CAP} records; page {after}+{limit} is past them")
        groups = body.get("filterGroups") or [{"filters": []}]
        found = [r for r in store.records if any(all(_keep(store, r, f) for f in g["filters"]) for g in groups)]
        for sort in body.get("sorts", []):
            key = (lambda r: int(r["id"])) if sort["propertyName"] == "hs_object_id" else store.modified_ms
            found.sort(key=key, reverse=sort.get("direction") == "DESCENDING")
        page = _page(found, str(after), limit)
        page["total"] = len(found)
        return 200, page

    def _batch_read(self, body: dict) -> Reply:
        inputs = body.get("inputs") or []
        if len(inputs) > MAX_PAGE["batch"]:
            return _error(400, f"inputs may hold at most {MAX_PAGE['batch']} ids")
        results, missing = [], []
        for entry in inputs:
            links = [{"toObjectId": int(c), "associationTypes": [
                {"category": "HUBSPOT_DEFINED", "typeId": 3, "label": None}]}
                for c in self.associations.get(str(entry["id"]), [])]
            if not links:
                missing.append(str(entry["id"]))
                continue
            page = _page(links, entry.get("after"), 500)
            results.append({"from": {"id": str(entry["id"])}, "to": page["results"], **(
                {"paging": page["paging"]} if "paging" in page else {})})
        now = _now()
        answer = {"status": "COMPLETE", "results": results, "startedAt": now, "completedAt": now}
        if not missing:
            return 200, answer
        answer["numErrors"] = len(missing)
        answer["errors"] = [{"status": "error", "category": "OBJECT_NOT_FOUND",
                             "subCategory": "crm.associations.NO_ASSOCIATIONS_FOUND",
                             "context": {"fromObjectId": [d]}, "message": f"No contact is associated with deal {d}."}
                            for d in missing]
        return 207, answer
