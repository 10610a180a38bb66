import dagster as dg

from orchestration.defs.readouts.assets import prompt_version_conversion

defs = dg.Definitions(assets=[prompt_version_conversion])
