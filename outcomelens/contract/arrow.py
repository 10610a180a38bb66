"""Arrow schemas of the raw tables, built from the registry (the loader's and the demo's)."""

from __future__ import annotations

import pyarrow as pa

from outcomelens.contract.tables import RAW_TABLES

ARROW_TYPES: dict[str, pa.DataType] = {
    "text": pa.string(),
    "timestamp": pa.timestamp("us", tz="UTC"),  # → timestamptz
    "double": pa.float64(),  # → double precision
    "bigint": pa.int64(),
}


def arrow_schema(table: str, *, strict_nulls: bool = False, extra: tuple[pa.Field, ...] = ()) -> pa.Schema:
    """The contracted columns of `table` in contract order, then `extra`.

    strict_nulls=False types every column nullable (a reader that only types what it finds);
    strict_nulls=True marks the columns the contract never lets be NULL as `nullable=False`.
    """
    fields = [
        pa.field(column.name, ARROW_TYPES[column.type], nullable=column.nullable or not strict_nulls)
        for column in RAW_TABLES[table].columns
    ]
    return pa.schema([*fields, *extra])
