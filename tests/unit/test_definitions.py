"""All Dagster definitions load, and the asset graph runs dlt → dbt → insights."""

import dagster as dg

from orchestration.definitions import PIPELINE_JOB_NAME, defs


def _graph():
    return defs.resolve_asset_graph()


def test_definitions_load_and_validate():
    dg.Definitions.validate_loadable(defs)
    assert defs.resolve_job_def(PIPELINE_JOB_NAME) is not None


def test_dlt_assets_for_every_landed_table():
    from ingestion.sources.landing import LANDING_TABLES

    keys = {key for key in _graph().get_all_asset_keys()}
    for table in LANDING_TABLES:
        assert dg.AssetKey(["dlt", "landing", table]) in keys


def test_dbt_staging_depends_on_dlt_and_insights_on_marts():
    graph = _graph()
    staging = graph.get(dg.AssetKey(["staging", "stg_outcomelens__llm_calls"]))
    assert dg.AssetKey(["dlt", "landing", "llm_calls"]) in staging.parent_keys
    deals = graph.get(dg.AssetKey(["staging", "stg_hubspot__deals"]))
    assert dg.AssetKey(["dlt", "landing", "hubspot_deals"]) in deals.parent_keys
    forecasts = graph.get(dg.AssetKey(["insights", "forecasts"]))
    assert forecasts.parent_keys == {dg.AssetKey(["marts", "fct_attribution_daily"])}


def test_pipeline_job_selects_every_asset():
    job = defs.resolve_job_def(PIPELINE_JOB_NAME)
    selected = job.asset_layer.executable_asset_keys
    assert dg.AssetKey(["marts", "fct_conversations"]) in selected
    assert dg.AssetKey(["dlt", "landing", "hubspot_deal_contact_associations"]) in selected
    assert dg.AssetKey(["insights", "anomalies"]) in selected
