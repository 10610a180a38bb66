"""HubSpot sync benchmark: requests and wall time of a first and an incremental sync of a large portal.

Everything runs on this machine: the local HubSpot stand-in (tests/mocks/hubspot.py, a real HTTP server
speaking CRM v3/v4 and enforcing HubSpot's page sizes and search cap) with a generated portal, the
project's dlt source and pipeline (ingestion/sources/hubspot/), and a throwaway database on the local
Postgres (127.0.0.1:5432, or --warehouse-url), dropped at the end.

    .venv/bin/python benchmarks/hubspot_sync.py                         # 90,000 contacts, 18,600 deals, 1% changed
    .venv/bin/python benchmarks/hubspot_sync.py --contacts 9000 --deals 1860 --out /tmp/small.json

1. first sync: nothing loaded yet (list endpoints, batch association reads);
2. --changed of the contacts and of the deals are modified in the stand-in (a tenth of those deals
   also move to another contact), then the incremental sync (searches from dlt's cursors, batch reads
   of the changed deals' links);
3. checks: raw holds every object once, the changed values, and the moved deals' new contacts only.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
import uuid
from collections import Counter
from pathlib import Path

import psycopg2

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from ingestion.sources.hubspot.pipeline import run_hubspot  # noqa: E402
from outcomelens.core.warehouse import Warehouse  # noqa: E402
from tests.mocks.hubspot import MockHubSpot  # noqa: E402

TOKEN = "pat-na1-benchmark"
# HubSpot's private-app burst limit (Professional/Enterprise: about 190 requests per 10 s).
RATE_LIMIT_PER_S = 19.0
SEARCH_LIMIT_PER_S = 5.0  # HubSpot's separate limit for the search endpoints
EARLIER_FIRST_SYNC = {"requests": 19_689, "wall_s": 316.0}


def endpoint(path: str) -> str:
    if path.endswith("/batch/read"):
        return "association batch read"
    return ("search " if path.endswith("/search") else "list ") + path.split("/")[4]


def timed_sync(hub: MockHubSpot, wh: Warehouse, pipelines_dir: str) -> dict:
    before = len(hub.requests)
    started = time.monotonic()
    info = run_hubspot(pipelines_dir, credentials=wh.dlt_credentials(), api_key=TOKEN, base_url=hub.url)
    wall = time.monotonic() - started
    calls = hub.requests[before:]
    searches = sum(1 for r in calls if r.path.endswith("/search"))
    return {
        "wall_s": round(wall, 1),
        "requests": len(calls),
        "by_endpoint": dict(Counter(endpoint(r.path) for r in calls)),
        "rows": {k: v for k, v in info.pipeline.last_trace.last_normalize_info.row_counts.items() if not k.startswith("_dlt")},
        # The least time HubSpot's limits allow for these requests (both limits hold at once).
        "rate_limit_floor_s": round(max(len(calls) / RATE_LIMIT_PER_S, searches / SEARCH_LIMIT_PER_S), 1),
    }


def change_portal(hub: MockHubSpot, share: float) -> dict:
    contacts = list(hub.stores["contacts"].by_id)
    deals = list(hub.stores["deals"].by_id)
    changed_contacts = contacts[:: round(1 / share)]
    changed_deals = deals[:: round(1 / share)]
    for contact_id in changed_contacts:
        hub.update_contact(contact_id, email=f"changed.{contact_id}@example.com")
    moved = {}
    for n, deal_id in enumerate(changed_deals):
        hub.update_deal(deal_id, dealstage="closedwon", amount="123456")
        if n % 10 == 0:
            moved[deal_id] = str(int(hub.associations[deal_id][0]) % len(contacts) + 1)
            hub.set_deal_contacts(deal_id, [moved[deal_id]])
    return {"contacts": len(changed_contacts), "deals": len(changed_deals), "moved_deals": moved}


def check(conn, hub: MockHubSpot, changed: dict) -> dict:
    with conn.cursor() as cur:
        cur.execute("select count(*), count(distinct id) from raw.hubspot_contacts")
        contacts = cur.fetchone()
        cur.execute("select count(*), count(distinct id) from raw.hubspot_deals")
        deals = cur.fetchone()
        cur.execute("select count(*) from raw.hubspot_contacts where email like 'changed.%%'")
        changed_contacts = cur.fetchone()[0]
        cur.execute("select count(*) from raw.hubspot_deals where amount = 123456")
        changed_deals = cur.fetchone()[0]
        cur.execute("select deal_id, contact_id from raw.hubspot_deal_contact_associations where deal_id = any(%s)",
                    (list(changed["moved_deals"]),))
        moved = dict(cur.fetchall())
    result = {
        "contacts_once": contacts == (len(hub.stores["contacts"].records),) * 2,
        "deals_once": deals == (len(hub.stores["deals"].records),) * 2,
        "changed_contacts_seen": changed_contacts == changed["contacts"],
        "changed_deals_seen": changed_deals == changed["deals"],
        "moved_deals_only_new_contact": moved == changed["moved_deals"],
    }
    result["all_ok"] = all(result.values())
    return result


def throwaway(url: str | None) -> tuple[Warehouse, callable]:
    if url:
        return Warehouse.from_url(url), lambda: None
    name = f"bench_hubspot_{uuid.uuid4().hex[:8]}"
    admin = psycopg2.connect(host="127.0.0.1", port=5432, user="postgres", dbname="postgres")
    admin.autocommit = True
    admin.cursor().execute(f'create database "{name}"')

    def drop():
        admin.cursor().execute(f'drop database if exists "{name}" with (force)')
        admin.close()

    return Warehouse(host="127.0.0.1", port=5432, user="postgres", password="", database=name), drop


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--contacts", type=int, default=90_000)
    parser.add_argument("--deals", type=int, default=18_600)
    parser.add_argument("--changed", type=float, default=0.01, help="share of contacts and deals modified")
    parser.add_argument("--warehouse-url", help="a Postgres URL instead of a throwaway database")
    parser.add_argument("--out", default=str(ROOT / "benchmarks" / "hubspot_sync_results.json"))
    args = parser.parse_args()

    wh, drop = throwaway(args.warehouse_url)
    load_before = os.getloadavg()
    try:
        with MockHubSpot.portal(TOKEN, contacts=args.contacts, deals=args.deals) as hub, \
                tempfile.TemporaryDirectory() as pipelines_dir:
            first = timed_sync(hub, wh, pipelines_dir)
            print("first sync", json.dumps(first), flush=True)
            changed = change_portal(hub, args.changed)
            incremental = timed_sync(hub, wh, pipelines_dir)
            print("incremental sync", json.dumps(incremental), flush=True)
            with wh.connection() as conn:
                checks = check(conn, hub, changed)
    finally:
        drop()
    result = {
        "portal": {"contacts": args.contacts, "deals": args.deals},
        "changed": {k: v if k != "moved_deals" else len(v) for k, v in changed.items()},
        "first_sync": first,
        "incremental_sync": incremental,
        "earlier_first_sync": EARLIER_FIRST_SYNC,
        "checks": checks,
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform(), "load_average_before": load_before,
                    "load_average_after": os.getloadavg()},
    }
    Path(args.out).write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result["checks"]), "→", args.out)


if __name__ == "__main__":
    main()
