"""The loader process: the spool source run every few seconds into raw.* (what `outcomelens up` starts)."""

from __future__ import annotations

import logging
import os

from ingestion.sources.optional_columns import allow_nulls_where_optional
from ingestion.sources.spool.reporting import DAGSTER_URL_ENV, DagsterReporter
from ingestion.sources.spool.segments import Spool
from ingestion.sources.spool.source import collector_pipeline, run_forever
from outcomelens.contract import COLLECTOR_TABLES
from outcomelens.core import paths
from outcomelens.core.warehouse import ensure_warehouse


def run_loader(interval_s: float = 2.0) -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    warehouse = ensure_warehouse()
    warehouse.export_env()
    # A warehouse first filled by the landing may refuse calls without an optional field.
    relaxed = allow_nulls_where_optional(warehouse, COLLECTOR_TABLES)
    if relaxed:
        logging.getLogger("outcomelens.loader").info("allowed NULL in optional raw columns: %s", ", ".join(relaxed))
    dagster_url = os.environ.get(DAGSTER_URL_ENV)  # set by `outcomelens up`; unset, nothing is reported
    run_forever(Spool(paths.spool_dir()), collector_pipeline(paths.pipelines_dir()), interval_s=interval_s,
                on_loaded=DagsterReporter(dagster_url) if dagster_url else None)
