"""Outcome metrics from CSV: one row per metric value, bad rows reported by line and column."""

from __future__ import annotations

import csv
import io

from ingestion.collector.batches import Batch, BatchError, Rejection, validate_records

REQUIRED_COLUMNS = ("experiment_id", "metric_name", "metric_value", "timestamp")
KNOWN_COLUMNS = REQUIRED_COLUMNS + ("intent", "capability", "action", "llm_model", "user_id")


def parse_outcomes_csv(text: str) -> tuple[Batch, list[int]]:
    """The validated batch and, for each record of it, the CSV line it came from.

    Rejections carry the CSV line number (1 = the header) as their index.
    """
    reader = csv.DictReader(io.StringIO(text))
    header = reader.fieldnames or []
    missing = [column for column in REQUIRED_COLUMNS if column not in header]
    if missing:
        raise BatchError(f"CSV header lacks column(s): {', '.join(missing)}")
    rows, lines = [], []
    for row in reader:
        if None in row:  # more cells than header columns
            rows.append({"__too_many_cells__": row.pop(None)})
        else:
            # Empty cells are absent values; every column, known or extra, is kept.
            rows.append({key: (value if value != "" else None) for key, value in row.items()} | {"source": "csv"})
        lines.append(reader.line_num)
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
