"""The micro-batch loader: spool segments → dlt → raw.* in Postgres.

One cycle takes the ready segments of every table, reads them with Arrow's NDJSON reader (core
columns typed by the contract, extra fields inferred and kept), runs one dlt load that merges on
each table's key, and only then removes the segments. A crash anywhere before the removal leaves
the segments in place; the next cycle loads them again and the merge makes that a no-op.
"""

from __future__ import annotations

import io
import json
import logging
import os
import signal
import time
from collections.abc import Callable
from dataclasses import dataclass

import dlt
import pyarrow as pa
import pyarrow.json as pajson

from ingestion.sources.spool import Segment, Spool
from outcomelens.contract import COLLECTOR_TABLES, RAW_TABLES
from outcomelens.contract.arrow import arrow_schema

log = logging.getLogger("outcomelens.loader")

RAW_DATASET = "raw"
PIPELINE_NAME = "outcomelens_collector"

# Core columns per table, typed by the contract (outcomelens.contract) so their types never drift;
# anything else in a record is inferred and kept.
CORE_SCHEMAS: dict[str, pa.Schema] = {table: arrow_schema(table) for table in COLLECTOR_TABLES}
PRIMARY_KEYS: dict[str, tuple[str, ...]] = {table: RAW_TABLES[table].primary_key for table in COLLECTOR_TABLES}

# Caps one cycle so a backlog is worked off in bounded steps rather than one huge load.
MAX_SEGMENTS_PER_TABLE = 2_000


def read_segments(table: str, segments: list[Segment]) -> pa.Table:
    body = b"".join(segment.read() for segment in segments)
    options = pajson.ParseOptions(explicit_schema=CORE_SCHEMAS[table], unexpected_field_behavior="infer")
    return pajson.read_json(io.BytesIO(body), parse_options=options, read_options=pajson.ReadOptions(block_size=1 << 24))


def _read_tolerant(table: str, segments: list[Segment]) -> list:
    """Arrow for the whole batch; per segment, and as plain rows for dlt to type, when an extra
    field changes type between records (Arrow cannot read that, dlt keeps both as variants)."""
    try:
        return [read_segments(table, segments)]
    except pa.ArrowInvalid:
        parts: list = []
        for segment in segments:
            try:
                parts.append(read_segments(table, [segment]))
            except pa.ArrowInvalid:
                parts.append([json.loads(line) for line in segment.read().splitlines() if line.strip()])
        return parts


def _rows(part) -> int:
    return part.num_rows if isinstance(part, pa.Table) else len(part)


def _resource(table: str, parts: list):
    return dlt.resource(
        parts,
        name=table,
        table_name=table,
        primary_key=list(PRIMARY_KEYS[table]),
        write_disposition="merge",
        schema_contract={"tables": "evolve", "columns": "evolve", "data_type": "evolve"},
    )


def with_load_ids(pipeline_name: str) -> str:
    """Every row this pipeline loads carries `_dlt_load_id`: dlt adds it to JSON rows only, unless told
    (for this pipeline's name only) to add it to Arrow tables too. The freshness of each raw table
    (marts.source_freshness) is its newest load id."""
    os.environ.setdefault(f"{pipeline_name.upper()}__NORMALIZE__PARQUET_NORMALIZER__ADD_DLT_LOAD_ID", "true")
    return pipeline_name


def collector_pipeline(pipelines_dir: str) -> dlt.Pipeline:
    return dlt.pipeline(
        pipeline_name=with_load_ids(PIPELINE_NAME),
        destination="postgres",
        dataset_name=RAW_DATASET,
        pipelines_dir=pipelines_dir,
    )


@dataclass
class CycleResult:
    segments: int
    rows: dict[str, int]


def load_cycle(spool: Spool, pipeline: dlt.Pipeline) -> CycleResult:
    """Load every ready segment once; segments are retired only after dlt committed them."""
    # A load package left by a killed run is finished first (dlt keeps it on disk).
    if pipeline.list_normalized_load_packages() or pipeline.list_extracted_load_packages():
        pipeline.run()
    taken: list[Segment] = []
    resources = []
    rows: dict[str, int] = {}
    for table in spool.tables():
        if table not in CORE_SCHEMAS:
            continue
        segments = spool.ready(table, limit=MAX_SEGMENTS_PER_TABLE)
        if not segments:
            continue
        parts = _read_tolerant(table, segments)
        resources.append(_resource(table, parts))
        rows[table] = sum(_rows(part) for part in parts)
        taken.extend(segments)
    if not resources:
        return CycleResult(0, {})
    pipeline.run(resources)  # raises on any failed job; the segments then stay for the next cycle
    spool.retire(taken)
    return CycleResult(len(taken), rows)


class _Stop:
    requested = False


def run_forever(spool: Spool, pipeline: dlt.Pipeline, interval_s: float = 2.0,
                on_loaded: Callable[[dict[str, int]], None] | None = None) -> None:
    """Load every `interval_s` until SIGTERM/SIGINT; a stop waits for the cycle under way.
    `on_loaded` gets the rows per table of each cycle that loaded any (and of none, to retry)."""
    stop = _Stop()

    def request_stop(signum, frame):
        stop.requested = True

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
    spool.sweep_temporaries()
    while not stop.requested:
        started = time.monotonic()
        try:
            result = load_cycle(spool, pipeline)
            if result.segments:
                log.info("loaded %d segments: %s", result.segments, result.rows)
            if on_loaded is not None:
                on_loaded(result.rows)
        except Exception:  # keep the service alive; the segments stay and are retried
            log.exception("load cycle failed; retrying in %.1fs", interval_s)
        remaining = interval_s - (time.monotonic() - started)
        while remaining > 0 and not stop.requested:
            time.sleep(min(remaining, 0.2))
            remaining -= 0.2
