"""The collector domain's jobs load with the rest and stay out of the demo's all-assets pipeline."""

import dagster as dg

from orchestration.definitions import PIPELINE_JOB_NAME, defs


def test_sync_jobs_and_schedules_load():
    dg.Definitions.validate_loadable(defs)
    for job in ("hubspot_sync_job", "provider_usage_job"):
        assert defs.resolve_job_def(job) is not None
    schedules = {s.job_name: s for s in defs.schedules}
    assert schedules["hubspot_sync_job"].default_status == dg.DefaultScheduleStatus.STOPPED
    assert schedules["provider_usage_job"].default_status == dg.DefaultScheduleStatus.STOPPED
    pipeline_ops = {node.name for node in defs.resolve_job_def(PIPELINE_JOB_NAME).graph.node_defs}
    assert not pipeline_ops & {"hubspot_sync", "provider_usage_sync"}
