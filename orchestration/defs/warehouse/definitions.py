import dagster as dg

from orchestration.defs.warehouse.resources import WarehouseResource

defs = dg.Definitions(resources={"warehouse": WarehouseResource()})
