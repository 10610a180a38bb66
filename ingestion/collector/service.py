"""Run the collector as a process (what `outcomelens up` starts)."""

from __future__ import annotations

import gc
import os

import uvicorn

from ingestion.collector.app import CollectorSettings, create_app
from outcomelens.core import paths
from outcomelens.core.keyring import cube_api_secret
from outcomelens.core.provider_keys import ProviderKeyStore
from outcomelens.core.warehouse import ensure_warehouse


def build_settings() -> CollectorSettings:
    """Run once per worker process at start: ensuring the warehouse applies pending migrations."""
    wh = ensure_warehouse()
    return CollectorSettings(
        spool_dir=paths.spool_dir(),
        connect=wh.connect,
        admin_secret=cube_api_secret(),
        hubspot_app_secret=os.environ.get("SOURCES__HUBSPOT__APP_SECRET"),
        provider_keys=ProviderKeyStore(wh.connect),
        public_url=os.environ.get("OUTCOMELENS_COLLECTOR_PUBLIC_URL"),
    )


def create_app_from_env():
    """The app as each uvicorn worker process builds it."""
    app = create_app(build_settings())
    # A batch allocates thousands of short-lived dicts that hold no cycles; the default gen-0
    # threshold (700) would re-scan them many times per request. Long-lived startup objects are
    # frozen out of the scans altogether.
    gc.freeze()
    gc.set_threshold(50_000, 20, 100)
    return app


def serve(host: str = "127.0.0.1", port: int = 4318, workers: int = 2) -> None:
    # Validation is CPU-bound Python; several worker processes share the port to use every core.
    uvicorn.run(
        "ingestion.collector.service:create_app_from_env", factory=True, host=host, port=port,
        workers=workers, log_level="warning", access_log=False,
        # A worker imports the app and ensures the warehouse before it answers uvicorn's health check:
        # on a loaded machine that takes over uvicorn's default 5 s, and the worker is killed and
        # respawned forever.
        timeout_worker_healthcheck=60,
    )
