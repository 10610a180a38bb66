"""The loader process: the spool source run every few seconds into raw.* (what `outcomelens up` starts)."""

from __future__ import annotations

import logging
import os

import psycopg2

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
    # A warehouse first filled by the landing may refuse calls without an optional field. A role that
    # may not alter the tables keeps them as they are: the loader runs anyway (refused loads are
    # quarantined with their reason, never lost).
    log = logging.getLogger("outcomelens.loader")
    try:
        relaxed = allow_nulls_where_optional(warehouse, COLLECTOR_TABLES)
    except psycopg2.Error as exc:
        log.warning("could not allow NULL in the optional raw columns: %s", str(exc).strip())
    else:
        if relaxed:
            log.info("allowed NULL in optional raw columns: %s", ", ".join(relaxed))
    dagster_url = os.environ.get(DAGSTER_URL_ENV)  # set by `outcomelens up`; unset, nothing is reported
    run_forever(Spool(paths.spool_dir()), collector_pipeline(paths.pipelines_dir()), interval_s=interval_s,
                on_loaded=DagsterReporter(dagster_url) if dagster_url else None)
