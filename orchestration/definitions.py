"""Every Dagster definition of OutcomeLens, loaded by Dagster's own loader from `orchestration/defs/`.

Each folder there is one domain (warehouse, landing, transformation, quality, insights,
hubspot, provider_usage, pipeline) with its `assets.py`, `resources.py`, `jobs.py`, `schedules.py` and
`sensors.py`; the loader finds every definition in them (the project is named in pyproject.toml's
[tool.dg]). A new domain adds a folder; nothing here changes. The loader collects every definition a
module holds, imported ones included, so a schedule or sensor imports its job's module, not the job.
"""

from pathlib import Path

import dagster as dg

from orchestration.defs.pipeline.jobs import PIPELINE_JOB_NAME

defs = dg.load_from_defs_folder(path_within_project=Path(__file__).parent)

__all__ = ["PIPELINE_JOB_NAME", "defs"]
