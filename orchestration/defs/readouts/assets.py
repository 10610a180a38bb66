"""Readouts computed downstream of the marts: conversion by prompt version with a 95% interval."""


import dagster as dg
from psycopg2.extras import execute_values

from analytics.intervals import wilson_interval
from orchestration.defs.warehouse.resources import WarehouseResource

READOUT_SCHEMA = "readouts"


@dg.asset(
    key=dg.AssetKey([READOUT_SCHEMA, "prompt_version_conversion"]),
    deps=[dg.AssetKey(["marts", "fct_attribution_daily"])],
    group_name="readouts",
    kinds={"python", "postgres"},
    description="Conversion rate per experiment and prompt version with a Wilson 95% interval.",
)
def prompt_version_conversion(context: dg.AssetExecutionContext, warehouse: WarehouseResource):
    with warehouse.connection() as conn, conn.cursor() as cur:
        cur.execute(
            """
            select experiment_id, prompt_version, sum(conversations)::bigint, sum(conversions)::bigint
            from marts.fct_attribution_daily
            group by 1, 2
            order by 1, 2
            """
        )
        rows = []
        for experiment_id, prompt_version, conversations, conversions in cur.fetchall():
            low, high = wilson_interval(conversions, conversations)
            rate = conversions / conversations if conversations else None
            rows.append((experiment_id, prompt_version, conversations, conversions, rate, low, high))
        # Replaced as a whole inside one transaction: readers never see a half-written readout.
        cur.execute(f"delete from {READOUT_SCHEMA}.prompt_version_conversion")
        execute_values(cur, f"insert into {READOUT_SCHEMA}.prompt_version_conversion values %s", rows)
    return dg.MaterializeResult(
        metadata={
            "rows": len(rows),
            "readout": dg.MetadataValue.md(
                "\n".join(
                    ["| experiment | prompt version | n | conversion | 95% CI |", "|---|---|---|---|---|"]
                    + [
                        f"| {r[0]} | {r[1]} | {r[2]} | {r[4]:.2%} | {r[5]:.2%} – {r[6]:.2%} |"
                        for r in rows
                        if r[4] is not None
                    ]
                )
            ),
        }
    )
