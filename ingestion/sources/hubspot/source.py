"""HubSpot CRM as a dlt source: contacts, deals, deal↔contact links, each read incrementally.

- auth: a private-app token, `dlt.secrets.value` (env SOURCES__HUBSPOT__API_KEY), sent as Bearer by dlt's
  RESTClient, whose session retries 429 and 5xx with exponential backoff (honouring Retry-After);
- contacts and deals: the first load pages the list endpoint (GET /crm/v3/objects/{type}, `after`
  cursor), which has no cap; later loads search (POST /crm/v3/objects/{type}/search) for objects whose
  modification time is GTE dlt's cursor (the largest one loaded; the boundary records come back and dlt
  drops the unchanged ones). GTE, not GT: HubSpot's timestamps are milliseconds, and an object changed
  in the same millisecond as the cursor after the last sync would be missed by GT;
- search returns at most 10,000 results per query and answers 400 past them, so it is never paged with
  `after`: each page is a new query sorted by hs_object_id with `hs_object_id GT` the last id seen
  (keyset paging), however many objects changed;
- links: POST /crm/v4/associations/deals/contacts/batch/read for the deals read in this load, 1,000
  ids a request; a deal's links replace its earlier ones (dlt's delete-insert merge on deal_id), and a
  deal left with no contact gets a tombstone row that deletes its old links and is not inserted;
- output flattened to the raw.hubspot_* shapes of docs/contracts.md, merged on their keys.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime, timezone
from typing import Any

import dlt
from dlt.sources.helpers.rest_client import RESTClient
from dlt.sources.helpers.rest_client.auth import BearerTokenAuth
from dlt.sources.helpers.rest_client.paginators import JSONResponseCursorPaginator

DEFAULT_BASE_URL = "https://api.hubapi.com"
EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
LIST_PAGE_SIZE = 100  # the most the list endpoint returns a page
SEARCH_PAGE_SIZE = 200  # the most the search endpoint returns a page
ASSOCIATION_BATCH_SIZE = 1_000  # the most ids one association batch read takes

CONTACT_PROPERTIES = ("email", "firstname", "lastname", "createdate", "lastmodifieddate")
DEAL_PROPERTIES = ("dealname", "amount", "dealstage", "pipeline", "closedate", "createdate", "hs_lastmodifieddate")
# The property each object type keeps its modification time in (search filters on it).
MODIFIED_PROPERTY = {"contacts": "lastmodifieddate", "deals": "hs_lastmodifieddate"}


def _ts() -> dict:
    # A fresh dict each time: dlt writes the column name into the hint it is given.
    return {"data_type": "timestamp", "timezone": True}


CONTACT_COLUMNS = {
    "id": {"data_type": "text", "nullable": False}, "email": {"data_type": "text"},
    "firstname": {"data_type": "text"}, "lastname": {"data_type": "text"},
    "createdate": _ts(), "lastmodifieddate": _ts(),
}
DEAL_COLUMNS = {
    "id": {"data_type": "text", "nullable": False}, "dealname": {"data_type": "text"},
    "amount": {"data_type": "double"}, "dealstage": {"data_type": "text"}, "pipeline": {"data_type": "text"},
    "closedate": _ts(), "createdate": _ts(), "hs_lastmodifieddate": _ts(),
}
ASSOCIATION_COLUMNS = {"deal_id": {"data_type": "text", "nullable": False}, "contact_id": {"data_type": "text", "nullable": False}}
# dlt's hard-delete marker: a row with it set deletes the deal's links and is itself not inserted, so the
# column stays NULL in raw. Kept out of ASSOCIATION_COLUMNS, which the contract test compares with the contract.
UNLINKED = "_hubspot_unlinked"
UNLINKED_COLUMN = {UNLINKED: {"data_type": "bool", "nullable": True, "hard_delete": True}}


def _blank_to_none(value: Any) -> Any:
    return None if value == "" else value


def _parse_time(value: str | None) -> datetime | None:
    if value is None:
        return None
    if value.isdigit():  # HubSpot sends some datetime properties as epoch milliseconds
        return datetime.fromtimestamp(int(value) / 1000, tz=timezone.utc)
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def _hubspot_time(value: datetime) -> str:
    return value.astimezone(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def flatten_contact(item: dict) -> dict:
    props = item.get("properties") or {}
    row = {name: _blank_to_none(props.get(name)) for name in CONTACT_PROPERTIES}
    row["id"] = str(item["id"])
    row["createdate"] = _parse_time(row["createdate"] or item.get("createdAt"))
    row["lastmodifieddate"] = _parse_time(row["lastmodifieddate"] or item.get("updatedAt"))
    return row


def flatten_deal(item: dict) -> dict:
    props = item.get("properties") or {}
    row = {name: _blank_to_none(props.get(name)) for name in DEAL_PROPERTIES}
    row["id"] = str(item["id"])
    row["amount"] = float(row["amount"]) if row["amount"] is not None else None
    row["closedate"] = _parse_time(row["closedate"])
    row["createdate"] = _parse_time(row["createdate"] or item.get("createdAt"))
    row["hs_lastmodifieddate"] = _parse_time(row["hs_lastmodifieddate"] or item.get("updatedAt"))
    return row


def association_rows(deal_ids: list[str], results: list[dict]) -> list[dict]:
    """Rows for one batch read: a row per deal × contact, and a tombstone for each deal with none."""
    rows = [{"deal_id": str(r["from"]["id"]), "contact_id": str(to["toObjectId"])}
            for r in results for to in r.get("to", [])]
    linked = {row["deal_id"] for row in rows}
    rows += [{"deal_id": d, "contact_id": "", UNLINKED: True} for d in deal_ids if d not in linked]
    return rows


def chunked(pages: Iterable[list[dict]], size: int) -> Iterator[list[dict]]:
    """Pages regrouped into lists of `size` rows (the last one shorter)."""
    buffer: list[dict] = []
    for page in pages:
        buffer.extend(page)
        while len(buffer) >= size:
            yield buffer[:size]
            buffer = buffer[size:]
    if buffer:
        yield buffer


class HubSpotCrm:
    """The CRM endpoints the source reads, through dlt's RESTClient."""

    def __init__(self, api_key: str, base_url: str):
        self.client = RESTClient(base_url=base_url.rstrip("/") + "/", auth=BearerTokenAuth(api_key))

    def list_all(self, object_type: str, properties: tuple[str, ...]) -> Iterator[list[dict]]:
        """Every (unarchived) object, a page at a time; the list endpoint has no result cap."""
        yield from self.client.paginate(
            f"crm/v3/objects/{object_type}",
            params={"limit": LIST_PAGE_SIZE, "properties": ",".join(properties), "archived": "false"},
            paginator=JSONResponseCursorPaginator(cursor_path="paging.next.after", cursor_param="after"),
            data_selector="results",
        )

    def modified_since(self, object_type: str, properties: tuple[str, ...], since: datetime) -> Iterator[list[dict]]:
        """Objects modified at or after `since`, a page at a time, keyset-paged on hs_object_id so that no
        query goes past search's 10,000-result cap."""
        last_id = "0"
        while True:
            body = {
                "filterGroups": [{"filters": [
                    {"propertyName": MODIFIED_PROPERTY[object_type], "operator": "GTE", "value": _hubspot_time(since)},
                    {"propertyName": "hs_object_id", "operator": "GT", "value": last_id},
                ]}],
                "sorts": [{"propertyName": "hs_object_id", "direction": "ASCENDING"}],
                "properties": list(properties),
                "limit": SEARCH_PAGE_SIZE,
            }
            page = self.client.post(f"crm/v3/objects/{object_type}/search", json=body)
            page.raise_for_status()
            results = page.json()["results"]
            if results:
                yield results
            if len(results) < SEARCH_PAGE_SIZE:
                return
            last_id = str(results[-1]["id"])

    def deal_contacts(self, deal_ids: list[str]) -> list[dict]:
        """v4 batch read: each deal's contacts (`results[].from.id`, `results[].to[].toObjectId`); a deal
        with no contact is left out of `results` (HubSpot answers 207 and names it in `errors`)."""
        inputs: list[dict] = [{"id": d} for d in deal_ids]
        results: list[dict] = []
        while inputs:
            answer = self.client.post("crm/v4/associations/deals/contacts/batch/read", json={"inputs": inputs})
            answer.raise_for_status()
            page = answer.json().get("results", [])
            results += page
            # A deal with more links than one answer holds carries its own cursor.
            inputs = [{"id": str(r["from"]["id"]), "after": r["paging"]["next"]["after"]}
                      for r in page if (r.get("paging") or {}).get("next")]
        return results


def _objects(crm: HubSpotCrm, object_type: str, properties: tuple[str, ...], cursor) -> Iterator[list[dict]]:
    # Nothing loaded yet and no start given: the full load, from the list endpoint.
    if cursor.start_value <= EPOCH:
        return crm.list_all(object_type, properties)
    return crm.modified_since(object_type, properties, cursor.start_value)


@dlt.source(name="hubspot", max_table_nesting=0)
def hubspot_source(
    api_key: str = dlt.secrets.value,
    base_url: str = DEFAULT_BASE_URL,
    modified_since: datetime = EPOCH,
):
    crm = HubSpotCrm(api_key, base_url)

    @dlt.resource(name="hubspot_contacts", primary_key="id", write_disposition="merge", columns=CONTACT_COLUMNS)
    def contacts(cursor=dlt.sources.incremental("lastmodifieddate", initial_value=modified_since)):
        for page in _objects(crm, "contacts", CONTACT_PROPERTIES, cursor):
            yield [flatten_contact(item) for item in page]

    @dlt.resource(name="hubspot_deals", primary_key="id", write_disposition="merge", columns=DEAL_COLUMNS)
    def deals(cursor=dlt.sources.incremental("hs_lastmodifieddate", initial_value=modified_since)):
        # In groups of a batch read's size, so that the links transformer sends full batches.
        pages = ([flatten_deal(item) for item in page] for page in _objects(crm, "deals", DEAL_PROPERTIES, cursor))
        yield from chunked(pages, ASSOCIATION_BATCH_SIZE)

    @dlt.transformer(
        data_from=deals, name="hubspot_deal_contact_associations", primary_key=("deal_id", "contact_id"),
        merge_key="deal_id", write_disposition={"disposition": "merge", "strategy": "delete-insert"},
        columns={**ASSOCIATION_COLUMNS, **UNLINKED_COLUMN},
    )
    def deal_contact_associations(deal_rows: list[dict]):
        deal_ids = [row["id"] for row in deal_rows]
        for start in range(0, len(deal_ids), ASSOCIATION_BATCH_SIZE):
            batch = deal_ids[start:start + ASSOCIATION_BATCH_SIZE]
            yield association_rows(batch, crm.deal_contacts(batch))

    return contacts, deals, deal_contact_associations
