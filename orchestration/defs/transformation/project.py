"""The dbt project handle, alone in its module: importing it must not need a warehouse."""

from dagster_dbt import DbtProject

from outcomelens.core import paths

dbt_project = DbtProject(project_dir=paths.DBT_PROJECT_DIR, profiles_dir=paths.DBT_PROJECT_DIR)
