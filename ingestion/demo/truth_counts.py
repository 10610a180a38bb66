"""Conversations and conversions (by the attribution rule, see attribution.py) counted from the plan:
by any combination of keys, per day, and per day × the segment dimensions."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ingestion.demo import world as W
from ingestion.demo.plan import Plan
from outcomelens.contract import ANALYSIS_DIMENSIONS

# the dimensions the insights segment marts.fct_attribution_daily's parts by (the contract's)
PART_DIMENSIONS = ANALYSIS_DIMENSIONS


def rate(num: float, den: float) -> float | None:
    return float(num) / float(den) if den else None


def _labels_of(code: int, sizes: list[int]) -> list[int]:
    """The per-key indices packed into one mixed-radix code."""
    labels, rest = [], int(code)
    for size in reversed(sizes):
        labels.append(rest % size)
        rest //= size
    labels.reverse()
    return labels


def grouped_conversion(p: Plan, keys: list[tuple[str, np.ndarray, tuple[str, ...]]]) -> list[dict]:
    """Counts and planted/realised conversion for every combination of the given keys present.

    keys: (name, per-conversation code, labels of the codes)."""
    conv = p.conversations
    code = np.zeros(p.n, np.int64)
    sizes = []
    for _, values, labels in keys:
        code = code * len(labels) + values
        sizes.append(len(labels))
    total = int(np.prod(sizes))
    conversations = np.bincount(code, minlength=total)
    conversions = np.bincount(code, weights=conv.attributed, minlength=total)
    created = np.bincount(code, weights=conv.converted, minlength=total)
    p_sum = np.bincount(code, weights=conv.p_convert, minlength=total)
    rows = []
    for c in np.flatnonzero(conversations):
        labels = _labels_of(c, sizes)
        row = {name: keys[i][2][labels[i]] for i, (name, _, _) in enumerate(keys)}
        row.update(
            conversations=int(conversations[c]),
            conversions=int(conversions[c]),
            conversions_created=int(created[c]),
            expected_rate=float(p_sum[c] / conversations[c]),
            realized_rate=float(conversions[c] / conversations[c]),
        )
        rows.append(row)
    return rows


def daily_conversion(p: Plan) -> list[dict]:
    """The demo's conversion series over all conversations: per day the conversations started, the
    conversions credited to them (the contract's rule) and the mean planted probability."""
    conv = p.conversations
    day = p.period.day_index(conv.t)
    n = np.bincount(day, minlength=p.period.days)
    conversions = np.bincount(day, weights=conv.attributed, minlength=p.period.days)
    planted = np.bincount(day, weights=conv.p_convert, minlength=p.period.days)
    return [
        {
            "date": p.period.day_label(d),
            "conversations": int(n[d]),
            "conversions": int(conversions[d]),
            "expected_rate": rate(planted[d], n[d]),
        }
        for d in range(p.period.days)
    ]


def _label_columns(codes: pd.DataFrame) -> dict[str, np.ndarray]:
    """The dimensions' labels of the coded groups (an arm is one experiment, variant and prompt)."""
    arm_table = W.arms()
    arm_dimensions = ("experiment_id", "variant", "prompt_version")
    by_arm = {name: np.asarray([a[name] for a in arm_table], object) for name in arm_dimensions}
    return {
        **{name: labels[codes["arm"].to_numpy()] for name, labels in by_arm.items()},
        "llm_model": np.asarray(W.MODELS, object)[codes["model"].to_numpy()],
        "intent": np.asarray(W.INTENTS, object)[codes["intent"].to_numpy()],
        "capability": np.asarray(W.CAPABILITIES, object)[codes["capability"].to_numpy()],
        "action": np.asarray(W.ACTIONS, object)[codes["action"].to_numpy()],
    }


def daily_parts(p: Plan) -> pd.DataFrame:
    """date_day × PART_DIMENSIONS with conversations and conversions (the columns of the mart's
    daily attribution parts), sorted by the keys."""
    conv = p.conversations
    coded = pd.DataFrame(
        {
            "day": p.period.day_index(conv.t),
            **{name: getattr(conv, name) for name in ("arm", "model", "intent", "capability", "action")},
            "conversations": np.ones(p.n, np.int64),
            "conversions": conv.attributed.astype(np.int64),
        }
    )
    sums = coded.groupby(["day", "arm", "model", "intent", "capability", "action"], as_index=False).sum()
    start = np.datetime64(p.period.start_date.isoformat(), "us")
    parts = pd.DataFrame(
        {
            "date_day": start + sums["day"].to_numpy().astype("timedelta64[D]"),
            **_label_columns(sums),
            "conversations": sums["conversations"].to_numpy(),
            "conversions": sums["conversions"].to_numpy(),
        }
    )
    return parts.sort_values(["date_day", *PART_DIMENSIONS], ignore_index=True)
