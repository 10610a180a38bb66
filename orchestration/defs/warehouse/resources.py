"""The warehouse every asset, check and sensor reads and writes, as one Dagster resource."""

import dagster as dg
import dlt

from outcomelens.core.warehouse import WAREHOUSE_URL_ENV, Warehouse, ensure_warehouse


class WarehouseResource(dg.ConfigurableResource):
    """The Postgres warehouse. `url` is any postgresql:// URL; None means what
    `outcomelens.core.warehouse.ensure_warehouse` finds at run time (`OUTCOMELENS_WAREHOUSE_URL`, else the
    embedded Postgres of the data directory, started if it is not running). Ensuring it applies the
    product's pending migrations; nothing is exported to the environment: dlt gets `dlt_destination()`,
    psycopg2 `connection()`, Great Expectations `warehouse`."""

    url: str | None = None

    def setup_for_execution(self, context: dg.InitResourceContext) -> None:
        self._warehouse = ensure_warehouse(self.url)

    @property
    def warehouse(self) -> Warehouse:
        return self._warehouse

    def connection(self):
        """`with warehouse.connection() as conn:` commits, or rolls back on error, and closes."""
        return self._warehouse.connection()

    def dlt_destination(self):
        """dlt's postgres destination with this warehouse's credentials."""
        return dlt.destinations.postgres(credentials=self._warehouse.dlt_credentials())


def warehouse_resource() -> WarehouseResource:
    # A set URL stays a dg.EnvVar, so the UI and the run config show the variable's name, never the
    # URL (and its password); unset, the embedded Postgres needs no configuration at all.
    url = dg.EnvVar(WAREHOUSE_URL_ENV)
    return WarehouseResource(url=url if url.get_value() else None)


@dg.definitions
def resources() -> dg.Definitions:
    return dg.Definitions(resources={"warehouse": warehouse_resource()})
