"""Run the collector and the loader as processes (what `outcomelens up` starts)."""

from __future__ import annotations

import logging
import os

from outcomelens import paths


def spool_dir() -> str:
    return str(paths.subdir("spool"))


def pipelines_dir() -> str:
    return str(paths.subdir("dlt"))


def build_settings():
    from ingestion.collector.app import CollectorSettings
    from ingestion.providers.keystore import ProviderKeyStore, master_key
    from outcomelens.secrets import cube_api_secret
    from outcomelens.warehouse import ensure_warehouse

    wh = ensure_warehouse()
    wh.export_env()
    hubspot_refresh = None
    if os.environ.get("SOURCES__HUBSPOT__API_KEY"):
        from ingestion.hubspot.pipeline import run_hubspot

        hubspot_refresh = lambda: run_hubspot(pipelines_dir=pipelines_dir())  # noqa: E731
    return CollectorSettings(
        spool_dir=spool_dir(),
        connect=wh.connect,
        admin_secret=cube_api_secret(),
        hubspot_app_secret=os.environ.get("SOURCES__HUBSPOT__APP_SECRET"),
        hubspot_refresh=hubspot_refresh,
        provider_keys=ProviderKeyStore(wh.connect, master_key(paths.data_dir())),
        public_url=os.environ.get("OUTCOMELENS_COLLECTOR_PUBLIC_URL"),
    )


def create_app_from_env():
    """The app as each uvicorn worker process builds it."""
    import gc

    from ingestion.collector.app import create_app

    app = create_app(build_settings())
    # A batch allocates thousands of short-lived dicts that hold no cycles; the default gen-0
    # threshold (700) would re-scan them many times per request. Long-lived startup objects are
    # frozen out of the scans altogether.
    gc.freeze()
    gc.set_threshold(50_000, 20, 100)
    return app


def serve(host: str = "127.0.0.1", port: int = 4318, workers: int = 2) -> None:
    import uvicorn

    # Validation is CPU-bound Python; several worker processes share the port to use every core.
    uvicorn.run(
        "ingestion.collector.service:create_app_from_env", factory=True, host=host, port=port,
        workers=workers, log_level="warning", access_log=False,
    )


def run_loader(interval_s: float = 2.0) -> None:
    from ingestion.collector.loader import collector_pipeline, run_forever
    from ingestion.spool import Spool
    from outcomelens.warehouse import ensure_warehouse

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    ensure_warehouse().export_env()
    run_forever(Spool(spool_dir()), collector_pipeline(pipelines_dir()), interval_s=interval_s)
