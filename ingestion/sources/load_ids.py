"""Every row dlt writes into raw.* carries its load's id in `_dlt_load_id`.

dlt adds the column to rows it normalizes itself, but not to Arrow tables (the loader's and the
landing's), unless the parquet normalizer is told to. The incremental marts select new rows by that
load id, not by event time, so late and backfilled records reach them (docs/contracts.md).
"""

from __future__ import annotations

import os

# dlt's configuration key normalize.parquet_normalizer.add_dlt_load_id, as an environment variable
ADD_LOAD_ID_VARIABLE = "NORMALIZE__PARQUET_NORMALIZER__ADD_DLT_LOAD_ID"


def stamp_load_ids() -> None:
    """Make the dlt runs of this process stamp `_dlt_load_id` on Arrow rows too."""
    os.environ[ADD_LOAD_ID_VARIABLE] = "true"
