"""Great Expectations suites (expectations/) as Dagster asset checks, one per suite, attached to the
dlt asset or dbt model the suite validates."""


import dagster as dg

from expectations.runner import run_suite
from expectations.suites import SUITES, Suite
from orchestration.defs.warehouse.resources import WarehouseResource
from outcomelens.core import paths

CHECK_PREFIX = "gx_"


def gx_project_root(suite: Suite):
    # one file context per suite: checks may run in parallel processes
    return paths.subdir("great_expectations") / suite.name


def _check_for(suite: Suite) -> dg.AssetChecksDefinition:
    @dg.asset_check(
        asset=dg.AssetKey(list(suite.asset_key)),
        name=f"{CHECK_PREFIX}{suite.name}",
        description=f"Great Expectations suite `{suite.name}` on {suite.schema}.{suite.table}: {suite.description}",
        blocking=False,
    )
    def gx_check(context: dg.AssetCheckExecutionContext, warehouse: WarehouseResource) -> dg.AssetCheckResult:
        try:
            outcome = run_suite(suite, warehouse.warehouse, gx_project_root(suite))
        except Exception as exc:  # noqa: BLE001 — a suite that cannot run is a failed check, not a failed run
            context.log.error(f"suite {suite.name} could not run: {exc}")
            return dg.AssetCheckResult(
                passed=False,
                severity=dg.AssetCheckSeverity.ERROR,
                description=f"{suite.name}: could not run: {type(exc).__name__}",
                metadata={"suite": suite.name, "table": f"{suite.schema}.{suite.table}",
                          "error": str(exc)[:2000], "expectations_failed": -1},
            )
        context.log.info(outcome.summary())
        return dg.AssetCheckResult(
            passed=outcome.success,
            severity=dg.AssetCheckSeverity.ERROR,
            description=outcome.summary(),
            metadata={
                "suite": suite.name,
                "table": f"{suite.schema}.{suite.table}",
                "expectations_evaluated": outcome.evaluated,
                "expectations_failed": len(outcome.failed),
                "failed": dg.MetadataValue.json(outcome.failed),
            },
        )

    return gx_check


GX_CHECKS = [_check_for(suite) for suite in SUITES]
GX_CHECK_KEYS = [key for check in GX_CHECKS for key in check.check_keys]
