"""HubSpot CRM as a dlt source, declared with dlt's rest_api: contacts, deals, deal↔contact links.

- auth: a private-app token, `dlt.secrets.value` (env SOURCES__HUBSPOT__API_KEY), sent as Bearer;
- paging: HubSpot's cursor `paging.next.after` (query parameter for lists, body field for search);
- deals incrementally: POST /crm/v3/objects/deals/search filtered on hs_lastmodifieddate GTE the
  cursor dlt keeps (the largest hs_lastmodifieddate loaded); the boundary record comes back and dlt drops it;
- associations: GET /crm/v4/objects/deals/{id}/associations/contacts for each loaded deal;
- 429 and 5xx are retried by dlt's client with exponential backoff (honouring Retry-After);
- output flattened to the raw.hubspot_* shapes of docs/contracts.md, merged on their keys.
"""

from __future__ import annotations

from typing import Any

import dlt
from dlt.sources.rest_api import rest_api_resources

DEFAULT_BASE_URL = "https://api.hubapi.com"
EPOCH = "1970-01-01T00:00:00.000Z"

CONTACT_PROPERTIES = ("email", "firstname", "lastname", "createdate", "lastmodifieddate")
DEAL_PROPERTIES = ("dealname", "amount", "dealstage", "pipeline", "closedate", "createdate", "hs_lastmodifieddate")



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


def _blank_to_none(value: Any) -> Any:
    return None if value == "" else value


def flatten_contact(item: dict) -> dict:
    props = item.get("properties") or {}
    row = {name: _blank_to_none(props.get(name)) for name in CONTACT_PROPERTIES}
    row["id"] = str(item["id"])
    row["createdate"] = row["createdate"] or item.get("createdAt")
    row["lastmodifieddate"] = row["lastmodifieddate"] or item.get("updatedAt")
    return row


def flatten_deal(item: dict) -> dict:
    props = item.get("properties") or {}
    row = {name: _blank_to_none(props.get(name)) for name in DEAL_PROPERTIES}
    row["id"] = str(item["id"])
    row["amount"] = float(row["amount"]) if row["amount"] is not None else None
    row["createdate"] = row["createdate"] or item.get("createdAt")
    row["hs_lastmodifieddate"] = row["hs_lastmodifieddate"] or item.get("updatedAt")
    return row


def flatten_association(item: dict) -> dict:
    return {"deal_id": str(item["_hubspot_deals_id"]), "contact_id": str(item["toObjectId"])}


@dlt.source(name="hubspot", max_table_nesting=0)
def hubspot_source(
    api_key: str = dlt.secrets.value,
    base_url: str = DEFAULT_BASE_URL,
    page_size: int = 100,
    deals_modified_since: str = EPOCH,
):
    cursor_paging = {"type": "cursor", "cursor_path": "paging.next.after", "cursor_param": "after"}
    config = {
        "client": {"base_url": base_url.rstrip("/") + "/", "auth": {"type": "bearer", "token": api_key},
                   "paginator": cursor_paging},
        "resource_defaults": {
            "write_disposition": "merge",
            "endpoint": {"data_selector": "results"},
        },
        "resources": [
            {
                "name": "hubspot_contacts",
                "primary_key": "id",
                "columns": CONTACT_COLUMNS,
                "endpoint": {
                    "path": "crm/v3/objects/contacts",
                    "params": {"limit": page_size, "properties": ",".join(CONTACT_PROPERTIES), "archived": "false"},
                },
                "processing_steps": [{"map": flatten_contact}],
            },
            {
                "name": "hubspot_deals",
                "primary_key": "id",
                "columns": DEAL_COLUMNS,
                "endpoint": {
                    "path": "crm/v3/objects/deals/search",
                    "method": "POST",
                    "json": {
                        "filterGroups": [{"filters": [{
                            "propertyName": "hs_lastmodifieddate", "operator": "GTE",
                            "value": "{incremental.start_value}",
                        }]}],
                        "sorts": [{"propertyName": "hs_lastmodifieddate", "direction": "ASCENDING"}],
                        "properties": list(DEAL_PROPERTIES),
                        "limit": page_size,
                    },
                    "paginator": {"type": "cursor", "cursor_path": "paging.next.after", "cursor_body_path": "after"},
                    "incremental": {"cursor_path": "hs_lastmodifieddate", "initial_value": deals_modified_since},
                },
                "processing_steps": [{"map": flatten_deal}],
            },
            {
                "name": "hubspot_deal_contact_associations",
                "primary_key": ["deal_id", "contact_id"],
                "columns": ASSOCIATION_COLUMNS,
                "endpoint": {
                    "path": "crm/v4/objects/deals/{resources.hubspot_deals.id}/associations/contacts",
                    "params": {"limit": 500},
                },
                "include_from_parent": ["id"],
                "processing_steps": [{"map": flatten_association}],
            },
        ],
    }
    yield from rest_api_resources(config)
