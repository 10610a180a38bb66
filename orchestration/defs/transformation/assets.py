"""The dbt project as assets: staging → intermediate → marts, built by `dbt build`."""

import os
from collections.abc import Mapping
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings, DbtCliResource, dbt_assets

from orchestration.defs.landing.assets import RAW_DATASET
from orchestration.defs.transformation.project import dbt_project
from orchestration.defs.warehouse.resources import WarehouseResource
from outcomelens.contract.ddl import create_missing_raw_tables
from outcomelens.core.warehouse import Warehouse


class OutcomeLensDbtTranslator(DagsterDbtTranslator):
    """Models keyed [schema, model]; dbt sources point at the dlt assets that load them."""

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> dg.AssetKey:
        if dbt_resource_props["resource_type"] == "source" and dbt_resource_props["schema"] == RAW_DATASET:
            return dg.AssetKey(["dlt", "landing", dbt_resource_props["name"]])
        return dg.AssetKey([dbt_resource_props["schema"], dbt_resource_props["name"]])

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        return "transformation"


# Source tests check the raw tables dlt loads: they show as asset checks on the dlt assets.
translator = OutcomeLensDbtTranslator(settings=DagsterDbtTranslatorSettings(enable_source_tests_as_checks=True))


def profile_mismatches(warehouse: Warehouse, environ: Mapping[str, str]) -> list[str]:
    """The variables dbt's profiles.yml reads that do not name the run's warehouse.

    dagster-dbt starts dbt with this process's environment and takes no other, so whoever starts
    Dagster sets them for it (`outcomelens up`, `outcomelens demo`: `Warehouse.env()`); nothing here
    writes the environment. A mismatch would build the marts in another database, so it stops the run.
    """
    expected = warehouse.env()
    return sorted(name for name in expected if name.startswith("OUTCOMELENS_PG_") and environ.get(name, "") != expected[name])


class DbtCommandConfig(dg.Config):
    # False on the live path (orchestration/defs/live): seeds and models only; the data tests run on
    # their own schedule, off the hot path.
    tests: bool = True


NO_TESTS = ["--resource-type", "seed", "--resource-type", "model"]


@dbt_assets(manifest=dbt_project.manifest_path, dagster_dbt_translator=translator)
def dbt_models(context: dg.AssetExecutionContext, config: DbtCommandConfig, dbt: DbtCliResource,
               warehouse: WarehouseResource):
    mismatched = profile_mismatches(warehouse.warehouse, os.environ)
    if mismatched:
        raise dg.Failure(
            f"dbt's profile ({', '.join(mismatched)}) does not name the warehouse {warehouse.warehouse.url()}: "
            "start Dagster with `outcomelens up`, or set these variables from `Warehouse.env()`"
        )
    # A source nothing has loaded yet (provider usage without provider keys, HubSpot without a token)
    # is an empty table, as `up` creates it, rather than a failed build.
    with warehouse.warehouse.connection() as conn:
        create_missing_raw_tables(conn)
    yield from dbt.cli(["build", *([] if config.tests else NO_TESTS)], context=context).stream()
