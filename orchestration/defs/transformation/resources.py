import dagster as dg
from dagster_dbt import DbtCliResource

from orchestration.defs.transformation.project import dbt_project
from outcomelens.core import paths


@dg.definitions
def resources() -> dg.Definitions:
    # The venv's own dbt, whether or not the venv is on PATH (Makefile targets call .venv/bin/...).
    dbt = DbtCliResource(project_dir=dbt_project, dbt_executable=str(paths.PROJECT_ROOT / ".venv" / "bin" / "dbt"))
    return dg.Definitions(resources={"dbt": dbt})
