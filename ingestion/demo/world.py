"""The demo world: an AI sales agent converting leads on an e-commerce website.

Every number that shapes the generated data lives here, so the planted truth can be read in one place.
`generate.py` (through the plan and the writers) turns these parameters into raw tables; `truth.json`
repeats the planted parameters next to what was realised.
"""

from __future__ import annotations

import hashlib
import json

# --------------------------------------------------------------------------------------------------
# Taxonomy
# --------------------------------------------------------------------------------------------------

INTENTS: tuple[str, ...] = (
    "product_question",
    "order_status",
    "returns",
    "discount_request",
    "checkout_help",
)
INTENT_MIX: tuple[float, ...] = (0.34, 0.22, 0.12, 0.14, 0.18)

CAPABILITIES: tuple[str, ...] = (
    "product_search",
    "order_lookup",
    "returns_processing",
    "discount_engine",
    "checkout_assist",
)
# P(capability | intent): rows follow INTENTS, columns follow CAPABILITIES. Mostly the intent's own
# capability, so capability and intent are related but not identical.
CAPABILITY_GIVEN_INTENT: tuple[tuple[float, ...], ...] = (
    (0.84, 0.03, 0.02, 0.05, 0.06),  # product_question
    (0.04, 0.86, 0.06, 0.01, 0.03),  # order_status
    (0.03, 0.12, 0.82, 0.01, 0.02),  # returns
    (0.08, 0.01, 0.01, 0.83, 0.07),  # discount_request
    (0.06, 0.03, 0.01, 0.05, 0.85),  # checkout_help
)

ACTIONS: tuple[str, ...] = (
    "recommend_product",
    "lookup_order",
    "create_return",
    "apply_discount",
    "send_checkout_link",
    "answer_faq",
)
# P(action | capability): rows follow CAPABILITIES, columns follow ACTIONS.
ACTION_GIVEN_CAPABILITY: tuple[tuple[float, ...], ...] = (
    (0.78, 0.00, 0.00, 0.00, 0.04, 0.18),  # product_search
    (0.00, 0.85, 0.03, 0.00, 0.00, 0.12),  # order_lookup
    (0.00, 0.08, 0.70, 0.00, 0.00, 0.22),  # returns_processing
    (0.06, 0.00, 0.00, 0.74, 0.04, 0.16),  # discount_engine
    (0.08, 0.00, 0.00, 0.04, 0.76, 0.12),  # checkout_assist
)

# --------------------------------------------------------------------------------------------------
# Models, providers and prices
# --------------------------------------------------------------------------------------------------

MODELS: tuple[str, ...] = ("gpt-4o-mini", "claude-3-5-haiku", "gemini-2.0-flash")
PROVIDERS: tuple[str, ...] = ("openai", "anthropic", "google")
MODEL_PROVIDER: dict[str, str] = dict(zip(MODELS, PROVIDERS))
MODEL_MIX: tuple[float, ...] = (0.45, 0.30, 0.25)

# USD per 1M tokens (list prices). cost_usd = ((input - cached) * input + cached * cached_input
# + output * output) / 1e6.
PRICES_PER_1M: dict[str, dict[str, float]] = {
    "gpt-4o-mini": {"provider": "openai", "input": 0.15, "cached_input": 0.075, "output": 0.60},
    "claude-3-5-haiku": {"provider": "anthropic", "input": 0.80, "cached_input": 0.08, "output": 4.00},
    "gemini-2.0-flash": {"provider": "google", "input": 0.10, "cached_input": 0.025, "output": 0.40},
}

# --------------------------------------------------------------------------------------------------
# Experiments
# --------------------------------------------------------------------------------------------------

PROMPT_ID = "sales_agent"
BASE_CONFIG: dict = {"max_tokens": 600, "temperature": 0.7, "top_p": 0.95}


def canonical_json(obj: dict) -> str:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"))


def config_hash(config: dict) -> str:
    """First 12 hex of sha256 of the canonical JSON (sorted keys, no spaces), per docs/contracts.md."""
    return hashlib.sha256(canonical_json(config).encode()).hexdigest()[:12]


MAIN_EXPERIMENT = "exp_sales_prompt"
# Each conversation is in exactly one experiment; "share" is the share of all conversations, and
# variants split an experiment 50/50.
EXPERIMENTS: dict[str, dict] = {
    "exp_sales_prompt": {
        "share": 0.60,
        "description": "new sales prompt (sales_agent.v2) against the current one (sales_agent.v1)",
        "primary_metric": "conversion_rate",
        "variants": {
            "control": {"prompt_version": "sales_agent.v1", "config": dict(BASE_CONFIG), "share": 0.5},
            "treatment": {"prompt_version": "sales_agent.v2", "config": dict(BASE_CONFIG), "share": 0.5},
        },
    },
    "exp_temperature": {
        "share": 0.40,
        "description": "temperature 0.3 against 0.7 on the current prompt (no planted effect)",
        "primary_metric": "conversion_rate",
        "variants": {
            "control": {"prompt_version": "sales_agent.v1", "config": dict(BASE_CONFIG), "share": 0.5},
            "treatment": {
                "prompt_version": "sales_agent.v1",
                "config": {**BASE_CONFIG, "temperature": 0.3},
                "share": 0.5,
            },
        },
    },
}


def arms() -> list[dict]:
    """Experiment arms in a fixed order: (experiment, variant) with prompt version and config."""
    out = []
    for exp_id, exp in EXPERIMENTS.items():
        for variant, v in exp["variants"].items():
            out.append(
                {
                    "experiment_id": exp_id,
                    "variant": variant,
                    "prompt_id": PROMPT_ID,
                    "prompt_version": v["prompt_version"],
                    "config": canonical_json(v["config"]),
                    "config_hash": config_hash(v["config"]),
                    "share": exp["share"] * v["share"],
                }
            )
    return out


# --------------------------------------------------------------------------------------------------
# Outcomes and planted effects
# --------------------------------------------------------------------------------------------------

BASE_CONVERSION: dict[str, float] = {
    "product_question": 0.20,
    "order_status": 0.12,
    "returns": 0.14,
    "discount_request": 0.18,
    "checkout_help": 0.25,
}

# Conversion also moves with the calendar, for every intent alike: a weekly pattern (Mon..Sun; weekend
# shoppers browse more and buy less) and a slow rise (the catalogue and the agent get better), as
# relative factors on BASE_CONVERSION. The rise is exponential in the day, centred on the middle of the
# period: exp(CONVERSION_GROWTH_PER_DAY × (day − (days − 1) / 2)), i.e. 0.86 → 1.16 over 180 days,
# 0.95 → 1.05 over 60. The planted effects below come on top and are randomised within each day, so
# the calendar does not bias them; truth.json's expected rates are means of the planted probabilities.
CONVERSION_WEEKDAY_FACTOR: tuple[float, ...] = (1.06, 1.04, 1.02, 1.00, 0.98, 0.92, 0.98)
CONVERSION_GROWTH_PER_DAY = 0.00169  # ≈ +30 % over 180 days

# 1. a better prompt version, on one intent only
PROMPT_EFFECT = {
    "experiment_id": "exp_sales_prompt",
    "intent": "discount_request",
    "baseline_prompt_version": "sales_agent.v1",
    "prompt_version": "sales_agent.v2",
    "absolute_uplift": 0.05,
}
# 2. a slower model
MODEL_LATENCY_EFFECT = {"llm_model": "claude-3-5-haiku", "added_latency_ms": 400.0}
# 3. a bad release: conversion of one intent drops for a few days (all models and variants)
# A week at −40 % before it is rolled back: at the default demo's ~50 checkout_help conversations a day the
# power table (benchmarks/anomaly_power.md) gives a median of 4 days until alerted.
BAD_RELEASE = {"intent": "checkout_help", "days": 7, "ends_days_before_end": 5, "conversion_multiplier": 0.60}
# 4. a capability that escalates far more often
BASELINE_ESCALATION = 0.06
ESCALATION_EFFECT = {"capability": "order_lookup", "multiplier": 3.0}
ABANDON_PROBABILITY = 0.12

# Order value (closedwon amount): lognormal with this mean (USD) per intent and log-sd ORDER_SIGMA.
ORDER_VALUE_MEAN: dict[str, float] = {
    "product_question": 95.0,
    "order_status": 70.0,
    "returns": 62.0,
    "discount_request": 78.0,
    "checkout_help": 110.0,
}
ORDER_SIGMA = 0.55
CLOSE_DELAY_MAX_DAYS = 5.0  # closedwon closedate is start + U(0, 5 days)
LOST_DEAL_SHARE = 0.10  # of non-converting conversations: a closedlost deal (abandoned cart)
OPEN_DEAL_SHARE = 0.03  # of the rest: an open deal (appointmentscheduled, no closedate)

# --------------------------------------------------------------------------------------------------
# People and traffic
# --------------------------------------------------------------------------------------------------

CONTACTS_PER_CONVERSATION = 0.60
ORGANIC_CONTACT_SHARE = 0.10  # contacts who never talk to the agent; some of them buy (organic deals)
ORGANIC_DEALS_PER_CONTACT = 1.2  # Poisson mean
ORGANIC_WON_SHARE = 0.80
EMAIL_REF_SHARE = 0.15  # conversations whose customer_ref is the e-mail instead of the contact id
FOLLOWUP_SHARE = 0.01  # conversations that come back within 0.5–72 h of an earlier one of the contact
SPREAD_JITTER = 0.25  # a contact's k conversations sit (1 ± 2 * 0.25) / k of the period apart
ATTRIBUTION_WINDOW_DAYS = 7
# Returning customers (pre_period.py): a share of the talking contacts bought before the period — when
# the demo's experiments start — closedwon deals spread over the history_days before it, Poisson with
# mean purchases_per_returning_contact scaled by exp(readiness_effect × readiness − readiness_effect²/2),
# readiness being the latent propensity that also decides their conversions in the period. CUPED's
# covariate counts those in the covariate_days before the experiment's start (dbt var
# cuped_pre_period_days).
PRE_PERIOD = {
    "returning_share": 0.40,
    "purchases_per_returning_contact": 1.2,
    "readiness_effect": 1.3,
    "history_days": 120,
    "covariate_days": 90,
}

# traffic: growth over the period, a weekly pattern (Mon..Sun) and an hour-of-day profile (UTC)
TREND_GROWTH = 0.30
WEEKDAY_FACTOR: tuple[float, ...] = (0.95, 0.95, 1.00, 1.00, 1.05, 1.15, 1.10)
HOUR_WEIGHTS: tuple[float, ...] = (
    2.0, 1.5, 1.0, 0.8, 0.7, 0.8, 1.2, 2.0, 3.0, 3.8, 4.2, 4.5,
    4.8, 4.8, 4.5, 4.4, 4.6, 5.0, 5.6, 6.2, 6.4, 5.8, 4.4, 3.0,
)

# --------------------------------------------------------------------------------------------------
# LLM calls
# --------------------------------------------------------------------------------------------------

CALLS_PER_CONVERSATION_P: tuple[float, ...] = (0.25, 0.30, 0.22, 0.13, 0.10)  # 1..5 calls
ERROR_RATE = 0.02
ERROR_TYPES: tuple[str, ...] = ("rate_limit", "server_error", "timeout", "invalid_request")
ERROR_TYPE_P: tuple[float, ...] = (0.50, 0.25, 0.15, 0.10)
# latency (ms) of a failed call, before the model's offset: lognormal(median, sigma); timeout fixed
ERROR_LATENCY = {
    "rate_limit": (90.0, 0.40),
    "server_error": (600.0, 0.50),
    "timeout": (15000.0, 0.0),
    "invalid_request": (150.0, 0.40),
}
# ok call: latency = ttft + output_tokens * MS_PER_OUTPUT_TOKEN * jitter + model offset
TTFT_MEDIAN_MS = 320.0
TTFT_SIGMA = 0.35
MS_PER_OUTPUT_TOKEN = 4.0
TOKEN_JITTER_SIGMA = 0.20  # lognormal with mean 1
INPUT_TOKENS_MEDIAN = 1100.0
INPUT_TOKENS_SIGMA = 0.35
INPUT_TOKENS_PER_TURN = 250  # context grows with each call of a conversation
INPUT_TOKENS_RANGE = (500, 3000)
OUTPUT_TOKENS_MEDIAN = 170.0
OUTPUT_TOKENS_SIGMA = 0.55
OUTPUT_TOKENS_RANGE = (50, 600)
CACHED_SHARE_P = 0.45  # calls with cached input; cached = input * U(0.2, 0.8)
COST_NULL_SHARE = 0.05

# --------------------------------------------------------------------------------------------------
# Feedback
# --------------------------------------------------------------------------------------------------

THUMB_SHARE = 0.30
RATING_SHARE = 0.10
CSAT_SHARE = 0.15
# by outcome: resolved+converted, resolved, escalated, abandoned
OUTCOME_GROUPS: tuple[str, ...] = ("resolved_converted", "resolved", "escalated", "abandoned")
THUMB_UP_P: tuple[float, ...] = (0.92, 0.78, 0.40, 0.30)
RATING_MEAN: tuple[float, ...] = (4.5, 4.0, 2.8, 2.4)
CSAT_MEAN: tuple[float, ...] = (4.6, 4.1, 3.0, 2.6)
SCORE_SD = 0.8

POSITIVE_COMMENTS: tuple[str, ...] = (
    "Found exactly what I was looking for",
    "Quick and helpful, thanks!",
    "The discount code worked",
    "Great recommendation",
    "Easy checkout",
    "Answered my question right away",
)
NEGATIVE_COMMENTS: tuple[str, ...] = (
    "Took too long to answer",
    "I wanted to talk to a human",
    "Did not understand my question",
    "The checkout link did not work",
    "Could not find my order",
    "No discount for me",
)

# --------------------------------------------------------------------------------------------------
# Names, e-mail domains and products (ASCII letters only, so e-mail local parts stay unambiguous)
# --------------------------------------------------------------------------------------------------

FIRST_NAMES: tuple[str, ...] = (
    "Olivia", "Liam", "Emma", "Noah", "Ava", "Oliver", "Sophia", "Elijah", "Isabella", "James",
    "Mia", "William", "Amelia", "Benjamin", "Harper", "Lucas", "Evelyn", "Henry", "Abigail", "Alexander",
    "Emily", "Daniel", "Ella", "Matthew", "Scarlett", "Samuel", "Grace", "David", "Chloe", "Joseph",
    "Lea", "Jonas", "Hannah", "Felix", "Marie", "Paul", "Sofia", "Mateo", "Valentina", "Diego",
    "Lucia", "Hugo", "Camille", "Louis", "Chiara", "Marco", "Giulia", "Luca", "Aisha", "Omar",
    "Fatima", "Yusuf", "Priya", "Arjun", "Ananya", "Rohan", "Mei", "Wei", "Yuki", "Haruto",
    "Sakura", "Minjun", "Jiwoo", "Kwame", "Amara", "Chidi", "Zanele", "Thabo", "Ingrid", "Lars",
    "Astrid", "Mikael", "Katarzyna", "Piotr", "Elena", "Ivan", "Nadia", "Tomas", "Ines", "Rafael",
)
LAST_NAMES: tuple[str, ...] = (
    "Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Rodriguez", "Martinez",
    "Hernandez", "Lopez", "Gonzalez", "Wilson", "Anderson", "Thomas", "Taylor", "Moore", "Jackson", "Martin",
    "Lee", "Thompson", "White", "Harris", "Clark", "Lewis", "Robinson", "Walker", "Young", "Allen",
    "Mueller", "Schmidt", "Schneider", "Fischer", "Weber", "Meyer", "Wagner", "Becker", "Dubois", "Moreau",
    "Laurent", "Rossi", "Russo", "Ferrari", "Esposito", "Bianchi", "Silva", "Santos", "Oliveira", "Costa",
    "Kowalski", "Nowak", "Novak", "Horvat", "Jensen", "Nielsen", "Hansen", "Johansson", "Larsen", "Berg",
    "Khan", "Ali", "Hussain", "Patel", "Sharma", "Singh", "Gupta", "Kumar", "Chen", "Wang",
    "Li", "Zhang", "Liu", "Tanaka", "Suzuki", "Sato", "Kim", "Park", "Nguyen", "Okafor",
)
# reserved example domains (RFC 2606 / 6761): realistic shapes, never a real mailbox
EMAIL_DOMAINS: tuple[str, ...] = (
    "gmail.example", "outlook.example", "yahoo.example", "icloud.example", "proton.example", "example.com",
)
EMAIL_DOMAIN_P: tuple[float, ...] = (0.38, 0.20, 0.12, 0.14, 0.06, 0.10)
# local-part patterns: first.last, flast, first_last, first.l
EMAIL_PATTERN_P: tuple[float, ...] = (0.45, 0.20, 0.15, 0.20)

PRODUCTS: tuple[str, ...] = (
    "Wireless Earbuds", "Trail Running Shoes", "Espresso Machine", "Yoga Mat", "Smart Watch",
    "Travel Backpack", "Linen Shirt", "Desk Lamp", "Cast Iron Skillet", "Bluetooth Speaker",
    "Rain Jacket", "Ceramic Vase", "Gaming Mouse", "Water Bottle", "Sunglasses",
    "Merino Sweater", "Phone Case", "Scented Candle Set", "Kids Sneakers", "Chef Knife",
)

# --------------------------------------------------------------------------------------------------
# Generic outcome metrics (raw.outcome_metrics, source "demo")
# --------------------------------------------------------------------------------------------------

# One value per day × experiment × variant × intent that has conversations, as a business system
# would report it: refund_rate (share of orders refunded, 0–1) and nps (-100..100). No planted effect:
# a normal draw around the intent's level, sd shrinking with the day's conversations.
OUTCOME_METRIC_LEVELS: dict[str, dict[str, float]] = {
    "refund_rate": {
        "product_question": 0.04,
        "order_status": 0.03,
        "returns": 0.30,
        "discount_request": 0.05,
        "checkout_help": 0.04,
    },
    "nps": {
        "product_question": 42.0,
        "order_status": 35.0,
        "returns": 10.0,
        "discount_request": 38.0,
        "checkout_help": 45.0,
    },
}
OUTCOME_METRIC_SD: dict[str, float] = {"refund_rate": 0.05, "nps": 30.0}  # per-conversation sd
OUTCOME_METRIC_RANGE: dict[str, tuple[float, float]] = {"refund_rate": (0.0, 1.0), "nps": (-100.0, 100.0)}
