"""What a role may see of the semantic layer, from Cube's /v1/meta answered with the user's own token:
its views (tables here), their dimensions and measures (columns), with Postgres types."""

from __future__ import annotations

from dataclasses import dataclass, field

# Cube's dimension types and the Postgres type a column of that type gets.
DIMENSION_TYPES = {
    "string": "text",
    "number": "double precision",
    "boolean": "boolean",
    "time": "timestamp without time zone",
}
# Measures that count rows come back as integers; every other measure is a double.
COUNTING_AGGREGATIONS = {"count", "countDistinct", "countDistinctApprox"}


@dataclass(frozen=True)
class Column:
    name: str  # the column as SQL names it: the member without its view
    member: str  # view.member, as Cube names it
    is_measure: bool
    pg_type: str
    aggregation: str | None = None  # a measure's aggType (sum, count, avg, min, max, number, …)
    description: str = ""


@dataclass
class View:
    name: str
    description: str = ""
    columns: dict[str, Column] = field(default_factory=dict)


def _measure(item: dict) -> Column:
    aggregation = item.get("aggType") or item.get("type")
    pg_type = "bigint" if aggregation in COUNTING_AGGREGATIONS else "double precision"
    return Column(
        item["name"].split(".", 1)[1], item["name"], True, pg_type, aggregation, item.get("description") or ""
    )


def _dimension(item: dict) -> Column:
    return Column(
        item["name"].split(".", 1)[1],
        item["name"],
        False,
        DIMENSION_TYPES.get(item.get("type"), "text"),
        None,
        item.get("description") or "",
    )


def views_from_meta(meta: dict) -> dict[str, View]:
    """{view name: View} for every public view in a /v1/meta answer (cubes are private: not listed)."""
    views = {}
    for item in meta.get("cubes", []):
        if item.get("type", "view") != "view" or item.get("public") is False:
            continue
        view = View(item["name"], item.get("description") or "")
        for dimension in item.get("dimensions", []):
            view.columns[dimension["name"].split(".", 1)[1]] = _dimension(dimension)
        for measure in item.get("measures", []):
            view.columns[measure["name"].split(".", 1)[1]] = _measure(measure)
        views[view.name] = view
    return views
