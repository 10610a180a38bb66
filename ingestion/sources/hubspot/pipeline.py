"""Run the HubSpot source into raw.*: the warehouse's credentials are passed in, or else dlt reads them from
its own configuration (DESTINATION__POSTGRES__CREDENTIALS)."""

from __future__ import annotations

import dlt

from ingestion.sources.hubspot.source import hubspot_source

PIPELINE_NAME = "outcomelens_hubspot"


def hubspot_pipeline(pipelines_dir: str) -> dlt.Pipeline:
    return dlt.pipeline(pipeline_name=PIPELINE_NAME, destination="postgres", dataset_name="raw", pipelines_dir=pipelines_dir)


def run_hubspot(pipelines_dir: str, credentials: str | None = None, **source_kwargs):
    """One run: the first reads every contact and deal, later ones what changed since; the links of
    every deal read replace its earlier ones."""
    pipeline = hubspot_pipeline(pipelines_dir)
    return pipeline.run(hubspot_source(**source_kwargs), credentials=credentials)
