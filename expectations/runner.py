"""Run a data-quality suite against the warehouse with Great Expectations 1.x.

data source (Postgres, the warehouse's own connection) → table asset → whole-table batch definition
→ expectation suite → validation definition → checkpoint. The context is a file context under the
project's data directory (`<data dir>/great_expectations`), so results and definitions can be read
after the run; every run re-registers the definitions it needs (idempotent).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import great_expectations as gx
from great_expectations.data_context.types.base import ProgressBarsConfig

from expectations.suites import SUITES, Suite
from outcomelens.core.warehouse import Warehouse

DATASOURCE = "warehouse"


def sqlalchemy_url(warehouse: Warehouse) -> str:
    """The warehouse as a SQLAlchemy URL; a unix-socket directory travels as `?host=/dir`."""
    auth = quote(warehouse.user, safe="") + (f":{quote(warehouse.password, safe='')}" if warehouse.password else "")
    if warehouse.is_socket:
        return (f"postgresql+psycopg2://{auth}@/{quote(warehouse.database, safe='')}"
                f"?host={quote(warehouse.host, safe='/')}&port={warehouse.port}")
    return f"postgresql+psycopg2://{auth}@{warehouse.host}:{warehouse.port}/{quote(warehouse.database, safe='')}"


@dataclass(frozen=True)
class SuiteOutcome:
    suite: str
    success: bool
    evaluated: int
    failed: list[dict]  # one entry per failed expectation: type, column, description, observed

    def summary(self) -> str:
        if self.success:
            return f"{self.suite}: all {self.evaluated} expectations met"
        names = ", ".join(f["expectation"] + (f"({f['column']})" if f.get("column") else "") for f in self.failed)
        return f"{self.suite}: {len(self.failed)} of {self.evaluated} expectations failed: {names}"


def context(project_root: Path):
    """A file-backed GX context under project_root (created on first use)."""
    project_root.mkdir(parents=True, exist_ok=True)
    ctx = gx.get_context(mode="file", project_root_dir=str(project_root))
    # progress bars would interleave with Dagster's and pytest's output
    ctx.variables.progress_bars = ProgressBarsConfig(globally=False, metric_calculations=False)
    return ctx


def _datasource(ctx, warehouse: Warehouse):
    url = sqlalchemy_url(warehouse)
    try:
        existing = ctx.data_sources.get(DATASOURCE)
    except (KeyError, ValueError):
        existing = None
    if existing is not None:
        # the warehouse can move between runs (embedded socket dir, another database): follow it
        ctx.data_sources.delete(DATASOURCE)
    # The generic SQL data source: GX's Postgres one validates the URL as a DSN with a host, which a
    # unix-socket URL (`@/db?host=/dir`) does not have.
    return ctx.data_sources.add_sql(name=DATASOURCE, connection_string=url)


def _replace(collection, name: str, item):
    try:
        collection.delete(name)
    except Exception:  # noqa: BLE001 — GX raises different errors for "not found" per collection
        pass
    return collection.add(item)


def _first_error(exception_info) -> str | None:
    if not exception_info:
        return None
    infos = exception_info.values() if "raised_exception" not in exception_info else [exception_info]
    for info in infos:
        if isinstance(info, dict) and info.get("raised_exception"):
            return str(info.get("exception_message", ""))[:300]
    return None


def _outcome(suite: Suite, result) -> SuiteOutcome:
    failed = []
    evaluated = 0
    for run_result in result.run_results.values():
        for r in run_result.results:
            evaluated += 1
            if r.success:
                continue
            config = r.expectation_config
            observed = r.result.get("observed_value") if r.result else None
            failed.append({
                "expectation": config.type,
                "column": config.kwargs.get("column"),
                "description": getattr(config, "description", None),
                "observed": observed if isinstance(observed, (int, float, str, type(None))) else str(observed)[:200],
                "unexpected_count": (r.result or {}).get("unexpected_count"),
                # an expectation that could not be evaluated fails: a broken check never passes silently
                "error": _first_error(r.exception_info),
            })
    return SuiteOutcome(suite=suite.name, success=bool(result.success), evaluated=evaluated, failed=failed)


def run_suite(suite: Suite, warehouse: Warehouse, project_root: Path) -> SuiteOutcome:
    ctx = context(project_root)
    datasource = _datasource(ctx, warehouse)
    asset = datasource.add_table_asset(name=suite.name, table_name=suite.table, schema_name=suite.schema)
    batch_definition = asset.add_batch_definition_whole_table("whole_table")
    gx_suite = _replace(ctx.suites, suite.name, gx.ExpectationSuite(name=suite.name))
    for expectation in suite.expectations:
        gx_suite.add_expectation(expectation.copy() if hasattr(expectation, "copy") else expectation)
    validation = _replace(
        ctx.validation_definitions,
        suite.name,
        gx.ValidationDefinition(name=suite.name, data=batch_definition, suite=gx_suite),
    )
    checkpoint = _replace(ctx.checkpoints, suite.name, gx.Checkpoint(name=suite.name, validation_definitions=[validation]))
    return _outcome(suite, checkpoint.run())


def suite_named(name: str) -> Suite:
    for suite in SUITES:
        if suite.name == name:
            return suite
    raise KeyError(f"no data-quality suite named {name!r}; known: {[s.name for s in SUITES]}")
