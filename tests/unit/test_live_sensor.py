"""The micro-batch sensor reacts to every raw load dbt reads, the HubSpot sync's among them: a deal
closing changes the conversions of conversations already in the marts, and no collector load may
follow it for a long time."""

import dagster as dg

from orchestration.defs.live.sensors import MODELLED_TABLES, live_after_raw_loads


def _report(instance: dg.DagsterInstance, table: str) -> int:
    instance.report_runless_asset_event(dg.AssetMaterialization(asset_key=["dlt", "landing", table]))
    return instance.fetch_materializations(dg.AssetKey(["dlt", "landing", table]), limit=1).records[0].storage_id


def test_every_modelled_raw_table_is_watched():
    assert set(MODELLED_TABLES) >= {
        "llm_calls",
        "conversation_events",
        "hubspot_deals",
        "hubspot_deal_contact_associations",
        "hubspot_contacts",
    }
    assert "dead_letters" not in MODELLED_TABLES


def test_a_hubspot_sync_alone_requests_a_micro_batch():
    with dg.instance_for_test() as instance:
        context = dg.build_sensor_context(instance=instance)
        assert isinstance(live_after_raw_loads(context), dg.SkipReason)

        newest = _report(instance, "hubspot_deals")
        request = live_after_raw_loads(dg.build_sensor_context(instance=instance, cursor="0"))
        assert isinstance(request, dg.RunRequest) and request.run_key == f"raw-load-{newest}"

        # Seen: nothing new until the next load.
        again = live_after_raw_loads(dg.build_sensor_context(instance=instance, cursor=str(newest)))
        assert isinstance(again, dg.SkipReason)
