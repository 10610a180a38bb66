"""truth.json's planted effects, each next to what was realised: the prompt uplift, the model latency,
the bad release and the escalation by capability."""

from __future__ import annotations

import math

import numpy as np

from ingestion.demo import world as W
from ingestion.demo.codes import ESCALATED, INTENT
from ingestion.demo.llm_calls import CallStats
from ingestion.demo.period import bad_release_days, conversion_calendar
from ingestion.demo.plan import Plan
from ingestion.demo.truth_counts import rate


def prompt_uplift(by_pv_intent: list[dict]) -> dict:
    """The planted uplift with the mean planted probability and the realised conversion of each arm
    (base rate × calendar (+ uplift), over the arm's own days)."""
    eff = W.PROMPT_EFFECT
    uplift_rows = {
        r["prompt_version"]: r
        for r in by_pv_intent
        if r["experiment_id"] == eff["experiment_id"] and r["intent"] == eff["intent"]
    }
    return {
        **eff,
        "expected_rate": {
            v: uplift_rows[v]["expected_rate"] if v in uplift_rows else None
            for v in (eff["baseline_prompt_version"], eff["prompt_version"])
        },
        "realized": {
            v: {k: r[k] for k in ("conversations", "conversions", "realized_rate")} for v, r in uplift_rows.items()
        },
    }


def latency_by_model(stats: CallStats) -> dict:
    out = {}
    for i, model in enumerate(W.MODELS):
        n_calls = stats.calls[i]
        mean = rate(stats.latency_sum[i], n_calls)
        var = (stats.latency_sq_sum[i] / n_calls - mean**2) if n_calls else None
        effect = W.MODEL_LATENCY_EFFECT
        out[model] = {
            "provider": W.MODEL_PROVIDER[model],
            "planted_offset_ms": effect["added_latency_ms"] if model == effect["llm_model"] else 0.0,
            "calls": int(n_calls),
            "ok_calls": int(stats.ok_calls[i]),
            "error_calls": int(stats.errors[i]),
            "expected_mean_latency_ms": rate(stats.expected_latency_sum[i], n_calls),
            "realized_mean_latency_ms": mean,
            "realized_sd_latency_ms": math.sqrt(max(var, 0.0)) if var is not None else None,
            "realized_mean_latency_ms_ok": rate(stats.latency_ok_sum[i], stats.ok_calls[i]),
            "realized_mean_ttft_ms": rate(stats.ttft_sum[i], n_calls),
        }
    return out


def _realized(n: np.ndarray, conversions: np.ndarray, days: np.ndarray) -> dict:
    return {
        "conversations": int(n[days].sum()),
        "conversions": int(conversions[days].sum()),
        "rate": rate(conversions[days].sum(), n[days].sum()),
    }


def bad_release(p: Plan) -> dict:
    """The window, the traffic-weighted planted rates before it and in it (with and without the
    release), the realised counts, and the release intent's daily series."""
    release = W.BAD_RELEASE
    first_bad, last_bad = bad_release_days(p.period.days)
    days = np.arange(p.period.days)
    sel = p.conversations.intent == INTENT[release["intent"]]
    day_idx = p.period.day_index(p.conversations.t)[sel]
    daily_n = np.bincount(day_idx, minlength=p.period.days)
    daily_conv = np.bincount(day_idx, weights=p.conversations.attributed[sel], minlength=p.period.days)
    daily_p = np.bincount(day_idx, weights=p.conversations.p_convert[sel], minlength=p.period.days)
    in_window = (days >= first_bad) & (days <= last_bad)
    before = days < first_bad
    calendar = conversion_calendar(p.period.start_date, p.period.days)
    base = W.BASE_CONVERSION[release["intent"]]
    return {
        "intent": release["intent"],
        "start_date": p.period.day_label(first_bad),
        "end_date": p.period.day_label(last_bad),
        "end_date_inclusive": True,
        "days": release["days"],
        "ends_days_before_end_date": release["ends_days_before_end"],
        "conversion_multiplier": release["conversion_multiplier"],
        "relative_drop": round(1 - release["conversion_multiplier"], 10),
        "base_conversion": base,
        "baseline_daily_conversion_rate": rate(daily_p[before].sum(), daily_n[before].sum()),
        "expected_window_conversion_rate": rate(daily_p[in_window].sum(), daily_n[in_window].sum()),
        "expected_window_conversion_rate_without_release": rate(
            (daily_n * base * calendar)[in_window].sum(), daily_n[in_window].sum()
        ),
        "realized_baseline": _realized(daily_n, daily_conv, ~in_window),
        "realized_window": _realized(daily_n, daily_conv, in_window),
        "daily": [
            {
                "date": p.period.day_label(d),
                "conversations": int(daily_n[d]),
                "conversions": int(daily_conv[d]),
                "expected_rate": rate(daily_p[d], daily_n[d]),
                "calendar_factor": float(calendar[d]),
                "in_window": bool(in_window[d]),
            }
            for d in range(p.period.days)
        ],
    }


def escalation_by_capability(p: Plan) -> dict:
    capability = p.conversations.capability
    cap_n = np.bincount(capability, minlength=len(W.CAPABILITIES))
    cap_esc = np.bincount(capability, weights=p.conversations.terminal == ESCALATED, minlength=len(W.CAPABILITIES))
    out = {}
    for i, cap in enumerate(W.CAPABILITIES):
        planted = W.BASELINE_ESCALATION * (
            W.ESCALATION_EFFECT["multiplier"] if cap == W.ESCALATION_EFFECT["capability"] else 1.0
        )
        out[cap] = {
            "planted_escalation_probability": planted,
            "conversations": int(cap_n[i]),
            "escalated": int(cap_esc[i]),
            "realized_rate": rate(cap_esc[i], cap_n[i]),
        }
    return out
