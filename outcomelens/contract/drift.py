"""Where a copy of the contract differs from the registry: each check returns the differences it
finds, one sentence each naming the table (or file) and column, and an empty list when they agree.

The copies built in higher layers (the collector's record models, the loader's and the demo's Arrow
schemas, the GX suites, the dlt column hints) are passed in by the caller, so this module imports
nothing above the contract; the file copies (dbt YAML and macros, docs, the Cube model) are read
from a project root, so a test can check an altered copy of the tree.
"""

from __future__ import annotations

import ast
import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any, Iterable, Literal, Mapping, Union

import pyarrow as pa
import yaml
from typing_extensions import Annotated, NotRequired, get_args, get_origin

from outcomelens.contract.arrow import ARROW_TYPES
from outcomelens.contract.docs import stale_blocks
from outcomelens.contract.segments import (
    ANALYSIS_DIMENSIONS,
    LATENCY_EDGES_MS,
    RESOLUTION_EDGES_S,
    SEGMENT_DIMENSIONS,
    SEGMENTED_MARTS,
)
from outcomelens.contract.tables import PYTHON_TYPES, RAW_TABLES, Table

CUBE_MEMBERS_JS = Path(__file__).with_name("cube_members.js")


def _names(kind: str, table: str, found: Iterable[str], expected: Iterable[str]) -> list[str]:
    found, expected = list(found), list(expected)
    if found == expected:
        return []
    missing = [name for name in expected if name not in found]
    extra = [name for name in found if name not in expected]
    if missing or extra:
        return [f"{kind} {table}: missing {missing}, not in the contract {extra}"]
    return [f"{kind} {table}: columns in another order than the contract: {found}"]


# --- copies built in Python ---------------------------------------------------------------------


def arrow_differences(kind: str, schemas: Mapping[str, pa.Schema], strict_nulls: bool) -> list[str]:
    """Arrow schemas whose contracted columns differ in name, order, type or (strict) nullability.

    Fields after the contracted ones are extras the copy may add (they are not checked)."""
    differences = []
    for table, schema in schemas.items():
        contract = RAW_TABLES[table]
        head = list(schema)[: len(contract.columns)]
        differences += _names(kind, table, [field.name for field in head], contract.column_names)
        for field, column in zip(head, contract.columns):
            if field.name == column.name and field.type != ARROW_TYPES[column.type]:
                differences.append(f"{kind} {table}.{field.name}: {field.type}, the contract says {column.type}")
            if strict_nulls and field.name == column.name and field.nullable != column.nullable:
                differences.append(f"{kind} {table}.{field.name}: nullable={field.nullable}, the contract "
                                   f"says nullable={column.nullable}")
    return differences


def _value_type(annotation: Any) -> Any:
    """The value type under NotRequired, Optional and Annotated."""
    origin = get_origin(annotation)
    if origin is NotRequired or origin is Annotated:
        return _value_type(get_args(annotation)[0])
    if origin is Union:
        return _value_type(next(arg for arg in get_args(annotation) if arg is not type(None)))
    return annotation


def record_model_differences(table: str, model: type) -> list[str]:
    """A TypedDict of intake records whose fields, required keys, types or closed values differ."""
    contract = RAW_TABLES[table]
    hints = model.__annotations__
    differences = _names("record model", table, hints, [column.name for column in contract.record_columns])
    required = [name for name in hints if name in model.__required_keys__]
    if required != list(contract.required):
        differences.append(f"record model {table}: required {required}, the contract requires {list(contract.required)}")
    for column in contract.columns:
        if column.name not in hints:
            continue
        value_type = _value_type(hints[column.name])
        if column.closed:
            if get_origin(value_type) is not Literal or get_args(value_type) != column.values:
                differences.append(f"record model {table}.{column.name}: {value_type}, the contract allows {column.values}")
        elif value_type is not Any and value_type is not PYTHON_TYPES[column.type]:
            differences.append(f"record model {table}.{column.name}: {value_type}, the contract says {column.type}")
    return differences


def dlt_hint_differences(table: str, hints: Mapping[str, Mapping[str, Any]]) -> list[str]:
    """dlt column hints (a source's `columns=`) whose names or data types differ."""
    contract = RAW_TABLES[table]
    differences = _names("dlt hints", table, hints, contract.column_names)
    for name, hint in hints.items():
        if name in contract.column_names and hint.get("data_type") != contract.column(name).type:
            differences.append(f"dlt hints {table}.{name}: {hint.get('data_type')}, the contract says "
                               f"{contract.column(name).type}")
    return differences


def gx_differences(suites: Iterable[Any]) -> list[str]:
    """Raw-table GX suites whose schema columns, not-null columns or value sets differ.

    A suite checks that contracted columns exist (a subset, in contract order); it may expect more
    columns filled than intake requires, never one the contract lets be NULL."""
    differences = []
    for suite in suites:
        if suite.schema != "raw":
            continue
        contract = RAW_TABLES[suite.table]
        by_kind: dict[str, list[Any]] = {}
        for expectation in suite.expectations:
            by_kind.setdefault(type(expectation).__name__, []).append(expectation)
        existing = [e.column for e in by_kind.get("ExpectColumnToExist", [])]
        in_contract = [name for name in contract.column_names if name in existing]
        if existing != in_contract:
            extra = [name for name in existing if name not in contract.column_names]
            differences.append(f"GX suite {suite.table}: expects columns the contract does not name {extra} "
                               f"or in another order: {existing}")
        for expectation in by_kind.get("ExpectColumnValuesToNotBeNull", []):
            if expectation.column not in contract.column_names or contract.column(expectation.column).nullable:
                differences.append(f"GX suite {suite.table}.{expectation.column}: expected not null, "
                                   "the contract lets it be NULL or does not name it")
        for expectation in by_kind.get("ExpectColumnValuesToBeInSet", []):
            expected = contract.column(expectation.column).values
            if tuple(expectation.value_set) != expected:
                differences.append(f"GX suite {suite.table}.{expectation.column}: values "
                                   f"{list(expectation.value_set)}, the contract lists {list(expected)}")
    return differences


# --- copies in files ----------------------------------------------------------------------------


def _column_tests(column: Mapping[str, Any]) -> dict[str, Any]:
    tests = {}
    for test in column.get("data_tests") or []:
        name, arguments = (test, {}) if isinstance(test, str) else next(iter(test.items()))
        tests[name] = (arguments or {}).get("arguments", arguments) or {}
    return tests


def _dbt_table_differences(source: str, table: Mapping[str, Any]) -> list[str]:
    name = table["name"]
    contract = RAW_TABLES.get(name)
    if contract is None or contract.dbt_source != source:
        return [f"dbt source {source}.{name}: not a table the contract gives to this source"]
    columns = table.get("columns") or []
    differences = _names("dbt source", name, [column["name"] for column in columns], contract.column_names)
    table_tests = _column_tests(table)
    for column in columns:
        tests = _column_tests(column)
        if column["name"] not in contract.column_names:
            continue
        declared = contract.column(column["name"])
        if "not_null" in tests and declared.nullable:
            differences.append(f"dbt source {name}.{declared.name}: not_null test, the contract lets it be NULL")
        if "accepted_values" in tests and tuple(tests["accepted_values"].get("values", ())) != declared.values:
            differences.append(f"dbt source {name}.{declared.name}: accepted values "
                               f"{tests['accepted_values'].get('values')}, the contract lists {list(declared.values)}")
    if not contract.always_present:
        # A test on a table that does not exist yet would fail the build: none may be declared.
        if table_tests or any(_column_tests(column) for column in columns):
            differences.append(f"dbt source {name}: tests declared on a table that may not exist yet")
        return differences
    return differences + _dbt_key_differences(contract, columns, table_tests)


def _dbt_key_differences(contract: Table, columns: list, table_tests: Mapping[str, Any]) -> list[str]:
    """The primary key is tested: not_null + unique on a single column, a unique combination otherwise."""
    if len(contract.primary_key) > 1:
        combination = table_tests.get("unique_combination_of_columns", {}).get("combination_of_columns")
        if tuple(combination or ()) != contract.primary_key:
            return [f"dbt source {contract.name}: unique combination {combination}, the key is {list(contract.primary_key)}"]
        return []
    (key,) = contract.primary_key
    tests = next((_column_tests(column) for column in columns if column["name"] == key), {})
    if {"not_null", "unique"} <= set(tests):
        return []
    return [f"dbt source {contract.name}.{key}: the primary key lacks its not_null and unique tests"]


PRODUCT_SCHEMA = "ops"  # outcomelens/core/migrations/ (the experiment registry is modelled from there)


def dbt_source_differences(root: Path) -> list[str]:
    """dbt sources YAML (dbt_project/models/staging/*/_*__sources.yml) that differ from the registry."""
    differences, seen = [], set()
    for path in sorted((root / "dbt_project" / "models").glob("staging/*/_*__sources.yml")):
        for source in yaml.safe_load(path.read_text())["sources"]:
            if source.get("schema") == PRODUCT_SCHEMA:
                continue  # the product's own tables: their migrations define them, not the landing contract
            for table in source.get("tables") or []:
                seen.add(table["name"])
                differences += _dbt_table_differences(source["name"], table)
    for table in RAW_TABLES.values():
        if table.dbt_source and table.name not in seen:
            differences.append(f"dbt source {table.dbt_source}.{table.name}: missing from the sources YAML")
    return differences


CONTRACT_MACROS = {
    "segment_dimensions": SEGMENT_DIMENSIONS,
    "latency_edges_ms": LATENCY_EDGES_MS,
    "resolution_edges_s": RESOLUTION_EDGES_S,
}


def dbt_macro_differences(root: Path) -> list[str]:
    """dbt_project/macros/contract.sql: each macro returns the registry's list."""
    text = (root / "dbt_project" / "macros" / "contract.sql").read_text()
    differences = []
    for macro, expected in CONTRACT_MACROS.items():
        match = re.search(r"macro\s+" + macro + r"\(\)\s*%}\s*{{\s*return\((\[.*?\])\)", text, re.DOTALL)
        found = tuple(ast.literal_eval(match[1])) if match else None
        if found != tuple(expected):
            differences.append(f"dbt macro {macro}(): {found}, the contract says {list(expected)}")
    return differences


def _restated(values: Iterable[Any]) -> re.Pattern:
    # the values in order, separated by commas, quotes, blanks and table prefixes (`c.variant`)
    separator = r"""['"`]?\s*,\s*['"`]?(?:\w+\.)?"""
    return re.compile(r"\b" + separator.join(re.escape(str(value)) for value in values) + r"\b")


def dbt_restated_lists(root: Path) -> list[str]:
    """dbt models and tests that list the dimensions or edges themselves instead of the macros."""
    patterns = {name: _restated(values) for name, values in CONTRACT_MACROS.items()}
    project = root / "dbt_project"
    differences = []
    for path in sorted([*project.glob("models/**/*.sql"), *project.glob("tests/**/*.sql")]):
        text = path.read_text()
        for macro, pattern in patterns.items():
            if pattern.search(text):
                differences.append(f"{path.relative_to(root)}: lists {macro} itself; loop over {macro}() instead")
    return differences


def docs_differences(root: Path) -> list[str]:
    """docs/contracts.md blocks that differ from what the registry writes."""
    stale = stale_blocks((root / "docs" / "contracts.md").read_text())
    return [f"docs/contracts.md: block {name} differs from the contract (run python -m outcomelens.contract.docs)"
            for name in stale]


def cube_members(semantic_layer: Path) -> dict:
    """The edges and cube dimensions of the semantic layer, as node evaluates its files."""
    node = shutil.which("node") or str(semantic_layer / "node_modules" / ".bin" / "node")
    result = subprocess.run([node, str(CUBE_MEMBERS_JS), str(semantic_layer)], capture_output=True, text=True,
                            check=True, timeout=60)
    return json.loads(result.stdout)


def cube_differences(members: Mapping[str, Any]) -> list[str]:
    """percentiles.js edges, and the cubes over the segmented marts, that differ from the registry.

    A cube over a segmented mart that declares any segment dimension declares all, in contract order."""
    differences = []
    for key, expected in (("latency_edges_ms", LATENCY_EDGES_MS), ("resolution_edges_s", RESOLUTION_EDGES_S)):
        if tuple(members[key]) != expected:
            differences.append(f"semantic_layer/percentiles.js {key}: {members[key]}, the contract says {list(expected)}")
    marts = {f"marts.{mart}" for mart in SEGMENTED_MARTS}
    for cube, declared in members["cubes"].items():
        segments = [name for name in declared["dimensions"] if name in SEGMENT_DIMENSIONS]
        if declared["sql_table"] in marts and segments and tuple(segments) != SEGMENT_DIMENSIONS:
            missing = [name for name in SEGMENT_DIMENSIONS if name not in segments]
            differences.append(f"cube {cube}: segment dimensions {segments} (missing {missing}), "
                               f"the contract says {list(SEGMENT_DIMENSIONS)}")
    return differences


def file_differences(root: Path) -> list[str]:
    """Every file-held copy under a project root."""
    return (
        dbt_source_differences(root)
        + dbt_macro_differences(root)
        + dbt_restated_lists(root)
        + docs_differences(root)
        + cube_differences(cube_members(root / "semantic_layer"))
    )


def python_restated_lists(root: Path, packages: Iterable[str]) -> list[str]:
    """Python modules (outside the contract) that spell out the dimensions or edges themselves."""
    patterns = {
        "SEGMENT_DIMENSIONS": _restated(SEGMENT_DIMENSIONS),
        "ANALYSIS_DIMENSIONS": _restated(ANALYSIS_DIMENSIONS),
        "LATENCY_EDGES_MS": _restated(LATENCY_EDGES_MS),
        "RESOLUTION_EDGES_S": _restated(RESOLUTION_EDGES_S),
    }
    contract_dir = Path(__file__).resolve().parent
    differences = []
    for package in packages:
        for path in sorted((root / package).rglob("*.py")):
            if path.resolve().parent == contract_dir:
                continue
            text = path.read_text()
            for name, pattern in patterns.items():
                if pattern.search(text):
                    differences.append(f"{path.relative_to(root)}: spells out {name}; import it from outcomelens.contract")
    return differences
