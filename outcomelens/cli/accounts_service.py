"""The accounts service as `outcomelens up` runs it: accounts' app with the governance backends wired
from the packages that own them (the collector's key store, analytics' alert channels and settings),
which accounts itself may not import. `python -m outcomelens.cli.accounts_service --port 4100`."""

from __future__ import annotations

import dataclasses

from accounts.app import create_app
from accounts.governance import GovernanceBackends
from accounts.service import main, settings_from_env
from analytics import alert_delivery
from analytics.config import load_anomaly_config, load_forecast_config
from ingestion.collector import keys


def configured_rules() -> dict:
    """The anomaly rules and forecast settings as analytics reads (and validates) them."""
    return {
        "anomaly_rules": dataclasses.asdict(load_anomaly_config()),
        "forecasts": dataclasses.asdict(load_forecast_config()),
    }


def governance_backends() -> GovernanceBackends:
    return GovernanceBackends(
        create_ingestion_key=keys.create_key,
        list_ingestion_keys=keys.list_keys,
        revoke_ingestion_key=keys.revoke_key,
        add_alert_channel=alert_delivery.add_webhook,
        remove_alert_channel=alert_delivery.remove_webhook,
        list_alert_channels=alert_delivery.list_webhooks,  # also alert_channels.yaml's (from: yaml)
        rules=configured_rules,
    )


def create_app_from_env():
    return create_app(settings_from_env(governance=governance_backends()))


if __name__ == "__main__":
    main("The OutcomeLens accounts service", "outcomelens.cli.accounts_service:create_app_from_env")
