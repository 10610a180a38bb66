"""Every Dagster definition loads through Dagster's own loader, and the graph is the designed one:
dlt assets keyed ["dlt", source, resource], dbt models [schema, model], dlt → dbt → insights."""

import ast
import importlib
import json
import pkgutil
from pathlib import Path

import dagster as dg

import orchestration
import orchestration.defs as domains
from ingestion.sources.landing import LANDING_TABLES
from orchestration.definitions import PIPELINE_JOB_NAME, defs
from orchestration.defs.transformation.assets import profile_mismatches
from orchestration.defs.transformation.project import dbt_project
from orchestration.defs.warehouse.resources import WarehouseResource, warehouse_resource
from outcomelens.core.warehouse import Warehouse

JOBS = ["data_quality_checks", "deliver_alerts_job", "hubspot_sync_job", "insights_anomaly_check",
        "insights_forecasts", "live_micro_batch", "outcomelens_pipeline", "provider_usage_job",
        "purge_live_runs_job", "scheduled_reports_job"]
# No report schedules: analytics/config/reports.yaml lists none (each report there adds one).
SCHEDULES = ["alert_delivery_every_5_minutes", "data_quality_every_15_minutes", "hubspot_sync_job_schedule",
             "insights_daily_forecasts", "provider_usage_job_schedule", "purge_live_runs_hourly"]
SENSORS = ["anomaly_check_after_micro_batch", "data_quality_alerts", "freshness_checks", "hubspot_sync_on_webhook",
           "live_after_raw_loads", "report_schedules_due"]


def _graph():
    return defs.resolve_asset_graph()


def test_definitions_load_and_validate_once_each():
    dg.Definitions.validate_loadable(defs)
    # Each job, schedule and sensor once: a module that re-exported one would show it twice.
    assert sorted(j.name for j in defs.jobs) == JOBS
    assert sorted(s.name for s in defs.schedules) == SCHEDULES
    assert sorted(s.name for s in defs.sensors) == SENSORS
    assert set(defs.resources) == {"warehouse", "dlt", "dbt", "live"}


def _domain_modules(kind: str) -> list:
    found = []
    for domain in pkgutil.iter_modules(domains.__path__):
        path = Path(domains.__path__[0]) / domain.name / f"{kind}.py"
        if path.exists():
            found.append(importlib.import_module(f"{domains.__name__}.{domain.name}.{kind}"))
    return found


def test_schedules_live_in_schedules_py_and_sensors_in_sensors_py():
    in_schedules = {v.name for m in _domain_modules("schedules") for v in vars(m).values()
                    if isinstance(v, dg.ScheduleDefinition)}
    in_sensors = {v.name for m in _domain_modules("sensors") for v in vars(m).values()
                  if isinstance(v, dg.SensorDefinition)}
    assert in_schedules == set(SCHEDULES)
    assert in_sensors == set(SENSORS)


def test_dlt_assets_for_every_landed_table():
    keys = set(_graph().get_all_asset_keys())
    for table in LANDING_TABLES:
        assert dg.AssetKey(["dlt", "landing", table]) in keys


def test_every_dbt_model_is_keyed_schema_and_model():
    manifest = json.loads(Path(dbt_project.manifest_path).read_text())
    models = [n for n in manifest["nodes"].values() if n["resource_type"] == "model"]
    keys = set(_graph().get_all_asset_keys())
    assert len(models) > 10
    for model in models:
        assert dg.AssetKey([model["schema"], model["name"]]) in keys, model["name"]


def test_dbt_staging_depends_on_dlt_and_insights_on_marts():
    graph = _graph()
    staging = graph.get(dg.AssetKey(["staging", "stg_outcomelens__llm_calls"]))
    assert dg.AssetKey(["dlt", "landing", "llm_calls"]) in staging.parent_keys
    deals = graph.get(dg.AssetKey(["staging", "stg_hubspot__deals"]))
    assert dg.AssetKey(["dlt", "landing", "hubspot_deals"]) in deals.parent_keys
    forecasts = graph.get(dg.AssetKey(["insights", "forecasts"]))
    assert forecasts.parent_keys == {dg.AssetKey(["marts", "fct_attribution_daily"])}


def test_pipeline_job_selects_every_asset_but_not_the_sync_jobs():
    job = defs.resolve_job_def(PIPELINE_JOB_NAME)
    selected = job.asset_layer.executable_asset_keys
    assert selected == set(_graph().get_all_asset_keys()) - set(_graph().external_asset_keys)
    assert {dg.AssetKey(["marts", "fct_conversations"]), dg.AssetKey(["dlt", "landing", "hubspot_deal_contact_associations"]),
            dg.AssetKey(["insights", "anomalies"])} <= selected
    assert not {node.name for node in job.graph.node_defs} & {"hubspot_sync", "provider_usage_sync"}


def test_sync_jobs_start_with_their_schedules_stopped():
    schedules = {s.job_name: s for s in defs.schedules}
    assert schedules["hubspot_sync_job"].default_status == dg.DefaultScheduleStatus.STOPPED
    assert schedules["provider_usage_job"].default_status == dg.DefaultScheduleStatus.STOPPED
    assert schedules["insights_forecasts"].default_status == dg.DefaultScheduleStatus.RUNNING


def test_warehouse_url_is_an_env_var_and_unset_means_embedded(monkeypatch):
    monkeypatch.setenv("OUTCOMELENS_WAREHOUSE_URL", "postgresql://app:s3cret@db.example.com:5432/analytics")
    configured = warehouse_resource()
    # A dg.EnvVar holds the variable's name, resolved only when a run starts: the UI never sees the password.
    assert isinstance(configured.url, dg.EnvVar) and configured.url.env_var_name == "OUTCOMELENS_WAREHOUSE_URL"
    monkeypatch.delenv("OUTCOMELENS_WAREHOUSE_URL")
    assert warehouse_resource().url is None
    assert isinstance(defs.resources["warehouse"], WarehouseResource)


def test_dbt_profile_variables_must_name_the_runs_warehouse():
    wh = Warehouse(host="/data/pg", port=5433, user="postgres", password="", database="outcomelens")
    assert profile_mismatches(wh, wh.env()) == []
    assert profile_mismatches(wh, {}) == ["OUTCOMELENS_PG_DATABASE", "OUTCOMELENS_PG_HOST", "OUTCOMELENS_PG_PORT",
                                          "OUTCOMELENS_PG_USER"]
    assert profile_mismatches(wh, {**wh.env(), "OUTCOMELENS_PG_PORT": "5432"}) == ["OUTCOMELENS_PG_PORT"]


def _writes_environ(node: ast.AST) -> bool:
    """`os.environ[...] = `, `del os.environ[...]`, or os.environ.update/setdefault/pop/clear(...)."""
    def is_environ(n):
        return isinstance(n, ast.Attribute) and n.attr == "environ"
    if isinstance(node, (ast.Assign, ast.AugAssign, ast.Delete)):
        targets = node.targets if isinstance(node, (ast.Assign, ast.Delete)) else [node.target]
        return any(isinstance(t, ast.Subscript) and is_environ(t.value) for t in targets)
    return (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and is_environ(node.func.value)
            and node.func.attr in {"update", "setdefault", "pop", "clear", "popitem"}) or (
        isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "putenv")


def test_orchestration_never_writes_the_environment():
    root = Path(orchestration.__file__).parent
    offenders = [f"{path.relative_to(root)}:{node.lineno}" for path in sorted(root.rglob("*.py"))
                 for node in ast.walk(ast.parse(path.read_text())) if _writes_environ(node)]
    assert offenders == []
    assert _writes_environ(ast.parse("os.environ['X'] = '1'").body[0])
    assert _writes_environ(ast.parse("os.environ.update(a)").body[0].value)


def test_the_micro_batch_runs_its_steps_in_the_runs_own_process():
    # One load of the definitions per micro-batch, not one more per step (benchmarks/live.md).
    assert defs.resolve_job_def("live_micro_batch").executor_def is dg.in_process_executor
