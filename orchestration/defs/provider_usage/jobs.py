"""OpenAI and Anthropic organisation usage pulled into raw.provider_usage, for every stored provider key.

An op job, not assets, on purpose: the demo's pipeline job materialises every asset, and this needs
provider admin keys (`outcomelens keys provider add`) a demo machine does not have.
"""

import dagster as dg

from ingestion.sources.anthropic import anthropic_usage_source
from ingestion.sources.openai import openai_usage_source
from ingestion.sources.provider_usage import run_usage
from orchestration.defs.warehouse.resources import WarehouseResource
from outcomelens.core import paths
from outcomelens.core.provider_keys import ProviderKeyStore


def usage_sources(store: ProviderKeyStore) -> list:
    sources = []
    for info in store.list():
        if info.provider == "openai":
            sources.append(openai_usage_source(api_key=store.secret(info.provider, info.name)).with_resources("openai_usage"))
        elif info.provider == "anthropic":
            sources.append(anthropic_usage_source(api_key=store.secret(info.provider, info.name)))
        # Gemini has no usage API: its usage arrives with each logged call (usageMetadata).
    return sources


@dg.op(description="dlt: OpenAI and Anthropic organisation usage for every stored provider key → raw.provider_usage")
def provider_usage_sync(context: dg.OpExecutionContext, warehouse: WarehouseResource) -> None:
    sources = usage_sources(ProviderKeyStore(warehouse.warehouse.connect))
    if not sources:
        context.log.info("no OpenAI or Anthropic keys stored (`outcomelens keys provider add`); nothing to pull")
        return
    run_usage(paths.pipelines_dir(), sources, credentials=warehouse.warehouse.dlt_credentials())


@dg.job(description="Provider usage sync")
def provider_usage_job():
    provider_usage_sync()
