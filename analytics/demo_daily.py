"""Daily attribution parts straight from the demo generator's parquet files, without a warehouse.

Benchmarks and detector tests use it to reach demo sizes (≈1M conversations) that a lean test cannot
push through dlt + dbt. It follows docs/contracts.md's attribution rule (closedwon deal of the
conversation's contact, closedate within [started_at, started_at + 7 days], last touch, each deal once),
and tests/integration/test_insights_pipeline.py checks it against marts.fct_attribution_daily.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq

from outcomelens.contract import ANALYSIS_DIMENSIONS as DIMENSIONS
WINDOW = pd.Timedelta(days=7)


def _read(root: Path, table: str, columns: list[str]) -> pd.DataFrame:
    return pq.read_table(root / table, columns=columns).to_pandas()


def daily_parts(landing_dir: str | Path) -> pd.DataFrame:
    """date_day × dimensions with conversations and conversions (same names as the mart)."""
    root = Path(landing_dir)
    calls = _read(root, "llm_calls", ["conversation_id", "customer_ref", *DIMENSIONS])
    starts = _read(root, "conversation_events", ["conversation_id", "occurred_at", "kind"])
    starts = starts[starts["kind"] == "started"][["conversation_id", "occurred_at"]]
    conv = calls.drop_duplicates("conversation_id").merge(starts, on="conversation_id")
    conv = conv.rename(columns={"occurred_at": "started_at"})

    contacts = _read(root, "hubspot_contacts", ["id", "email"])
    by_email = dict(zip(contacts["email"].str.strip().str.lower(), contacts["id"]))
    ref = conv["customer_ref"].str.strip()
    conv["contact_id"] = ref.where(ref.str.isdigit(), ref.str.lower().map(by_email))

    deals = _read(root, "hubspot_deals", ["id", "dealstage", "closedate"])
    deals = deals[(deals["dealstage"] == "closedwon") & deals["closedate"].notna()]
    assoc = _read(root, "hubspot_deal_contact_associations", ["deal_id", "contact_id"])
    won = deals.merge(assoc, left_on="id", right_on="deal_id")[["deal_id", "contact_id", "closedate"]]

    # Last touch: the latest conversation of the contact started at or before the closedate.
    left = won.dropna().sort_values("closedate")
    right = conv.dropna(subset=["contact_id"]).sort_values("started_at")
    credited = pd.merge_asof(
        left, right[["contact_id", "started_at", "conversation_id"]],
        left_on="closedate", right_on="started_at", by="contact_id", direction="backward",
    )
    credited = credited[credited["closedate"] - credited["started_at"] <= WINDOW].dropna(subset=["conversation_id"])
    wins = credited.groupby("conversation_id").size()

    conv["conversions"] = conv["conversation_id"].map(wins).fillna(0).astype("int64").clip(upper=1)
    conv["conversations"] = 1
    conv["date_day"] = pd.to_datetime(conv["started_at"], utc=True).dt.tz_convert(None).dt.normalize()
    return conv.groupby(["date_day", *DIMENSIONS], as_index=False)[["conversations", "conversions"]].sum()
