"""Scheduled pulls from external APIs into raw.*: HubSpot (incremental) and provider usage.

These are op jobs, not assets, on purpose: the demo's pipeline job materialises every asset, and
these need credentials a demo machine does not have. Near-real-time records arrive through the
collector and its loader process instead (started by `outcomelens up`). The schedules start
stopped; turn them on in the Dagster UI once SOURCES__HUBSPOT__API_KEY / provider keys are set.
"""


import os

import dagster as dg

from ingestion.sources.anthropic import anthropic_usage_source
from ingestion.sources.hubspot.pipeline import run_hubspot
from ingestion.sources.openai import openai_usage_source
from ingestion.sources.provider_usage import run_usage
from orchestration.defs.warehouse.resources import WarehouseResource
from outcomelens.core import paths
from outcomelens.core.provider_keys import ProviderKeyStore, master_key


@dg.op(description="dlt: HubSpot contacts, deals changed since the last run, and their contact links → raw.hubspot_*")
def hubspot_sync(context: dg.OpExecutionContext, warehouse: WarehouseResource) -> None:
    if not os.environ.get("SOURCES__HUBSPOT__API_KEY"):
        raise dg.Failure("SOURCES__HUBSPOT__API_KEY is not set: add a HubSpot private-app token")
    info = run_hubspot(paths.pipelines_dir())
    counts = info.pipeline.last_trace.last_normalize_info.row_counts
    context.add_output_metadata({name: dg.MetadataValue.int(n) for name, n in counts.items() if not name.startswith("_dlt")})


@dg.op(description="dlt: OpenAI and Anthropic organisation usage for every stored provider key → raw.provider_usage")
def provider_usage_sync(context: dg.OpExecutionContext, warehouse: WarehouseResource) -> None:
    store = ProviderKeyStore(warehouse.connect, master_key(paths.data_dir()))
    sources = []
    for info in store.list():
        if info.provider == "openai":
            sources.append(openai_usage_source(api_key=store.secret(info.provider, info.name)).with_resources("openai_usage"))
        elif info.provider == "anthropic":
            sources.append(anthropic_usage_source(api_key=store.secret(info.provider, info.name)))
        # Gemini has no usage API: its usage arrives with each logged call (usageMetadata).
    if not sources:
        context.log.info("no OpenAI or Anthropic keys stored (`outcomelens keys provider add`); nothing to pull")
        return
    run_usage(paths.pipelines_dir(), sources)


@dg.job(description="HubSpot incremental sync")
def hubspot_sync_job():
    hubspot_sync()


@dg.job(description="Provider usage sync")
def provider_usage_job():
    provider_usage_sync()


defs = dg.Definitions(
    jobs=[hubspot_sync_job, provider_usage_job],
    schedules=[
        dg.ScheduleDefinition(job=hubspot_sync_job, cron_schedule="*/15 * * * *",
                              default_status=dg.DefaultScheduleStatus.STOPPED),
        dg.ScheduleDefinition(job=provider_usage_job, cron_schedule="17 * * * *",
                              default_status=dg.DefaultScheduleStatus.STOPPED),
    ],
)
