import dagster as dg

from orchestration.defs.transformation.assets import dbt_models, dbt_resource

defs = dg.Definitions(assets=[dbt_models], resources={"dbt": dbt_resource()})
