"""Arrow schemas of the raw tables the demo writes, built from the contract (outcomelens.contract).

Timestamps are tz-aware UTC (`timestamp[us, tz=UTC]` → timestamptz), ids are strings, counts int64
(bigint), measures float64 (double precision). `nullable=False` marks the columns the contract never
lets be NULL; the demo fills every one of them.
"""

from __future__ import annotations

import pyarrow as pa

from outcomelens.contract.arrow import arrow_schema

# The tables in the order the demo writes them.
_DEMO_TABLES = (
    "llm_calls", "conversation_events", "feedback",
    "hubspot_contacts", "hubspot_deals", "hubspot_deal_contact_associations", "outcome_metrics",
)
# `variant` on outcome rows is an extra column (dlt keeps extra columns as they come), not contracted.
_EXTRA_FIELDS = {"outcome_metrics": (pa.field("variant", pa.string(), nullable=True),)}

SCHEMAS: dict[str, pa.Schema] = {
    table: arrow_schema(table, strict_nulls=True, extra=_EXTRA_FIELDS.get(table, ())) for table in _DEMO_TABLES
}

TABLES: tuple[str, ...] = tuple(SCHEMAS)
