"""Writing the raw tables as parquet part files: `DIR/<table>/part-00000.parquet`, … in the contract's
column order and types (ingestion/demo/schemas.py)."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from ingestion.demo.schemas import SCHEMAS, TABLES

# low-cardinality columns: dictionary-encoded in parquet; ids and measures are not (faster, smaller)
DICTIONARY_COLUMNS = {
    "llm_calls": [
        "experiment_id", "variant", "prompt_id", "prompt_version", "config", "config_hash", "llm_provider",
        "llm_model", "intent", "capability", "action", "status", "error_type",
    ],
    "conversation_events": ["kind"],
    "feedback": ["kind", "comment"],
    "hubspot_contacts": ["firstname", "lastname"],
    "hubspot_deals": ["dealstage", "pipeline"],
    "hubspot_deal_contact_associations": [],
    "outcome_metrics": ["experiment_id", "metric_name", "intent", "source", "variant"],
}


# The demo's records are not sent with an ingestion key: they belong to the project `demo`.
DEMO_KEY = {"project": "demo", "ingestion_key_id": None}


def _with_key(columns: dict[str, pa.Array], schema: pa.Schema) -> dict[str, pa.Array]:
    rows = len(next(iter(columns.values())))
    stamps = {name: pa.nulls(rows, pa.string()) if value is None else pa.array([value] * rows, pa.string())
              for name, value in DEMO_KEY.items()
              if name in schema.names and (name not in columns or columns[name].null_count == rows)}
    return {**columns, **stamps}


def column_names(table: str) -> list[str]:
    return [f.name for f in SCHEMAS[table]]


class PartWriter:
    """Numbered part files per table, counting parts and rows; an earlier run's parts are removed."""

    def __init__(self, out_dir: Path):
        self.out_dir = out_dir
        self.parts = {t: 0 for t in TABLES}
        self.rows = {t: 0 for t in TABLES}
        for table in TABLES:
            folder = out_dir / table
            folder.mkdir(parents=True, exist_ok=True)
            for old in folder.glob("part-*.parquet"):
                old.unlink()

    def write(self, table: str, columns: dict[str, pa.Array]) -> None:
        schema = SCHEMAS[table]
        columns = _with_key(columns, schema)
        arrays = [columns[f.name].cast(f.type) if columns[f.name].type != f.type else columns[f.name] for f in schema]
        tbl = pa.Table.from_arrays(arrays, schema=schema)
        path = self.out_dir / table / f"part-{self.parts[table]:05d}.parquet"
        pq.write_table(tbl, path, compression="snappy", use_dictionary=DICTIONARY_COLUMNS[table])
        self.parts[table] += 1
        self.rows[table] += tbl.num_rows
