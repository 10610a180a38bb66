"""Run the HubSpot source into raw.* (the warehouse's dlt credentials must be in the environment)."""

from __future__ import annotations

import dlt

from ingestion.sources.hubspot.source import hubspot_source

PIPELINE_NAME = "outcomelens_hubspot"


def hubspot_pipeline(pipelines_dir: str) -> dlt.Pipeline:
    return dlt.pipeline(pipeline_name=PIPELINE_NAME, destination="postgres", dataset_name="raw", pipelines_dir=pipelines_dir)


def run_hubspot(pipelines_dir: str, **source_kwargs):
    """One full-or-incremental run: contacts in full, deals changed since the last run, their links."""
    pipeline = hubspot_pipeline(pipelines_dir)
    return pipeline.run(hubspot_source(**source_kwargs))
