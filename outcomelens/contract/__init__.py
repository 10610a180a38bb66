"""The one contract: the raw tables, the segment dimensions and the histogram bucket edges.

Declared here once and imported, or checked against by tests/unit/test_contract.py, everywhere else.
Imports nothing of the project but itself (the layer above outcomelens.core).
"""

from outcomelens.contract.segments import (
    ANALYSIS_DIMENSIONS,
    LATENCY_EDGES_MS,
    RESOLUTION_EDGES_S,
    SEGMENT_DIMENSIONS,
    SEGMENTED_MARTS,
)
from outcomelens.contract.tables import (
    COLLECTOR_TABLES,
    POSTGRES_TYPES,
    PYTHON_TYPES,
    RAW_TABLES,
    TYPES,
    Column,
    Table,
)

__all__ = [
    "ANALYSIS_DIMENSIONS",
    "COLLECTOR_TABLES",
    "LATENCY_EDGES_MS",
    "POSTGRES_TYPES",
    "PYTHON_TYPES",
    "RAW_TABLES",
    "RESOLUTION_EDGES_S",
    "SEGMENTED_MARTS",
    "SEGMENT_DIMENSIONS",
    "TYPES",
    "Column",
    "Table",
]
