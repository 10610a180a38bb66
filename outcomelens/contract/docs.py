"""The parts of docs/contracts.md written from the registry, between `<!-- contract:NAME -->` markers.

`python -m outcomelens.contract.docs` rewrites them after a change to the contract; `--check` only
reports the stale ones (tests/unit/test_contract.py runs the same check).
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

from outcomelens.contract.segments import LATENCY_EDGES_MS, RESOLUTION_EDGES_S, SEGMENT_DIMENSIONS
from outcomelens.contract.tables import POSTGRES_TYPES, RAW_TABLES, Column, Table
from outcomelens.core.paths import PROJECT_ROOT

CONTRACTS_MD = PROJECT_ROOT / "docs" / "contracts.md"

_WRITERS = {
    "collector": "the collector (HTTP intake → spool → loader)",
    "hubspot": "the HubSpot source",
    "provider_usage": "the provider usage sources (OpenAI, Anthropic, Gemini)",
}
_BLOCK = re.compile(r"(<!-- contract:(?P<name>[a-z-]+) -->\n)(?P<body>.*?)(<!-- /contract:(?P=name) -->)", re.DOTALL)


def _column_notes(column: Column) -> str:
    notes = []
    if column.required:
        notes.append("required")
    if column.nullable:
        notes.append("nullable")
    if column.values:
        listed = ", ".join(f"`{value}`" for value in column.values)
        notes.append(f"one of {listed}" if column.closed else f"expected {listed}")
    if column.minimum is not None:
        notes.append(f"≥ {column.minimum:g}")
    if column.maximum is not None:
        notes.append(f"≤ {column.maximum:g}")
    if column.doc:
        notes.append(column.doc)
    return "; ".join(notes)


def render_table(table: Table) -> str:
    key = ", ".join(f"`{name}`" for name in table.primary_key)
    lines = [
        f"### raw.{table.name} — {table.doc} (PK {key})",
        f"Written by {_WRITERS[table.loaded_by]}.",
        "",
        "| column | type | notes |",
        "|---|---|---|",
        *(f"| {c.name} | {POSTGRES_TYPES[c.type]} | {_column_notes(c)} |".replace("|  |", "| |") for c in table.columns),
    ]
    if table.notes:
        lines += ["", table.notes]
    return "\n".join(lines) + "\n"


def _edges(edges: tuple[int, ...]) -> str:
    return ", ".join(str(edge) for edge in edges)


def render_blocks() -> dict[str, str]:
    """Block name → its text as the registry says it."""
    return {
        "raw-tables": "\n".join(render_table(table) for table in RAW_TABLES.values()),
        "segment-dimensions": f"Grain: date_day, {', '.join(SEGMENT_DIMENSIONS)}.\n",
        "histogram-edges": (
            f"- `latency_le_<edge>`: number of calls with latency_ms ≤ edge, for edges (ms) "
            f"{_edges(LATENCY_EDGES_MS)} (above the last edge: llm_calls).\n"
            f"- `resolution_le_<edge>`: number of resolved conversations with resolution_time_s ≤ edge, "
            f"for edges (s) {_edges(RESOLUTION_EDGES_S)}.\n"
        ),
    }


def written_blocks(text: str) -> dict[str, str]:
    """Block name → its text as the document has it."""
    return {match["name"]: match["body"] for match in _BLOCK.finditer(text)}


def stale_blocks(text: str) -> list[str]:
    """The blocks the document lacks or whose text differs from the registry's."""
    written = written_blocks(text)
    return [name for name, body in render_blocks().items() if written.get(name) != body]


def rewrite(text: str) -> str:
    """The document with every block replaced by the registry's text (the markers must exist)."""
    blocks = render_blocks()
    missing = sorted(set(blocks) - set(written_blocks(text)))
    if missing:
        raise ValueError(f"docs/contracts.md lacks the markers of: {', '.join(missing)}")
    return _BLOCK.sub(lambda match: match[1] + blocks[match["name"]] + match[4], text)


def main(argv: list[str] | None = None, path: Path = CONTRACTS_MD) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only report stale blocks, exit 1 if any")
    args = parser.parse_args(argv)
    text = path.read_text()
    stale = stale_blocks(text)
    if args.check:
        for name in stale:
            print(f"{path.name}: block {name} differs from outcomelens.contract", file=sys.stderr)
        return 1 if stale else 0
    path.write_text(rewrite(text))
    return 0


if __name__ == "__main__":
    sys.exit(main())
