"""HubSpot through dlt's rest_api against a local mock HubSpot, and its signed webhooks."""

from __future__ import annotations

import json
import time

import pytest
import requests

from ingestion.collector.webhooks import signature_v3
from ingestion.sources.hubspot.pipeline import run_hubspot
from tests.integration.support import query, query_value, running_collector
from tests.mocks.hubspot import MockHubSpot

TOKEN = "pat-na1-test-token"
APP_SECRET = "hubspot-app-secret"
LINKS = {"6744192456": ["1"], "6744457152": ["51", "1"]}


@pytest.fixture(scope="module")
def env(exported_warehouse, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("hubspot")
    with MockHubSpot(TOKEN, LINKS, throttle_first_search=True) as hub:
        def run():
            return run_hubspot(str(tmp / "dlt"), api_key=TOKEN, base_url=hub.url, page_size=1)

        yield {"wh": exported_warehouse, "hub": hub, "run": run, "tmp": tmp}


def test_full_load_then_incremental_picks_only_changed_deals(env):
    hub, wh = env["hub"], env["wh"]
    env["run"]()
    assert hub.throttles_left == 0  # the 429 was answered and retried
    contact_pages = [r for r in hub.requests if r.path == "/crm/v3/objects/contacts"]
    assert [r.query.get("after") for r in contact_pages] == [None, "1"]  # cursor paging
    assert query(wh, "select id, email, firstname, createdate::text from raw.hubspot_contacts order by id") == [
        ("1", "emailmaria@hubspot.com", "Maria", "2023-02-24 03:00:13.46+00"),
        ("51", "bh@hubspot.com", "Brian", "2023-02-24 03:00:13.789+00"),
    ]
    assert query(wh, "select id, amount, dealstage, pipeline, closedate from raw.hubspot_deals order by id") == [
        ("6744192456", 500.0, "qualifiedtobuy", "default", None),
        ("6744457152", 3233.0, "qualifiedtobuy", "default", None),
    ]
    assert query(wh, "select deal_id, contact_id from raw.hubspot_deal_contact_associations order by 1, 2") == [
        ("6744192456", "1"), ("6744457152", "1"), ("6744457152", "51"),
    ]
    first_filter = hub.searches()[-1].json()["filterGroups"][0]["filters"][0]["value"]
    assert first_filter.startswith("1970-01-01")

    searches_before = len(hub.searches())
    changed_at = hub.update_deal("6744192456", dealstage="closedwon", closedate="2023-03-01T10:00:00Z", amount="750")
    info = env["run"]()
    new_searches = hub.searches()[searches_before:]
    # The cursor is the newest updatedAt of the first load; only the changed deal is new past it.
    assert new_searches[0].json()["filterGroups"][0]["filters"][0]["value"] == "2023-02-24T03:53:43.118Z"
    pipeline_rows = info.pipeline.last_trace.last_normalize_info.row_counts
    assert pipeline_rows.get("hubspot_deals") == 1
    assert query(wh, "select id, amount, dealstage, closedate::text, hs_lastmodifieddate from raw.hubspot_deals order by id")[0][:4] == (
        "6744192456", 750.0, "closedwon", "2023-03-01 10:00:00+00")
    assert query_value(wh, "select count(*) from raw.hubspot_deals") == 2
    assert query_value(wh, "select hs_lastmodifieddate from raw.hubspot_deals where id = '6744192456'").isoformat(
        timespec="milliseconds").replace("+00:00", "Z") == changed_at


def signed(url: str, body: bytes, secret: str = APP_SECRET, timestamp: int | None = None) -> dict:
    ts = str(timestamp if timestamp is not None else int(time.time() * 1000))
    return {"Content-Type": "application/json", "X-HubSpot-Request-Timestamp": ts,
            "X-HubSpot-Signature-v3": signature_v3(secret, "POST", url, body, ts)}


def test_webhook_signature_and_refresh(env):
    hub, wh = env["hub"], env["wh"]
    with running_collector(wh, env["tmp"], hubspot_app_secret=APP_SECRET, hubspot_refresh=env["run"]) as collector:
        url = collector.url + "/v1/webhooks/hubspot"
        hub.update_deal("6744457152", dealstage="closedlost", closedate="2023-03-02T09:00:00Z")
        event = [{"eventId": 1, "subscriptionType": "deal.propertyChange", "objectId": 6744457152,
                  "propertyName": "dealstage", "propertyValue": "closedlost", "occurredAt": 1715203101896}]
        body = json.dumps(event).encode()
        assert requests.post(url, data=body, headers=signed(url, body, secret="wrong"), timeout=10).status_code == 401
        stale = int(time.time() * 1000) - 6 * 60 * 1000
        assert requests.post(url, data=body, headers=signed(url, body, timestamp=stale), timeout=10).status_code == 401
        assert requests.post(url, data=body, timeout=10).status_code == 401
        tampered = requests.post(url, data=body.replace(b"closedlost", b"closedwon"), headers=signed(url, body), timeout=10)
        assert tampered.status_code == 401
        assert query_value(wh, "select dealstage from raw.hubspot_deals where id = '6744457152'") == "qualifiedtobuy"

        answer = requests.post(url, data=body, headers=signed(url, body), timeout=10)
        assert answer.status_code == 200 and answer.json() == {"events": 1, "refresh": True}
        deadline = time.monotonic() + 60
        while query_value(wh, "select dealstage from raw.hubspot_deals where id = '6744457152'") != "closedlost":
            assert time.monotonic() < deadline, "the webhook did not refresh the deal"
            time.sleep(0.2)

        # A contact property change is accepted but needs no deal refresh.
        other = json.dumps([{"subscriptionType": "contact.propertyChange", "propertyName": "email"}]).encode()
        assert requests.post(url, data=other, headers=signed(url, other), timeout=10).json() == {"events": 1, "refresh": False}


def test_dagster_job_syncs_with_the_token_from_dlt_secrets(env, monkeypatch):
    from orchestration.defs.hubspot.jobs import hubspot_sync_job
    from orchestration.defs.warehouse.resources import WarehouseResource

    monkeypatch.setenv("SOURCES__HUBSPOT__API_KEY", TOKEN)
    monkeypatch.setenv("SOURCES__HUBSPOT__BASE_URL", env["hub"].url)
    monkeypatch.setenv("OUTCOMELENS_WAREHOUSE_URL", env["wh"].url(hide_password=False))
    monkeypatch.setenv("OUTCOMELENS_DATA_DIR", str(env["tmp"] / "dagster_data"))
    before = len(env["hub"].requests)
    result = hubspot_sync_job.execute_in_process(resources={"warehouse": WarehouseResource()})
    assert result.success
    calls = env["hub"].requests[before:]
    assert calls and all(c.path.startswith("/crm/") for c in calls)
    # A fresh pipeline state means a full load: both deals come back and merge onto the same rows.
    assert query_value(env["wh"], "select count(*) from raw.hubspot_deals") == 2
    assert query_value(env["wh"], "select count(*) from raw.hubspot_contacts") == 2
