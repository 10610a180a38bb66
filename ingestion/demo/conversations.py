"""What each conversation is about and how it ends: intent, capability, action, experiment arm, model,
the planted conversion probability (with the planted effects) and the terminal outcome."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ingestion.demo import world as W
from ingestion.demo.codes import ABANDONED, CAPABILITY, ESCALATED, INTENT, RESOLVED
from ingestion.demo.period import Period, bad_release_days, conversion_calendar
from ingestion.demo.random_draws import categorical, categorical_given


@dataclass
class Dimensions:
    """Per conversation: codes into W.INTENTS, W.CAPABILITIES, W.ACTIONS, W.arms(), W.MODELS."""

    intent: np.ndarray
    capability: np.ndarray
    action: np.ndarray
    arm: np.ndarray
    model: np.ndarray
    ref_email: np.ndarray  # bool: customer_ref is the e-mail


def conversation_dimensions(rng: np.random.Generator, n: int) -> Dimensions:
    """Drawn independently of the day, so the calendar does not bias an experiment's comparison."""
    intent = categorical(rng, W.INTENT_MIX, n)
    capability = categorical_given(rng, W.CAPABILITY_GIVEN_INTENT, intent)
    action = categorical_given(rng, W.ACTION_GIVEN_CAPABILITY, capability)
    arm = categorical(rng, [a["share"] for a in W.arms()], n)
    model = categorical(rng, W.MODEL_MIX, n)
    ref_email = rng.random(n) < W.EMAIL_REF_SHARE
    return Dimensions(intent, capability, action, arm, model, ref_email)


def _uplift_arms() -> list[int]:
    eff = W.PROMPT_EFFECT
    return [
        i
        for i, a in enumerate(W.arms())
        if a["experiment_id"] == eff["experiment_id"] and a["prompt_version"] == eff["prompt_version"]
    ]


def planted_conversion_probability(period: Period, t: np.ndarray, dims: Dimensions) -> np.ndarray:
    """Base rate of the intent × the day's calendar factor, + the prompt uplift, × the bad release."""
    day_idx = period.day_index(t)
    base = np.asarray([W.BASE_CONVERSION[i] for i in W.INTENTS])[dims.intent]
    p = base * conversion_calendar(period.start_date, period.days)[day_idx]
    eff = W.PROMPT_EFFECT
    p = p + eff["absolute_uplift"] * (np.isin(dims.arm, _uplift_arms()) & (dims.intent == INTENT[eff["intent"]]))
    first_bad, last_bad = bad_release_days(period.days)
    bad = (dims.intent == INTENT[W.BAD_RELEASE["intent"]]) & (day_idx >= first_bad) & (day_idx <= last_bad)
    return np.where(bad, p * W.BAD_RELEASE["conversion_multiplier"], p)


def terminal_outcomes(rng: np.random.Generator, capability: np.ndarray) -> np.ndarray:
    """RESOLVED, ESCALATED or ABANDONED; the planted capability escalates more often."""
    p_esc = np.where(
        capability == CAPABILITY[W.ESCALATION_EFFECT["capability"]],
        W.BASELINE_ESCALATION * W.ESCALATION_EFFECT["multiplier"],
        W.BASELINE_ESCALATION,
    )
    u = rng.random(len(capability))
    terminal = np.where(u < p_esc, ESCALATED, np.where(u < p_esc + W.ABANDON_PROBABILITY, ABANDONED, RESOLVED))
    return terminal.astype(np.int8)
