"""A local HubSpot: a real HTTP server in a thread speaking CRM v3/v4 response shapes, serving the
recorded records vendored in tests/data/hubspot/ (their source and licence: tests/data/SOURCES.md)."""

from __future__ import annotations

import json
import threading
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

RECORDS = Path(__file__).resolve().parents[1] / "data" / "hubspot"


def _load(name: str) -> list[dict]:
    return json.loads((RECORDS / name).read_text())["results"]


def _ms(value: str) -> float:
    if value.isdigit():
        return int(value) / 1000
    return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()


class MockHubSpot:
    def __init__(self, token: str, associations: dict[str, list[str]], throttle_first_search: bool = False):
        self.token = token
        self.contacts = _load("dlt_verified_sources_contacts_data.json")
        self.deals = _load("dlt_verified_sources_deals_data.json")
        self.associations = associations
        self.requests: list[dict] = []
        self.throttles_left = 1 if throttle_first_search else 0
        self.lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._server.shutdown()
        self._server.server_close()

    def update_deal(self, deal_id: str, **properties) -> str:
        now = datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")
        for deal in self.deals:
            if deal["id"] == deal_id:
                deal["properties"].update(properties, hs_lastmodifieddate=now)
                deal["updatedAt"] = now
                return now
        raise KeyError(deal_id)

    def searches(self) -> list[dict]:
        return [r for r in self.requests if r["path"].endswith("/search")]

    # -- HTTP -------------------------------------------------------------------------------
    def _page(self, items: list[dict], after: str | None, limit: int) -> dict:
        start = int(after or 0)
        page = items[start:start + limit]
        body: dict = {"results": page}
        if start + limit < len(items):
            body["paging"] = {"next": {"after": str(start + limit), "link": f"?after={start + limit}"}}
        return body

    def _handler(self):
        mock = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _send(self, status: int, body: dict, headers: dict | None = None):
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for key, value in (headers or {}).items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(data)

            def _authorised(self) -> bool:
                if self.headers.get("Authorization") != f"Bearer {mock.token}":
                    self._send(401, {"status": "error", "category": "INVALID_AUTHENTICATION",
                                     "message": "Authentication credentials not found."})
                    return False
                return True

            def do_GET(self):
                parts = urlsplit(self.path)
                query = {k: v[0] for k, v in parse_qs(parts.query).items()}
                with mock.lock:
                    mock.requests.append({"method": "GET", "path": parts.path, "query": query})
                if not self._authorised():
                    return
                limit = int(query.get("limit", 100))
                if parts.path == "/crm/v3/objects/contacts":
                    return self._send(200, mock._page(mock.contacts, query.get("after"), limit))
                pieces = parts.path.strip("/").split("/")
                # /crm/v4/objects/deals/{id}/associations/contacts
                if pieces[:4] == ["crm", "v4", "objects", "deals"] and pieces[5:] == ["associations", "contacts"]:
                    links = [{"toObjectId": int(c), "associationTypes": [
                        {"category": "HUBSPOT_DEFINED", "typeId": 3, "label": None}]}
                        for c in mock.associations.get(pieces[4], [])]
                    return self._send(200, mock._page(links, query.get("after"), limit))
                self._send(404, {"status": "error", "message": f"no route {parts.path}"})

            def do_POST(self):
                parts = urlsplit(self.path)
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
                with mock.lock:
                    mock.requests.append({"method": "POST", "path": parts.path, "body": body})
                    throttle = mock.throttles_left > 0 and parts.path.endswith("/search")
                    if throttle:
                        mock.throttles_left -= 1
                if throttle:
                    return self._send(429, {"status": "error", "errorType": "RATE_LIMIT",
                                            "message": "You have reached your secondly limit."}, {"Retry-After": "1"})
                if not self._authorised():
                    return
                if parts.path != "/crm/v3/objects/deals/search":
                    return self._send(404, {"status": "error", "message": f"no route {parts.path}"})
                deals = list(mock.deals)
                for group in body.get("filterGroups", []):
                    for f in group.get("filters", []):
                        assert f["propertyName"] == "hs_lastmodifieddate" and f["operator"] == "GTE", f
                        since = _ms(str(f["value"]))
                        deals = [d for d in deals if _ms(d["properties"]["hs_lastmodifieddate"]) >= since]
                deals.sort(key=lambda d: _ms(d["properties"]["hs_lastmodifieddate"]))
                page = mock._page(deals, body.get("after"), int(body.get("limit", 100)))
                page["total"] = len(deals)
                self._send(200, page)

        return Handler
