"""Outcome metrics from CSV: one row per metric value, bad rows reported by line and column."""

from __future__ import annotations

import csv
import io

from ingestion.collector.batches import Batch, BatchError, Rejection, validate_records

REQUIRED_COLUMNS = ("experiment_id", "metric_name", "metric_value", "timestamp")
KNOWN_COLUMNS = REQUIRED_COLUMNS + ("intent", "capability", "action", "llm_model", "user_id")
# An upload is one batch: its rows are validated and spooled together, so they are capped like a batch's
# bytes are. A cell is capped by Python's csv module (131,072 characters).
MAX_CSV_ROWS = 100_000


def _read_rows(reader: csv.DictReader) -> tuple[list[dict], list[int]]:
    rows, lines = [], []
    try:
        for row in reader:
            if len(rows) == MAX_CSV_ROWS:
                raise BatchError(f"CSV has more than {MAX_CSV_ROWS} rows: split it into several uploads", 413)
            if None in row:  # more cells than header columns
                rows.append({"__too_many_cells__": row.pop(None)})
            else:
                # Empty cells are absent values; every column, known or extra, is kept.
                rows.append({key: (value if value != "" else None) for key, value in row.items()} | {"source": "csv"})
            lines.append(reader.line_num)
    except csv.Error as exc:
        # line_num counts the lines read whole; the one that failed is the next.
        raise BatchError(f"CSV line {reader.line_num + 1}: {exc}") from None
    return rows, lines


def parse_outcomes_csv(text: str) -> tuple[Batch, list[int]]:
    """The validated batch and, for each record of it, the CSV line it came from.

    Rejections carry the CSV line number (1 = the header) as their index.
    """
    reader = csv.DictReader(io.StringIO(text))
    try:
        header = reader.fieldnames or []
    except csv.Error as exc:
        raise BatchError(f"CSV header: {exc}") from None
    missing = [column for column in REQUIRED_COLUMNS if column not in header]
    if missing:
        raise BatchError(f"CSV header lacks column(s): {', '.join(missing)}")
    rows, lines = _read_rows(reader)
    pre_rejected = {
        index: Rejection(index, "(row)", f"{len(row['__too_many_cells__'])} more cell(s) than the header has", row)
        for index, row in enumerate(rows)
        if "__too_many_cells__" in row
    }
    batch = validate_records("outcomes", rows, pre_rejected)
    for rejection in batch.rejected:
        if rejection.field == "occurred_at":  # the CSV calls it timestamp
            rejection.field = "timestamp"
        rejection.reason = f"line {lines[rejection.index]}, column {rejection.field}: {rejection.reason}"
        rejection.index = lines[rejection.index]
    return batch, lines
