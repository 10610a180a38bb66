"""Every chart and table's data is a named widget: a function from the view's context to the
Cube queries that draw it. The page callbacks and the CSV export run the same function, so an
exported file holds exactly the rows Cube returned for what is on screen."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from typing import Callable

from dashboard import context, filters
from dashboard.context import Ctx


@dataclass(frozen=True)
class Unavailable:
    reason: str


Builder = Callable[[Ctx], "dict[str, dict] | Unavailable"]
REGISTRY: dict[str, Builder] = {}


def widget(name: str):
    def register(builder: Builder) -> Builder:
        REGISTRY[name] = builder
        return builder
    return register


def cannot_follow(view: str, missing: list[str]) -> Unavailable:
    names = ", ".join(filters.SEGMENT_LABELS.get(k, k).lower() for k in missing)
    return Unavailable(f"The “{view}” view your role reads here has no {names} field, so this "
                       f"widget cannot follow the {names} filter.")


def run(name: str, ctx: Ctx) -> "dict[str, list[dict]] | Unavailable":
    queries = REGISTRY[name](ctx)
    if isinstance(queries, Unavailable):
        return queries
    return context.load_all(ctx.client, queries)


def to_csv(parts: dict[str, list[dict]]) -> str:
    """Cube's rows as CSV, columns named by member; a `part` column when several queries."""
    multi = len(parts) > 1
    columns: list[str] = []
    for rows in parts.values():
        for row in rows:
            columns += [k for k in row if k not in columns]
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow((["part"] if multi else []) + columns)
    for part, rows in parts.items():
        for row in rows:
            writer.writerow(([part] if multi else []) + [row.get(c) for c in columns])
    return out.getvalue()
