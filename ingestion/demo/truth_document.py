"""truth.json: the world's parameters, the planted effects and what was realised, from the plan and the
running sums the writers kept (LLM calls, feedback, rows and parts written)."""

from __future__ import annotations

import json
from dataclasses import fields
from datetime import timedelta

import numpy as np

from ingestion.demo import world as W
from ingestion.demo.codes import TERMINAL_KINDS, WON
from ingestion.demo.deals import DealRows
from ingestion.demo.llm_calls import CallStats
from ingestion.demo.parquet_parts import PartWriter
from ingestion.demo.period import DAY_MS
from ingestion.demo.plan import Plan
from ingestion.demo.pre_period import covariate
from ingestion.demo.truth_counts import daily_conversion, grouped_conversion, rate
from ingestion.demo.truth_effects import bad_release, escalation_by_capability, latency_by_model, prompt_uplift

GENERATOR_VERSION = "outcomelens-demo/2"

CALENDAR_RULE = (
    "planted conversion = base_conversion[intent] × weekday factor × exp(growth_per_day × (day - (days - 1) / 2)),"
    " then + prompt uplift, then × bad-release multiplier"
)
ATTRIBUTION_RULE = (
    "closedwon deal of the conversation's contact with closedate in [started_at, started_at + 7 days];"
    " last touch: credited once, to the latest conversation of the contact started at or before closedate"
)
ATTRIBUTION_NOTE = (
    "realized conversions everywhere in this file follow the rule above (what the pipeline "
    "should compute); conversions_created counts the conversations that created a closedwon deal. They "
    "differ only where a contact came back within the window before the deal closed (follow-ups)."
)
NOTES = [
    (
        "conversations start in [start_date, end_date); a terminal event or a thumb/rating of a"
        " conversation that starts late on the last day may fall a little after end_date"
    ),
    "deal closedates (and contact/deal modification dates) are kept before end_date",
    "failed calls (status error) carry no tokens and cost 0; their time_to_first_token_ms equals latency_ms",
    "customer_ref e-mails differ from the contact's e-mail only by case and leading/trailing spaces",
    "a conversation is in exactly one experiment; exp_temperature's variants share sales_agent.v1",
]


def _calendar() -> dict:
    return {
        "weekday_factor_mon_to_sun": list(W.CONVERSION_WEEKDAY_FACTOR),
        "growth_per_day": W.CONVERSION_GROWTH_PER_DAY,
        "rule": CALENDAR_RULE,
    }


def _run(p: Plan) -> dict:
    period = p.period
    return {
        "generator": GENERATOR_VERSION,
        "seed": p.seed,
        "conversations": p.n,
        "days": period.days,
        "start_date": period.start_date.isoformat(),
        "end_date": period.end_date.isoformat(),
        "end_date_exclusive": True,
        "last_day": (period.end_date - timedelta(days=1)).isoformat(),
        "timezone": "UTC",
        "main_experiment": W.MAIN_EXPERIMENT,
    }


def _experiments(p: Plan) -> dict:
    arm_table = W.arms()
    experiments = {}
    for exp_id, exp in W.EXPERIMENTS.items():
        experiments[exp_id] = {
            "share": exp["share"],
            "description": exp["description"],
            "primary_metric": exp["primary_metric"],
            "start_date": p.period.start_date.isoformat(),
            "end_date": p.period.end_date.isoformat(),
            "variants": {
                a["variant"]: {
                    "prompt_id": a["prompt_id"],
                    "prompt_version": a["prompt_version"],
                    "config": a["config"],
                    "config_hash": a["config_hash"],
                    "config_values": json.loads(a["config"]),
                    "share": a["share"] / exp["share"],
                }
                for a in arm_table
                if a["experiment_id"] == exp_id
            },
        }
    return experiments


def _models_and_intents(p: Plan) -> dict:
    intent_counts = np.bincount(p.conversations.intent, minlength=len(W.INTENTS))
    return {
        "models": {
            m: {"provider": W.MODEL_PROVIDER[m], "share": W.MODEL_MIX[i], "prices_per_1m": W.PRICES_PER_1M[m]}
            for i, m in enumerate(W.MODELS)
        },
        "intents": {
            intent: {
                "share": W.INTENT_MIX[i],
                "conversations": int(intent_counts[i]),
                "base_conversion": W.BASE_CONVERSION[intent],
            }
            for i, intent in enumerate(W.INTENTS)
        },
    }


def _conversion_groups(p: Plan) -> dict[str, list[dict]]:
    """Realised conversion by experiment × prompt version (× intent) and by experiment × variant."""
    arm_table = W.arms()
    arm = p.conversations.arm
    exp_ids = tuple(W.EXPERIMENTS)
    versions = tuple(sorted({a["prompt_version"] for a in arm_table}))
    arm_exp = np.asarray([exp_ids.index(a["experiment_id"]) for a in arm_table])[arm]
    arm_pv = np.asarray([versions.index(a["prompt_version"]) for a in arm_table])[arm]
    arm_variant = np.asarray([0 if a["variant"] == "control" else 1 for a in arm_table])[arm]
    exp_key = ("experiment_id", arm_exp, exp_ids)
    pv_key = ("prompt_version", arm_pv, versions)
    intent_key = ("intent", p.conversations.intent.astype(np.int64), W.INTENTS)
    return {
        "by_experiment_prompt_version": grouped_conversion(p, [exp_key, pv_key]),
        "by_experiment_prompt_version_intent": grouped_conversion(p, [exp_key, pv_key, intent_key]),
        "by_experiment_variant": grouped_conversion(p, [exp_key, ("variant", arm_variant, ("control", "treatment"))]),
    }


def _expected_conversion(p: Plan, groups: dict[str, list[dict]]) -> dict:
    conv = p.conversations
    overall = {
        "conversations": p.n,
        "conversions": int(conv.attributed.sum()),
        "expected_rate": float(conv.p_convert.mean()),
        "realized_rate": float(conv.attributed.mean()),
    }
    return {
        "definition": "expected_rate = mean planted conversion probability of the conversations in the group;"
        " conversions = conversations converted by the attribution rule (see attribution)",
        "overall": overall,
        **groups,
    }


def _planted_effects(p: Plan, by_pv_intent: list[dict], latency: dict) -> dict:
    return {
        "prompt_uplift": prompt_uplift(by_pv_intent),
        "model_latency": {
            **W.MODEL_LATENCY_EFFECT,
            "note": "every call of this model gets added_latency_ms; otherwise all models share one latency model",
            "by_model": latency,
        },
        "bad_release": bad_release(p),
        "capability_escalation": {
            **W.ESCALATION_EFFECT,
            "baseline_escalation_probability": W.BASELINE_ESCALATION,
            "planted_escalation_probability": W.BASELINE_ESCALATION * W.ESCALATION_EFFECT["multiplier"],
            "abandon_probability": W.ABANDON_PROBABILITY,
        },
        "none": {
            "experiment_id": "exp_temperature",
            "note": "no planted conversion effect: its variants differ only in temperature",
        },
    }


def _won_conversation_deals(p: Plan) -> np.ndarray:
    conv_deals = np.arange(p.deals.n_conv_deals)
    return conv_deals[p.deals.stage[conv_deals] == WON]


def _attribution(p: Plan) -> dict:
    """The rule and its residual: where the credited conversation is not the one that created the deal."""
    conv, deals = p.conversations, p.deals
    won = _won_conversation_deals(p)
    stolen = won[deals.credited_conv[won] != deals.conv[won]]
    by_contact = np.lexsort((conv.t, conv.contact))
    cs, ts = conv.contact[by_contact], conv.t[by_contact]
    close_pairs = (cs[1:] == cs[:-1]) & (ts[1:] - ts[:-1] <= W.ATTRIBUTION_WINDOW_DAYS * DAY_MS)
    organic = np.flatnonzero(deals.conv[: deals.n_organic_end] < 0)
    return {
        "rule": ATTRIBUTION_RULE,
        "window_days": W.ATTRIBUTION_WINDOW_DAYS,
        "conversions_created": int(conv.converted.sum()),
        "conversions_attributed": int(conv.attributed.sum()),
        "deals_won_from_conversations": len(won),
        "deals_credited_to_a_later_conversation": len(stolen),
        "conversations_created_but_not_attributed": int((conv.converted & ~conv.attributed).sum()),
        "conversations_attributed_but_not_created": int((conv.attributed & ~conv.converted).sum()),
        "followup_conversations": int(conv.followup.sum()),
        "consecutive_conversation_pairs_within_window": int(close_pairs.sum()),
        "contacts_with_two_conversations_within_window": int(np.count_nonzero(np.bincount(cs[1:][close_pairs]))),
        "organic_deals": len(organic),
        "organic_deals_won": int((deals.stage[organic] == WON).sum()),
        "organic_deals_credited": int((deals.credited_conv[organic] >= 0).sum()),
        "note": ATTRIBUTION_NOTE,
    }


def _order_value(p: Plan) -> dict:
    """Mean amount of the closedwon deals of conversations, by the intent of the conversation."""
    deals = p.deals
    won = _won_conversation_deals(p)
    won_intent = p.conversations.intent[deals.conv[won]]
    order_value = {
        intent: {
            "planted_mean": W.ORDER_VALUE_MEAN[intent],
            "deals": int((won_intent == i).sum()),
            "realized_mean": rate(deals.amount[won][won_intent == i].sum(), (won_intent == i).sum()),
        }
        for i, intent in enumerate(W.INTENTS)
    }
    order_value["log_sigma"] = W.ORDER_SIGMA
    return order_value


def _feedback(p: Plan, fb_stats: dict) -> dict:
    feedback = {}
    for kind, s in fb_stats.items():
        by_outcome = s["by_outcome"]
        feedback[kind] = {
            "count": int(s["count"]),
            "share_of_conversations": rate(s["count"], p.n),
            "mean_value": rate(s["value_sum"], s["count"]),
            "by_outcome": {
                g: {"count": int(by_outcome[j, 0]), "mean_value": rate(by_outcome[j, 1], by_outcome[j, 0])}
                for j, g in enumerate(W.OUTCOME_GROUPS)
            },
        }
    feedback["planted"] = {
        "outcome_groups": list(W.OUTCOME_GROUPS),
        "thumb_up_probability": list(W.THUMB_UP_P),
        "rating_mean": list(W.RATING_MEAN),
        "csat_mean": list(W.CSAT_MEAN),
        "shares": {"thumb": W.THUMB_SHARE, "rating": W.RATING_SHARE, "csat": W.CSAT_SHARE},
    }
    return feedback


def _cost(stats: CallStats) -> dict:
    return {
        "formula": "((input_tokens - cached_input_tokens) * input + cached_input_tokens * cached_input"
        " + output_tokens * output) / 1e6, prices per 1M tokens",
        "prices_per_1m": W.PRICES_PER_1M,
        "total_usd_by_model": {m: float(stats.cost_sum[i]) for i, m in enumerate(W.MODELS)},
        "calls_with_null_cost": int(stats.cost_null.sum()),
        "input_tokens_by_model": {m: int(stats.input_tokens[i]) for i, m in enumerate(W.MODELS)},
        "output_tokens_by_model": {m: int(stats.output_tokens[i]) for i, m in enumerate(W.MODELS)},
    }


def _people(p: Plan) -> dict:
    conv = p.conversations
    return {
        "outcomes": {kind: int((conv.terminal == i).sum()) for i, kind in enumerate(TERMINAL_KINDS)},
        "customer_ref": {
            "email_share_planted": W.EMAIL_REF_SHARE,
            "conversations_with_email_ref": int(conv.ref_email.sum()),
            "email_share_realized": float(conv.ref_email.mean()),
        },
    }


def _cuped(y: np.ndarray, x: np.ndarray, variant: np.ndarray) -> dict:
    """CUPED by hand (Deng et al. 2013), θ from within-arm deviations: the variance reduction ρ² and the
    adjusted difference — what the stored statistics must reproduce from the marts."""
    yc = y - np.where(variant, y[variant].mean(), y[~variant].mean())
    xc = x - np.where(variant, x[variant].mean(), x[~variant].mean())
    theta = float(xc @ yc / (xc @ xc)) if xc @ xc > 0 else 0.0
    adjusted = y - theta * (x - x.mean())
    ac = adjusted - np.where(variant, adjusted[variant].mean(), adjusted[~variant].mean())
    return {
        "theta": theta,
        "variance_reduction": float(1 - (ac @ ac) / (yc @ yc)),
        "difference": float(y[variant].mean() - y[~variant].mean()),
        "adjusted_difference": float(adjusted[variant].mean() - adjusted[~variant].mean()),
    }


def _pre_period(p: Plan) -> dict:
    """The returning customers' purchases before the period and, per experiment, CUPED on conversion."""
    conv, deals = p.conversations, p.deals
    cfg = W.PRE_PERIOD
    before = np.arange(deals.n_organic_end, len(deals.conv))
    pre = DealRows(*(getattr(deals, f.name)[before] for f in fields(DealRows)))
    x = covariate(pre, conv.contact, p.contacts.n, p.period.start_ms, cfg["covariate_days"])
    arm_table = W.arms()
    by_experiment = {}
    for exp_id in W.EXPERIMENTS:
        arms_of = [i for i, a in enumerate(arm_table) if a["experiment_id"] == exp_id]
        treated = [i for i in arms_of if arm_table[i]["variant"] != "control"]
        mask = np.isin(conv.arm, arms_of)
        by_experiment[exp_id] = {
            "metric_name": "conversion_rate",
            "units": int(mask.sum()),
            "units_with_history": int((x[mask] > 0).sum()),
            **_cuped(conv.attributed[mask].astype(float), x[mask], np.isin(conv.arm[mask], treated)),
        }
    return {
        **cfg,
        "note": "closedwon deals of returning contacts before start_date (when the experiments start); the"
        " covariate is each conversation's contact's purchases in the covariate_days before it",
        "contacts_with_purchases": int(np.unique(pre.contact).size),
        "purchases": len(before),
        "cuped_conversion_rate": by_experiment,
    }


def build_truth(p: Plan, writer: PartWriter, stats: CallStats, fb_stats: dict) -> dict:
    """The truth document, in truth.json's key order (outcome_metrics is added by the caller)."""
    groups = _conversion_groups(p)
    latency = latency_by_model(stats)
    return {
        "conversion_calendar": _calendar(),
        "daily_conversion": daily_conversion(p),
        **_run(p),
        "experiments": _experiments(p),
        **_models_and_intents(p),
        "planted_effects": _planted_effects(p, groups["by_experiment_prompt_version_intent"], latency),
        "expected_conversion": _expected_conversion(p, groups),
        "latency_by_model": latency,
        "escalation_by_capability": escalation_by_capability(p),
        **_people(p),
        "attribution": _attribution(p),
        "pre_period": _pre_period(p),
        "order_value": _order_value(p),
        "feedback": _feedback(p, fb_stats),
        "cost": _cost(stats),
        "contacts": {
            "total": p.contacts.n,
            "with_conversations": int(np.count_nonzero(np.bincount(p.conversations.contact, minlength=p.contacts.n))),
        },
        "rows": dict(writer.rows),
        "parts": dict(writer.parts),
        "notes": list(NOTES),
    }
