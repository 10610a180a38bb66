"""Validate one request's records as a batch: split them into accepted models and rejections.

The happy path is a single pydantic-core call over the whole JSON array. Only when something is
wrong is the body parsed in Python, to keep each bad record with its index, field and reason: an
NDJSON line that is not JSON (or nested past what a parser can follow) is rejected alone, and a JSON
array that pydantic-core cannot read but Python's parser can (a lone surrogate, nesting past 200
levels) is split into records too, so the valid ones are kept. Dead letters are written so that they
can always be stored: raw records of any content as JSON text, NULs and lone surrogates escaped.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from pydantic import ValidationError

from ingestion.collector.records import LIST_ADAPTERS, canonical_json, ndjson, text_problem
from ingestion.collector.storable import printable

MAX_RECORDS = 10_000


class BatchError(ValueError):
    """The request as a whole is unusable (not JSON, not a list, too many records)."""

    def __init__(self, message: str, status_code: int = 400):
        super().__init__(message)
        self.status_code = status_code


@dataclass
class Rejection:
    index: int
    field: str
    reason: str
    raw: Any


@dataclass
class Batch:
    kind: str
    accepted: list = field(default_factory=list)
    rejected: list[Rejection] = field(default_factory=list)

    def ndjson(self) -> bytes:
        return ndjson(self.accepted)

    def dead_letters(self, endpoint: str, project: str | None = None) -> list[dict]:
        return dead_letter_rows(endpoint, self.rejected, project)


def raw_json(raw: Any) -> str:
    """A rejected record as JSON text, whatever it holds: orjson refuses integers past 64 bits, lone
    surrogates and nesting past 254 levels, Python's json writes the first two (as escapes)."""
    try:
        return canonical_json(raw)
    except TypeError:
        pass
    try:
        return json.dumps(raw, sort_keys=True, separators=(",", ":"), default=str)
    except (RecursionError, ValueError, TypeError):
        return '"(a record nested too deeply to write out)"'


def stamp_key(records: list[dict], holder) -> None:
    """Write the ingestion key's project and id (a KeyHolder) into each record, over any value the
    client sent: the key decides which project a record belongs to."""
    project, key_id = holder.project, holder.key_id
    for record in records:
        record["project"] = project
        record["ingestion_key_id"] = key_id


def dead_letter_rows(endpoint: str, rejected: list[Rejection], project: str | None = None) -> list[dict]:
    received_at = datetime.now(timezone.utc).isoformat()
    rows = []
    for rejection in rejected:
        raw_text = printable(rejection.raw if isinstance(rejection.raw, str) else raw_json(rejection.raw))
        rows.append({
            # Same bad record sent again → same id, so replays never pile up dead letters.
            "event_id": hashlib.sha256(raw_text.encode()).hexdigest(),
            "received_at": received_at,
            "endpoint": endpoint,
            "record_index": rejection.index,
            "field": printable(rejection.field),
            "reason": printable(rejection.reason),
            "raw_record": raw_text,
            "project": project,
        })
    return rows


def _as_json_array(body: bytes) -> tuple[bytes, list[bytes] | None]:
    """The body as one JSON array, plus its lines when it came as NDJSON."""
    stripped = body.strip()
    if not stripped:
        raise BatchError("empty body: send a JSON array or NDJSON records")
    if stripped[:1] == b"[":
        return stripped, None
    lines = [line for line in stripped.split(b"\n") if line.strip()]
    if len(lines) > MAX_RECORDS:
        raise BatchError(f"{len(lines)} records in one request; at most {MAX_RECORDS}", 413)
    return b"[" + b",".join(lines) + b"]", lines


def _field_of(error: dict) -> str:
    if error["type"] == "field_error":
        return error["ctx"]["field"]
    location = error["loc"][1:]
    return ".".join(str(part) for part in location) if location else "(record)"


def _reason_of(error: dict) -> str:
    if error["type"] == "field_error":
        return error["ctx"]["message"]
    if error["type"] == "string_pattern_mismatch":  # the text patterns of the record models
        return text_problem(error["input"])
    if error["type"] == "string_unicode":  # pydantic-core's words for a lone surrogate
        return "contains a lone surrogate (\\ud800-\\udfff), which is not Unicode"
    return error["msg"]


def validate_batch(kind: str, body: bytes) -> Batch:
    array, lines = _as_json_array(body)
    adapter = LIST_ADAPTERS[kind]
    try:
        accepted = adapter.validate_json(array)
    except ValidationError as exc:
        return _split(kind, exc, array, lines)
    _check_size(len(accepted))
    return Batch(kind=kind, accepted=accepted)


def _check_size(count: int) -> None:
    if count > MAX_RECORDS:
        raise BatchError(f"{count} records in one request; at most {MAX_RECORDS}", 413)


def parse_json(text: bytes) -> Any:
    """Python's JSON parser (it keeps integers exact and reads lone surrogates; jiter does neither),
    with nesting past its recursion limit reported as the ValueError it is."""
    try:
        return json.loads(text)
    except RecursionError:
        raise ValueError("nested too deeply to parse") from None


def _parse_lines(lines: list[bytes]) -> tuple[list[Any], dict[int, Rejection]]:
    raw_records: list[Any] = []
    rejected: dict[int, Rejection] = {}
    for index, line in enumerate(lines):
        try:
            raw_records.append(parse_json(line))
        except ValueError as line_error:
            text = line.decode(errors="replace")
            rejected[index] = Rejection(index, "(json)", f"line {index + 1} is not JSON: {line_error}", text)
            raw_records.append(None)
    return raw_records, rejected


def _split(kind: str, exc: ValidationError, array: bytes, lines: list[bytes] | None) -> Batch:
    errors = exc.errors(include_url=False)
    rejected: dict[int, Rejection] = {}
    if lines is not None and any(error["type"] == "json_invalid" for error in errors):
        raw_records, rejected = _parse_lines(lines)
    else:
        try:
            raw_records = parse_json(array)
        except ValueError:
            raise BatchError(f"body is not valid JSON: {errors[0]['msg']}") from None
        if not isinstance(raw_records, list):
            raise BatchError("body must be a JSON array of records or NDJSON") from None
    _check_size(len(raw_records))

    return validate_records(kind, raw_records, rejected)


def validate_records(kind: str, raw_records: list, rejected: dict[int, Rejection] | None = None) -> Batch:
    """Validate already-parsed records; `rejected` holds indices already known to be bad."""
    rejected = dict(rejected or {})
    good_index = [index for index in range(len(raw_records)) if index not in rejected]
    try:
        accepted = LIST_ADAPTERS[kind].validate_python([raw_records[i] for i in good_index])
        return Batch(kind=kind, accepted=accepted, rejected=sorted(rejected.values(), key=lambda r: r.index))
    except ValidationError as inner:
        by_position: dict[int, dict] = {}
        for error in inner.errors(include_url=False):
            if error["loc"] and isinstance(error["loc"][0], int):
                by_position.setdefault(error["loc"][0], error)
    for position, error in by_position.items():
        index = good_index[position]
        rejected[index] = Rejection(index, _field_of(error), _reason_of(error), raw_records[index])
    survivors = [raw_records[i] for i in good_index if i not in rejected]
    accepted = LIST_ADAPTERS[kind].validate_python(survivors)
    return Batch(kind=kind, accepted=accepted, rejected=sorted(rejected.values(), key=lambda r: r.index))
