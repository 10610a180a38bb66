"""The live path's settings, from the environment (dg.EnvVar, so the UI shows the names)."""

import dagster as dg

FRESHNESS_MAX_AGE_ENV = "OUTCOMELENS_FRESHNESS_MAX_AGE_S"
RUN_RETENTION_HOURS_ENV = "OUTCOMELENS_LIVE_RUN_RETENTION_HOURS"
DEFAULT_FRESHNESS_MAX_AGE_S = 60
DEFAULT_RUN_RETENTION_HOURS = 24


class LiveSettings(dg.ConfigurableResource):
    """freshness_max_age_s: a collector table whose newest row is older fails its freshness check.
    run_retention_hours: finished micro-batch runs older than this are deleted (with their events)."""

    freshness_max_age_s: int = DEFAULT_FRESHNESS_MAX_AGE_S
    run_retention_hours: int = DEFAULT_RUN_RETENTION_HOURS


def _int_setting(name: str, default: int):
    value = dg.EnvVar.int(name)
    return value if dg.EnvVar(name).get_value() else default


def live_settings() -> LiveSettings:
    return LiveSettings(
        freshness_max_age_s=_int_setting(FRESHNESS_MAX_AGE_ENV, DEFAULT_FRESHNESS_MAX_AGE_S),
        run_retention_hours=_int_setting(RUN_RETENTION_HOURS_ENV, DEFAULT_RUN_RETENTION_HOURS),
    )


@dg.definitions
def resources() -> dg.Definitions:
    return dg.Definitions(resources={"live": live_settings()})
