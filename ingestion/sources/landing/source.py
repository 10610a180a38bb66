"""dlt source for landed files: one folder of parquet part files per raw table.

The demo generator writes here, and so will the collector's spool. Every table merges on its
primary key, so loading the same files again never doubles a row.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Iterator

import dlt
import pyarrow.parquet as pq

from ingestion.sources.load_ids import stamp_load_ids
from outcomelens.contract import RAW_TABLES

LANDED = (
    "llm_calls",
    "conversation_events",
    "feedback",
    "hubspot_contacts",
    "hubspot_deals",
    "hubspot_deal_contact_associations",
    "outcome_metrics",
)
# dlt's configuration key normalize.data_writer.disable_compression, as an environment variable. dlt
# gzips each load file it writes and COPY then reads it back through Python's gzip: files that live only
# until their load ends, so landing millions of rows spent a core compressing for nothing.
UNCOMPRESSED_LOAD_FILES_VARIABLE = "NORMALIZE__DATA_WRITER__DISABLE_COMPRESSION"
# table -> primary key (the contract's, docs/contracts.md)
LANDING_TABLES: dict[str, tuple[str, ...]] = {table: RAW_TABLES[table].primary_key for table in LANDED}


def _read_parts(folder: Path) -> Iterator:
    for part in sorted(folder.glob("*.parquet")):
        yield pq.read_table(part)


def _table_resource(directory: Path, table: str, primary_key: tuple[str, ...]):
    @dlt.resource(
        name=table,
        primary_key=list(primary_key),
        write_disposition="merge",
        # Postgres COPY of CSV that pyarrow writes from the Arrow parts: dlt's default for Postgres,
        # INSERT statements built row by row in Python, took most of the 10M-call demo's landing.
        file_format="csv",
        # Core columns are fixed by the contract; unknown extra columns may still arrive.
        schema_contract={"tables": "evolve", "columns": "evolve", "data_type": "freeze"},
    )
    def read_table() -> Iterator:
        yield from _read_parts(directory / table)

    return read_table


@dlt.source(name="landing", max_table_nesting=0)
def landing_source(directory: str | Path):
    stamp_load_ids()
    os.environ[UNCOMPRESSED_LOAD_FILES_VARIABLE] = "true"
    directory = Path(directory)
    return [_table_resource(directory, table, pk) for table, pk in LANDING_TABLES.items()]
