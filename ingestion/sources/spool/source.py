"""The micro-batch loader: spool segments → dlt → raw.* in Postgres.

One cycle loads table by table: it takes a table's ready segments, reads them with Arrow's NDJSON
reader (core columns typed by the contract, extra fields inferred and kept), runs one dlt load that
merges on the table's key, and only then removes the segments and dlt's completed load package (a
copy of the records). A crash anywhere before the removal leaves the segments in place; the next
cycle loads them again and the merge makes that a no-op.

A load the warehouse refuses (while it answers: an outage is not the data's fault and is only
retried) stops only its own table, and only for a while: the table is then loaded one segment at a
time, and a segment refused MAX_ATTEMPTS times is quarantined — its records go to raw.dead_letters
with the warehouse's reason, the file to the spool's _quarantine folder — so the segments behind it
keep flowing. Attempts are counted in a file in the spool, so they survive a loader restart.
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import signal
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone

import dlt
import pyarrow as pa
import pyarrow.json as pajson
from dlt.pipeline.exceptions import PipelineStepFailed

from ingestion.sources.load_ids import stamp_load_ids
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
# Loads of one segment the warehouse refuses before it is quarantined.
MAX_ATTEMPTS = 3
# Segments loaded one by one per cycle while a refused one is looked for.
NARROW_SEGMENTS = 100
ATTEMPTS_FILE = ".loader-attempts.json"
MAX_REASON_CHARS = 2_000


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


def collector_pipeline(pipelines_dir: str) -> dlt.Pipeline:
    stamp_load_ids()
    return dlt.pipeline(
        pipeline_name=PIPELINE_NAME,
        destination="postgres",
        dataset_name=RAW_DATASET,
        pipelines_dir=pipelines_dir,
    )


@dataclass
class CycleResult:
    segments: int
    rows: dict[str, int]
    quarantined: list[str] = field(default_factory=list)


@dataclass
class Attempts:
    """Refused loads so far: tables loaded one segment at a time, and refusals per segment."""

    narrowed: set[str] = field(default_factory=set)
    refused: dict[str, int] = field(default_factory=dict)

    @classmethod
    def read(cls, spool: Spool) -> Attempts:
        path = spool.root / ATTEMPTS_FILE
        if not path.exists():
            return cls()
        try:
            saved = json.loads(path.read_text())
            return cls(set(saved["narrowed"]), dict(saved["refused"]))
        except (ValueError, KeyError, TypeError):  # a torn write: start counting again
            return cls()

    def write(self, spool: Spool) -> None:
        path = spool.root / ATTEMPTS_FILE
        if not self.narrowed and not self.refused:
            path.unlink(missing_ok=True)
            return
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps({"narrowed": sorted(self.narrowed), "refused": self.refused}))
        tmp.replace(path)


def warehouse_answers(pipeline: dlt.Pipeline) -> bool:
    """Whether the destination takes a query: a refused load is the data's fault only then."""
    try:
        with pipeline.sql_client() as client:
            client.execute_sql("select 1")
        return True
    except Exception:  # noqa: BLE001 — any failure here means the warehouse is away
        return False


def _drop_package(pipeline: dlt.Pipeline, load_id: str | None) -> None:
    """Remove a load package from dlt's working folder: the records are in raw.* (or still in the
    spool), and a package is a readable copy of them that dlt would otherwise keep forever."""
    pipeline.drop_pending_packages()
    if load_id:
        # dlt has no public call for a completed package; its load storage does it (a package that
        # failed before the load step never got there, hence not_exists_ok)
        pipeline._get_load_storage().loaded_packages.delete_package(load_id, not_exists_ok=True)


def _run(pipeline: dlt.Pipeline, resources: list | None = None) -> None:
    try:
        info = pipeline.run(resources) if resources is not None else pipeline.run()
    except PipelineStepFailed as failure:
        _drop_package(pipeline, getattr(failure, "load_id", None))
        raise
    for load_id in info.loads_ids:
        _drop_package(pipeline, load_id)


def _finish_pending(pipeline: dlt.Pipeline) -> None:
    """A load package left by a killed run is finished first (dlt keeps it on disk). One that fails
    is dropped: its segments are still in the spool and are loaded again, table by table."""
    if not (pipeline.list_normalized_load_packages() or pipeline.list_extracted_load_packages()):
        return
    try:
        _run(pipeline)
    except Exception:
        pipeline.drop_pending_packages()
        if not warehouse_answers(pipeline):
            raise
        log.warning("a pending load package was refused; its segments are loaded again", exc_info=True)


def _reason(exc: BaseException) -> str:
    cause = exc
    while getattr(cause, "exception", None) is not None or cause.__cause__ is not None:
        cause = getattr(cause, "exception", None) or cause.__cause__
    text = f"the warehouse refused the load: {type(cause).__name__}: {cause}"
    return text[:MAX_REASON_CHARS]


def quarantine_rows(segment: Segment, reason: str) -> list[dict]:
    """Dead-letter rows for every record of a refused segment (raw.dead_letters' columns)."""
    received_at = datetime.now(timezone.utc).isoformat()
    rows = []
    for index, line in enumerate(line for line in segment.read().decode("utf-8", "replace").splitlines() if line):
        try:
            project = json.loads(line).get("project")
        except (ValueError, AttributeError):
            project = None
        rows.append({
            "event_id": hashlib.sha256(line.encode()).hexdigest(), "received_at": received_at,
            "endpoint": f"loader:{segment.table}", "record_index": index, "field": None, "reason": reason,
            "raw_record": line, "project": project,
        })
    return rows


def _quarantine(spool: Spool, segment: Segment, reason: str) -> None:
    if segment.table != "dead_letters":  # dead letters that cannot be stored stay in the file only
        spool.append("dead_letters", b"\n".join(json.dumps(row).encode() for row in quarantine_rows(segment, reason)))
    spool.quarantine(segment)
    log.error("quarantined %s after %d refused loads: %s", segment.path.name, MAX_ATTEMPTS, reason)


def _count_refusal(spool: Spool, attempts: Attempts, segment: Segment, exc: Exception, result: CycleResult) -> bool:
    """One more refused load of a segment loaded alone; at MAX_ATTEMPTS it is quarantined (True)
    and the table is loaded in whole batches again from the next cycle (the culprit is found)."""
    key = f"{segment.table}/{segment.path.name}"
    attempts.refused[key] = attempts.refused.get(key, 0) + 1
    if attempts.refused[key] < MAX_ATTEMPTS:
        return False
    _quarantine(spool, segment, _reason(exc))
    del attempts.refused[key]
    attempts.narrowed.discard(segment.table)
    result.quarantined.append(key)
    return True


def _load(spool: Spool, pipeline: dlt.Pipeline, table: str, segments: list[Segment], result: CycleResult) -> None:
    parts = _read_tolerant(table, segments)
    _run(pipeline, [_resource(table, parts)])
    spool.retire(segments)
    result.segments += len(segments)
    result.rows[table] = result.rows.get(table, 0) + sum(_rows(part) for part in parts)


def _load_table(spool: Spool, pipeline: dlt.Pipeline, table: str, attempts: Attempts, result: CycleResult) -> None:
    """A table's ready segments in one load; after a refusal, one segment per load (up to
    NARROW_SEGMENTS a cycle) until the refused one is quarantined or none is left."""
    if table not in attempts.narrowed:
        segments = spool.ready(table, limit=MAX_SEGMENTS_PER_TABLE)
        if not segments:
            return
        try:
            _load(spool, pipeline, table, segments, result)
        except Exception as exc:
            if not warehouse_answers(pipeline):
                raise  # an outage: nothing is counted against the data; the segments stay
            log.warning("a load of %d %s segments was refused (%s); loading them one at a time",
                        len(segments), table, _reason(exc))
            attempts.narrowed.add(table)
        return
    segments = spool.ready(table, limit=NARROW_SEGMENTS)
    if not segments:
        attempts.narrowed.discard(table)
    for segment in segments:
        try:
            _load(spool, pipeline, table, [segment], result)
        except Exception as exc:
            if not warehouse_answers(pipeline):
                raise
            if not _count_refusal(spool, attempts, segment, exc, result):
                return  # the segments behind it wait for its next attempt, in the next cycle
            continue
        attempts.refused.pop(f"{table}/{segment.path.name}", None)


def load_cycle(spool: Spool, pipeline: dlt.Pipeline) -> CycleResult:
    """Load every ready segment once, table by table; segments are retired only after dlt committed
    them. Raises when the warehouse does not answer (the segments stay for the next cycle)."""
    _finish_pending(pipeline)
    attempts = Attempts.read(spool)
    result = CycleResult(0, {})
    try:
        for table in spool.tables():
            if table in CORE_SCHEMAS and table != "dead_letters":
                _load_table(spool, pipeline, table, attempts, result)
        # Dead letters last: a quarantine in this cycle adds to them.
        _load_table(spool, pipeline, "dead_letters", attempts, result)
    finally:
        attempts.write(spool)
    return result


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
            if result.quarantined:
                log.error("quarantined %s", result.quarantined)
            if on_loaded is not None:
                on_loaded(result.rows)
        except Exception:  # keep the service alive; the segments stay and are retried
            log.exception("load cycle failed; retrying in %.1fs", interval_s)
        remaining = interval_s - (time.monotonic() - started)
        while remaining > 0 and not stop.requested:
            time.sleep(min(remaining, 0.2))
            remaining -= 0.2
