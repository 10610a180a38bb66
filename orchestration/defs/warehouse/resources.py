import dagster as dg

from outcomelens.core.warehouse import Warehouse, ensure_warehouse


class WarehouseResource(dg.ConfigurableResource):
    """The Postgres warehouse; started (if embedded) and exported to dlt and dbt before a run."""

    def setup_for_execution(self, context: dg.InitResourceContext) -> None:
        # dlt's destination and dbt's profiles.yml read their connection from the environment,
        # so the run must know the warehouse before either starts.
        self._warehouse = ensure_warehouse()
        self._warehouse.export_env()

    @property
    def warehouse(self) -> Warehouse:
        return self._warehouse

    def connect(self):
        return self._warehouse.connect()
