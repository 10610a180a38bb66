"""All Dagster definitions: every `orchestration/defs/<domain>/definitions.py` merged into one.

A new domain adds its own folder with a `defs` object; nothing here changes.
"""

import importlib
import pkgutil

import dagster as dg

import orchestration.defs as domains

PIPELINE_JOB_NAME = "outcomelens_pipeline"


def domain_definitions() -> list[dg.Definitions]:
    found = []
    for domain in sorted(m.name for m in pkgutil.iter_modules(domains.__path__) if m.ispkg):
        try:
            module = importlib.import_module(f"{domains.__name__}.{domain}.definitions")
        except ModuleNotFoundError as exc:
            if exc.name != f"{domains.__name__}.{domain}.definitions":
                raise
            continue
        found.append(module.defs)
    return found


pipeline_job = dg.define_asset_job(
    PIPELINE_JOB_NAME,
    selection=dg.AssetSelection.all(),
    description="Load landed data with dlt, build the dbt marts, then everything downstream.",
)

defs = dg.Definitions.merge(*domain_definitions(), dg.Definitions(jobs=[pipeline_job]))
