"""HubSpot through dlt against a local mock HubSpot: full then incremental loads, batch association
reads, search's 10,000-result cap, removed links through dbt, and signed webhooks turned into Dagster runs."""

from __future__ import annotations

import json
import time
from datetime import datetime, timezone

import dagster as dg
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import requests
from cryptography.fernet import Fernet

from accounts.governance import store_hubspot_token
from ingestion.collector.webhooks import signature_v3
from ingestion.demo.parquet_parts import DEMO_KEY
from ingestion.demo.schemas import SCHEMAS
from ingestion.sources.hubspot.pipeline import run_hubspot
from outcomelens.core import keyring
from tests.integration.support import NEEDS_DBT, dlt_load, query, query_value, running_collector, throwaway_database
from tests.mocks.hubspot import MockHubSpot

TOKEN = "pat-na1-test-token"
APP_SECRET = "hubspot-app-secret"
LINKS = {"6744192456": ["1"], "6744457152": ["51", "1"]}

pytestmark = NEEDS_DBT


@pytest.fixture(scope="module")
def env(exported_warehouse, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("hubspot")
    with MockHubSpot(TOKEN, {k: list(v) for k, v in LINKS.items()}, throttle_first_search=True) as hub:
        def run():
            return run_hubspot(str(tmp / "dlt"), api_key=TOKEN, base_url=hub.url)

        yield {"wh": exported_warehouse, "hub": hub, "run": run, "tmp": tmp}


def links(wh, deal_id: str | None = None) -> list[tuple]:
    where = "" if deal_id is None else f"where deal_id = '{deal_id}'"
    return query(wh, f"select deal_id, contact_id from raw.hubspot_deal_contact_associations {where} order by 1, 2")


def test_full_load_then_incremental_picks_only_changed_objects(env):
    hub, wh = env["hub"], env["wh"]
    env["run"]()
    # The full load: the list endpoints (no result cap), then one batch read for both deals' links.
    assert [(r.method, r.path) for r in hub.requests] == [
        ("GET", "/crm/v3/objects/contacts"), ("GET", "/crm/v3/objects/deals"),
        ("POST", "/crm/v4/associations/deals/contacts/batch/read")]
    assert hub.batch_reads()[0].json() == {"inputs": [{"id": "6744192456"}, {"id": "6744457152"}]}
    assert query(wh, "select id, email, firstname, createdate::text from raw.hubspot_contacts order by id") == [
        ("1", "emailmaria@hubspot.com", "Maria", "2023-02-24 03:00:13.46+00"),
        ("51", "bh@hubspot.com", "Brian", "2023-02-24 03:00:13.789+00"),
    ]
    assert query(wh, "select id, amount, dealstage, pipeline, closedate from raw.hubspot_deals order by id") == [
        ("6744192456", 500.0, "qualifiedtobuy", "default", None),
        ("6744457152", 3233.0, "qualifiedtobuy", "default", None),
    ]
    assert links(wh) == [("6744192456", "1"), ("6744457152", "1"), ("6744457152", "51")]

    before = len(hub.requests)
    changed_at = hub.update_deal("6744192456", dealstage="closedwon", closedate="2023-03-01T10:00:00Z", amount="750")
    hub.update_contact("51", email="brian@example.com")
    info = env["run"]()
    assert hub.throttles_left == 0  # the 429 on the first search was answered and retried
    searches = [r for r in hub.requests[before:] if r.path.endswith("/search")]
    # Each type searched from its own cursor: the newest modification time of the first load.
    assert [(r.path, r.json()["filterGroups"][0]["filters"][0]["value"]) for r in searches[-2:]] == [
        ("/crm/v3/objects/contacts/search", "2023-02-24T14:07:59.929Z"),
        ("/crm/v3/objects/deals/search", "2023-02-24T03:53:43.118Z"),
    ]
    rows = info.pipeline.last_trace.last_normalize_info.row_counts
    assert (rows.get("hubspot_deals"), rows.get("hubspot_contacts")) == (1, 1)
    assert hub.batch_reads()[-1].json() == {"inputs": [{"id": "6744192456"}]}  # links of the changed deal only
    assert query(wh, "select id, amount, dealstage, closedate::text from raw.hubspot_deals order by id")[0] == (
        "6744192456", 750.0, "closedwon", "2023-03-01 10:00:00+00")
    assert query_value(wh, "select email from raw.hubspot_contacts where id = '51'") == "brian@example.com"
    assert query_value(wh, "select count(*) from raw.hubspot_deals") == 2
    assert query_value(wh, "select hs_lastmodifieddate from raw.hubspot_deals where id = '6744192456'").isoformat(
        timespec="milliseconds").replace("+00:00", "Z") == changed_at


def test_removed_links_leave_raw(env):
    hub, wh = env["hub"], env["wh"]
    hub.set_deal_contacts("6744457152", ["51"])
    env["run"]()
    assert links(wh, "6744457152") == [("6744457152", "51")]
    hub.set_deal_contacts("6744457152", [])  # the batch read answers 207 and names the deal in `errors`
    env["run"]()
    assert links(wh, "6744457152") == []
    assert links(wh, "6744192456") == [("6744192456", "1")]  # not re-read, kept
    hub.set_deal_contacts("6744457152", ["51", "1"])
    env["run"]()
    assert links(wh, "6744457152") == [("6744457152", "1"), ("6744457152", "51")]


def test_search_past_10000_results_is_refused_and_big_portals_sync(tmp_path):
    with MockHubSpot.portal(TOKEN, contacts=200, deals=10_050) as hub, throwaway_database("hubspot_big") as wh:
        auth = {"Authorization": f"Bearer {TOKEN}"}
        past = requests.post(f"{hub.url}/crm/v3/objects/deals/search", json={"limit": 200, "after": "10000"},
                             headers=auth, timeout=10)
        assert past.status_code == 400 and past.json()["category"] == "VALIDATION_ERROR"
        assert "10000" in past.json()["message"] and past.json()["correlationId"]

        def run():
            return run_hubspot(str(tmp_path / "dlt"), credentials=wh.dlt_credentials(), api_key=TOKEN, base_url=hub.url)

        run()
        assert query(wh, "select count(*), min(id), max(id) from raw.hubspot_deals") == [(10_050, "10000001", "10010050")]
        assert query_value(wh, "select count(*) from raw.hubspot_deal_contact_associations") == 10_050
        assert len(hub.batch_reads()) == 11  # 10,050 deals, 1,000 a batch
        # Every deal changes: the incremental search must bring back more than 10,000 of them.
        for deal_id in list(hub.stores["deals"].by_id)[:10_050]:
            hub.update_deal(deal_id, dealstage="closedlost")
        before = len(hub.requests)
        info = run()
        assert info.pipeline.last_trace.last_normalize_info.row_counts["hubspot_deals"] == 10_050
        assert query_value(wh, "select count(*) from raw.hubspot_deals where dealstage = 'closedlost'") == 10_050
        assert all(r.json().get("after") is None for r in hub.searches()[-51:])  # keyset paging, never `after`
        assert len(hub.requests) - before == 1 + 51 + 11  # contacts search, deals 200 a page, batch reads


def test_webhook_requests_one_dagster_sync_at_a_time(env, monkeypatch):
    from orchestration.defs.hubspot.jobs import hubspot_sync_job
    from orchestration.defs.hubspot.sensors import hubspot_sync_on_webhook
    from orchestration.defs.warehouse.resources import WarehouseResource

    hub, wh = env["hub"], env["wh"]
    with running_collector(wh, env["tmp"], hubspot_app_secret=APP_SECRET) as collector:
        url = collector.url + "/v1/webhooks/hubspot"
        event = [{"eventId": 1, "subscriptionType": "deal.propertyChange", "objectId": 6744457152,
                  "propertyName": "dealstage", "propertyValue": "closedlost", "occurredAt": 1715203101896}]
        body = json.dumps(event).encode()
        assert requests.post(url, data=body, headers=signed(url, body, secret="wrong"), timeout=10).status_code == 401
        stale = int(time.time() * 1000) - 6 * 60 * 1000
        assert requests.post(url, data=body, headers=signed(url, body, timestamp=stale), timeout=10).status_code == 401
        assert requests.post(url, data=body, timeout=10).status_code == 401
        tampered = requests.post(url, data=body.replace(b"closedlost", b"closedwon"), headers=signed(url, body), timeout=10)
        assert tampered.status_code == 401
        assert query_value(wh, "select count(*) from ops.hubspot_sync_requests") == 0

        for _ in range(2):
            answer = requests.post(url, data=body, headers=signed(url, body), timeout=10)
            assert answer.status_code == 200 and answer.json() == {"events": 1, "sync_requested": True}
        other = json.dumps([{"subscriptionType": "deal.propertyChange", "propertyName": "description"}]).encode()
        assert requests.post(url, data=other, headers=signed(url, other), timeout=10).json() == {
            "events": 1, "sync_requested": False}
    assert query(wh, "select events, subscriptions from ops.hubspot_sync_requests") == [
        (1, "deal.propertyChange"), (1, "deal.propertyChange")]

    # No SOURCES__HUBSPOT__API_KEY: the token an admin saved through the governance API is the one used.
    monkeypatch.delenv("SOURCES__HUBSPOT__API_KEY", raising=False)
    monkeypatch.setenv(keyring.MASTER_KEY_ENV, Fernet.generate_key().decode())
    with wh.connection() as conn, conn.cursor() as cur:
        store_hubspot_token(cur, keyring.fernet(), TOKEN, "admin@example.com")
    monkeypatch.setenv("SOURCES__HUBSPOT__BASE_URL", env["hub"].url)
    monkeypatch.setenv("OUTCOMELENS_WAREHOUSE_URL", wh.url(hide_password=False))
    monkeypatch.setenv("OUTCOMELENS_DATA_DIR", str(env["tmp"] / "dagster_data"))
    resources = {"warehouse": WarehouseResource()}
    with dg.instance_for_test() as instance:
        def tick(cursor=None):
            context = dg.build_sensor_context(instance=instance, cursor=cursor, resources=resources)
            return hubspot_sync_on_webhook(context), context.cursor

        request, cursor = tick()
        assert isinstance(request, dg.RunRequest)  # two webhooks, one run
        assert (tick(cursor)[0].skip_message, cursor) == ("no HubSpot webhook asked for a sync", "2")
        assert query_value(wh, "select count(*) from ops.hubspot_sync_requests") == 0

        # A webhook while that run is in progress waits for it, then gets a run of its own.
        run = instance.create_run_for_job(hubspot_sync_job, tags=request.tags, status=dg.DagsterRunStatus.STARTED)
        with wh.connection() as conn, conn.cursor() as cur:
            cur.execute("insert into ops.hubspot_sync_requests (events, subscriptions) values (1, 'deal.creation')")
        assert tick(cursor)[0].skip_message == "a HubSpot sync is running; the new requests wait for it to end"

        hub.update_deal("6744457152", dealstage="closedlost")
        before = len(hub.requests)
        result = hubspot_sync_job.execute_in_process(resources=resources, instance=instance, tags=request.tags)
        assert result.success and all(c.path.startswith("/crm/") for c in hub.requests[before:])
        reported = {m.asset_key.path[-1]: m.metadata["rows"].value for m in result.asset_materializations_for_node("hubspot_sync")}
        # dlt restores its cursors from the warehouse, so the run in Dagster's own data directory goes on
        # from the earlier syncs: only the changed deal and its two links.
        assert reported == {"hubspot_deals": 1, "hubspot_deal_contact_associations": 2}
        instance.report_run_failed(run)  # the stand-in run ends
        again, cursor = tick(cursor)
        assert isinstance(again, dg.RunRequest) and cursor == "3"
    assert query_value(wh, "select dealstage from raw.hubspot_deals where id = '6744457152'") == "closedlost"
    assert query_value(wh, "select count(*) from raw.hubspot_deals") == 2


def signed(url: str, body: bytes, secret: str = APP_SECRET, timestamp: int | None = None) -> dict:
    ts = str(timestamp if timestamp is not None else int(time.time() * 1000))
    return {"Content-Type": "application/json", "X-HubSpot-Request-Timestamp": ts,
            "X-HubSpot-Signature-v3": signature_v3(secret, "POST", url, body, ts)}


# -- a deal moved to another contact moves its credit, through dbt ------------------------------------
DIMS = dict(
    experiment_id="exp", variant="control", prompt_id="sales_agent", prompt_version="sales_agent.v1",
    config="{}", config_hash="abcdefabcdef", llm_provider="openai", llm_model="gpt-4o-mini",
    intent="discount_request", capability="discount_engine", action="apply_discount",
)
# Maria (contact 1) and Brian (contact 51) each talk to the agent two days before deal 6744192456 closes.
CONVERSATIONS = {"conv_maria": ("1", "2023-02-27 10:00:00"), "conv_brian": ("51", "2023-02-27 11:00:00")}


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=timezone.utc)


def land_conversations(directory) -> None:
    calls = [dict(event_id=f"e_{c}", occurred_at=_at(at), conversation_id=c, trace_id=f"t_{c}", span_id=f"s_{c}",
                  parent_span_id=None, customer_ref=ref, **DIMS, latency_ms=500.0, time_to_first_token_ms=100.0,
                  input_tokens=100, output_tokens=50, cached_input_tokens=0, cost_usd=0.001, status="ok",
                  error_type=None) for c, (ref, at) in CONVERSATIONS.items()]
    events = [dict(event_id=f"s_{c}", conversation_id=c, occurred_at=_at(at), kind="started", customer_ref=ref)
              for c, (ref, at) in CONVERSATIONS.items()]
    for table, rows in (("llm_calls", calls), ("conversation_events", events), ("feedback", []), ("outcome_metrics", [])):
        rows = [{**row, **DEMO_KEY} for row in rows]  # as the demo's files carry their project
        (directory / table).mkdir(parents=True)
        pq.write_table(pa.Table.from_pylist(rows, schema=SCHEMAS[table]), directory / table / "part-00000.parquet")


def test_deal_moved_to_another_contact_moves_its_credit(env, dbt):
    hub, wh = env["hub"], env["wh"]
    land_conversations(env["tmp"] / "landing")
    dlt_load(env["tmp"] / "landing", wh, env["tmp"] / "landing_dlt")
    hub.set_deal_contacts("6744192456", ["1"])
    hub.update_deal("6744192456", dealstage="closedwon", closedate="2023-03-01T10:00:00Z", amount="750")
    env["run"]()
    # One dbt invocation (each one parses the project): the price seed and the models up to the mart.
    dbt("build", "-s", "model_prices", "+fct_conversations", "--exclude-resource-type", "test")

    def credit() -> dict:
        return {c: (d, v) for c, d, v in query(wh, "select conversation_id, deal_id, order_value_usd from marts.fct_conversations")}

    assert credit() == {"conv_maria": ("6744192456", 750.0), "conv_brian": (None, None)}
    hub.set_deal_contacts("6744192456", ["51"])  # in HubSpot, the deal moves from Maria to Brian
    env["run"]()
    # What the new links touch: the attribution and the conversations mart (staging models are views).
    dbt("run", "-s", "int_attribution_candidates+,+fct_conversations")
    assert credit() == {"conv_maria": (None, None), "conv_brian": ("6744192456", 750.0)}
