"""The semantic layer's own definitions as Python data, read without a Cube server.

`semantic_layer/describe.js` compiles semantic_layer/model/ with Cube's own compiler and prints every
cube's measures (type, meta, the column a measure over a bare column reads). Code that runs before
Cube may be up, such as the Dagster insights assets, names measures of a cube and learns from here
how to re-aggregate them from the mart's additive columns: a `sum` of one column, or a ratio whose
parts `semantic_layer/ratios.js` names in `meta.ratio`. No metric is redefined outside the model.
"""

from __future__ import annotations

import functools
import json
import subprocess
from dataclasses import dataclass
from pathlib import Path

from outcomelens.core import paths
from outcomelens.core.cube_server import is_installed, node_binary

DESCRIBE_SCRIPT = "describe.js"


class SemanticLayerError(RuntimeError):
    """The model cannot be read: Cube's packages are missing or the model does not compile."""


class MeasureError(LookupError):
    """A cube or measure the model does not define, or one that has no additive parts."""


@dataclass(frozen=True)
class AdditiveParts:
    """How a measure re-aggregates from its cube's table: sum(numerator) / sum(denominator), or
    sum(numerator) alone when `denominator` is None. Both are columns of the table."""

    measure: str
    numerator: str
    denominator: str | None = None


@functools.cache
def describe(semantic_layer_dir: Path = paths.SEMANTIC_LAYER_DIR) -> dict:
    """{"cubes": {cube: {"sql_table", "measures": {name: {"type", "column", "meta"}}}}}, compiled once
    per process (about a second)."""
    if not is_installed(semantic_layer_dir):
        raise SemanticLayerError(
            f"Cube's npm packages are not installed in {semantic_layer_dir}: run `make setup` "
            "(their compiler reads the model)"
        )
    result = subprocess.run(
        [node_binary(), DESCRIBE_SCRIPT], cwd=semantic_layer_dir, capture_output=True, text=True
    )
    if result.returncode != 0:
        raise SemanticLayerError(f"the semantic layer's model does not compile:\n{result.stderr[-4000:]}")
    return json.loads(result.stdout)


def cube(name: str) -> dict:
    cubes = describe()["cubes"]
    if name not in cubes:
        raise MeasureError(f"the semantic layer defines no cube {name!r}; it has {', '.join(sorted(cubes))}")
    return cubes[name]


def measure(cube_name: str, name: str) -> dict:
    measures = cube(cube_name)["measures"]
    if name not in measures:
        raise MeasureError(
            f"the semantic layer's cube {cube_name!r} defines no measure {name!r} "
            f"(semantic_layer/model/cubes/{cube_name}.js)"
        )
    return measures[name]


def _summed_column(cube_name: str, name: str) -> str | None:
    found = measure(cube_name, name)
    return found["column"] if found["type"] == "sum" else None


def additive_parts(cube_name: str, name: str) -> AdditiveParts:
    """The columns measure `name` of `cube_name` sums; MeasureError when it is undefined or
    neither a sum of a column nor a ratio of two such sums (a percentile, say)."""
    column = _summed_column(cube_name, name)
    if column is not None:
        return AdditiveParts(name, column)
    ratio = measure(cube_name, name)["meta"].get("ratio")
    if ratio:
        numerator = _summed_column(cube_name, ratio["numerator"])
        denominator = _summed_column(cube_name, ratio["denominator"])
        if numerator is not None and denominator is not None:
            return AdditiveParts(name, numerator, denominator)
    raise MeasureError(
        f"measure {cube_name}.{name} is neither a sum of a column nor a ratio of two such sums: "
        "it cannot be re-aggregated from additive parts"
    )
