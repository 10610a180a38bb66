from collections.abc import Mapping
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings, DbtCliResource, dbt_assets

from orchestration.defs.ingestion.assets import RAW_DATASET
from orchestration.defs.transformation.project import dbt_project
from orchestration.defs.warehouse.resources import WarehouseResource
from outcomelens.core import paths


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


@dbt_assets(manifest=dbt_project.manifest_path, dagster_dbt_translator=translator)
def dbt_models(context: dg.AssetExecutionContext, dbt: DbtCliResource, warehouse: WarehouseResource):
    yield from dbt.cli(["build"], context=context).stream()


def dbt_resource() -> DbtCliResource:
    # The venv's own dbt, whether or not the venv is on PATH (Makefile targets call .venv/bin/...).
    return DbtCliResource(project_dir=dbt_project, dbt_executable=str(paths.PROJECT_ROOT / ".venv" / "bin" / "dbt"))
