"""The loader tells Dagster what it loaded: one asset materialization per raw table and load, posted to
the Dagster webserver's `/report_asset_materialization/` endpoint (plain HTTP: the loader does not
import Dagster). The live path's sensor starts a micro-batch from these reports, and the UI shows each
load with its row count on the raw table's asset, upstream of the dbt sources that read it.

A report that cannot be delivered (the webserver restarting) is kept and sent with the next cycle's;
the rows are safe in raw either way, so a failed report is a warning, never a failed load.
"""

from __future__ import annotations

import logging
from collections import Counter

import requests

log = logging.getLogger("outcomelens.loader")

DAGSTER_URL_ENV = "OUTCOMELENS_DAGSTER_URL"
# The asset key Dagster's definitions give each raw table (orchestration/defs/landing: the dlt
# assets ["dlt", "landing", table], which the dbt sources point at); the loader writes the same tables.
ASSET_PREFIX = "dlt/landing"
TIMEOUT_S = 5


class DagsterReporter:
    def __init__(self, dagster_url: str):
        self.dagster_url = dagster_url.rstrip("/")
        self.pending: Counter[str] = Counter()

    def __call__(self, rows: dict[str, int]) -> None:
        self.pending.update(rows)
        for table, count in list(self.pending.items()):
            try:
                response = requests.post(
                    f"{self.dagster_url}/report_asset_materialization/{ASSET_PREFIX}/{table}",
                    json={"metadata": {"rows": count}, "description": "loaded by the collector's loader"},
                    timeout=TIMEOUT_S,
                )
                response.raise_for_status()
            except requests.RequestException as exc:
                log.warning(
                    "could not report the load of raw.%s to Dagster (%s); retrying with the next load", table, exc
                )
                continue
            del self.pending[table]
