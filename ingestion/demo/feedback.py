"""The feedback of a chunk: thumbs, ratings and CSAT surveys, their sentiment following the outcome."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ingestion.demo import world as W
from ingestion.demo._arrow import categories, fixed_width, timestamps_ms, with_nulls
from ingestion.demo.chunk import Chunk
from ingestion.demo.codes import ESCALATED, RESOLVED
from ingestion.demo.parquet_parts import PartWriter
from ingestion.demo.period import DAY_MS, MINUTE_MS
from ingestion.demo.plan import Plan
from ingestion.demo.schemas import SCHEMAS

# kind, share of conversations that leave it, event id suffix
KINDS = (("thumb", W.THUMB_SHARE, b"_t"), ("rating", W.RATING_SHARE, b"_r"), ("csat", W.CSAT_SHARE, b"_c"))


def _outcome_groups(p: Plan, ch: Chunk) -> np.ndarray:
    """Per conversation, its index into W.OUTCOME_GROUPS (resolved and converted, resolved, escalated,
    abandoned)."""
    terminal = p.conversations.terminal[ch.a : ch.b]
    converted = p.conversations.converted[ch.a : ch.b]
    return np.where(terminal == RESOLVED, np.where(converted, 0, 1), np.where(terminal == ESCALATED, 2, 3))


def _values_and_times(rng, p: Plan, kind: str, g: np.ndarray, t0: np.ndarray, t_end: np.ndarray):
    """Value, time, whether it is positive and the share that comments, for feedback of one kind."""
    ns = len(g)
    if kind == "thumb":
        value = (rng.random(ns) < np.asarray(W.THUMB_UP_P)[g]).astype(float)
        at = np.maximum(t_end - (rng.random(ns) * 30_000).astype(np.int64), t0)
        return value, at, value == 1.0, 0.15
    means = np.asarray(W.RATING_MEAN if kind == "rating" else W.CSAT_MEAN)[g]
    value = np.clip(np.rint(means + W.SCORE_SD * rng.standard_normal(ns)), 1, 5)
    if kind == "rating":
        at = t_end + (rng.random(ns) * 60_000).astype(np.int64)
    else:  # e-mail survey after the conversation, answered within a day (before the data ends)
        at = t_end + (5 * MINUTE_MS + rng.random(ns) * DAY_MS).astype(np.int64)
        at = np.where(at >= p.period.end_ms, t_end + 5 * MINUTE_MS, at)
    return value, at, value >= 4, 0.15 if kind == "rating" else 0.25


def _comments(rng, positive: np.ndarray, comment_share: float) -> pa.Array:
    ns = len(positive)
    has_comment = rng.random(ns) < comment_share
    pos_c = categories(W.POSITIVE_COMMENTS, rng.integers(0, len(W.POSITIVE_COMMENTS), ns))
    neg_c = categories(W.NEGATIVE_COMMENTS, rng.integers(0, len(W.NEGATIVE_COMMENTS), ns))
    return with_nulls(pc.if_else(pa.array(positive), pos_c, neg_c), ~has_comment)


def _tally(stats: dict, kind: str, g: np.ndarray, value: np.ndarray) -> None:
    """Count and value sums per kind and outcome group, for truth.json's feedback section."""
    fb = stats.setdefault(kind, {"count": 0, "value_sum": 0.0, "by_outcome": np.zeros((4, 2))})
    fb["count"] += len(g)
    fb["value_sum"] += float(value.sum())
    fb["by_outcome"][:, 0] += np.bincount(g, minlength=4)
    fb["by_outcome"][:, 1] += np.bincount(g, weights=value, minlength=4)


def _feedback_of_kind(p: Plan, ch: Chunk, stats: dict, kind: str, share: float, tag: bytes, t_end) -> dict:
    rng, m = ch.rng, ch.m
    sel = np.flatnonzero(rng.random(m) < share)
    g = _outcome_groups(p, ch)[sel]
    ns = len(sel)
    t0 = p.conversations.t[ch.a : ch.b][sel]
    value, at, positive, comment_share = _values_and_times(rng, p, kind, g, t0, t_end[sel])
    comment = _comments(rng, positive, comment_share)
    trace_id = fixed_width(m, ch.trace).take(pa.array(sel))
    if kind == "csat":  # an e-mail survey has no trace
        trace_id = with_nulls(trace_id, np.ones(ns, bool))
    _tally(stats, kind, g, value)
    return {
        "event_id": fixed_width(ns, b"fb_" + ch.seed_b + b"_", ch.conv_digits[sel], tag),
        "occurred_at": timestamps_ms(at),
        "conversation_id": ch.conv_id.take(pa.array(sel)),
        "trace_id": trace_id,
        "kind": categories((kind,), np.zeros(ns, np.int8)),
        "value": pa.array(value),
        "comment": comment,
    }


def write_feedback(p: Plan, writer: PartWriter, stats: dict, ch: Chunk, t_end: np.ndarray) -> None:
    parts = [_feedback_of_kind(p, ch, stats, kind, share, tag, t_end) for kind, share, tag in KINDS]
    schema = SCHEMAS["feedback"]
    writer.write(
        "feedback",
        {name: pa.concat_arrays([part[name].cast(schema.field(name).type) for part in parts]) for name in parts[0]},
    )
