"""Deterministic demo data: an AI sales agent converting leads on an e-commerce website.

    python -m ingestion.demo.generate --out DIR --size N --seed S

writes one folder per raw table of docs/contracts.md (llm_calls, conversation_events, feedback,
hubspot_contacts, hubspot_deals, hubspot_deal_contact_associations) holding parquet part files
(`part-00000.parquet`, …), and `truth.json` with the planted effects and what was realised.

How it works (everything vectorised with numpy; no per-row Python loops):

1. *Plan* (one numpy array per conversation, a few bytes each): contacts, conversation start times,
   intent, capability, action, experiment arm, model, terminal outcome, planted conversion
   probability and the draw, deals and the attribution of every closedwon deal by the contract's
   rule (last touch within 7 days). This is all `truth.json` needs.
2. *Write*, in chunks of `CHUNK_CONVERSATIONS` conversations: expand each chunk to its LLM calls,
   events, feedback and deals, build the string columns with Arrow and write one part file per table.
   Only one chunk's rows are in memory at a time, so millions of conversations fit in bounded memory.

Random numbers come from `numpy.random.Generator`s seeded by `SeedSequence([seed, stream, chunk])`,
so the same seed and size always give byte-identical files; ids are derived from the seed and a
running number (`conv_{seed}_{n:09d}`, `llm_{seed}_{n:09d}_{k:02d}`, …), globally unique and stable.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import typer

from ingestion.demo import world as W
from ingestion.demo._arrow import categories, digits, fixed_width, hex_bytes, timestamps_ms, with_nulls
from ingestion.demo.schemas import SCHEMAS, TABLES

GENERATOR_VERSION = "outcomelens-demo/2"
CHUNK_CONVERSATIONS = 200_000
CONTACT_PART_ROWS = 500_000
DAY_MS = 86_400_000
HOUR_MS = 3_600_000
MINUTE_MS = 60_000

RESOLVED, ESCALATED, ABANDONED = 0, 1, 2
TERMINAL_KINDS = ("resolved", "escalated", "abandoned")
WON, LOST, OPEN = 0, 1, 2
DEAL_STAGES = ("closedwon", "closedlost", "appointmentscheduled")

INTENT = {name: i for i, name in enumerate(W.INTENTS)}
CAPABILITY = {name: i for i, name in enumerate(W.CAPABILITIES)}
MODEL = {name: i for i, name in enumerate(W.MODELS)}
ERROR_TYPE = {name: i for i, name in enumerate(W.ERROR_TYPES)}


def _rng(seed: int, *stream: int) -> np.random.Generator:
    return np.random.default_rng(np.random.SeedSequence([seed, *stream]))


def _choice(rng: np.random.Generator, probs, n: int) -> np.ndarray:
    """n draws from a categorical distribution, as int8 codes."""
    cum = np.cumsum(np.asarray(probs, dtype=float))
    cum /= cum[-1]
    return np.minimum(np.searchsorted(cum, rng.random(n), side="right"), len(cum) - 1).astype(np.int8)


def _conditional_choice(rng: np.random.Generator, matrix, given: np.ndarray) -> np.ndarray:
    """One draw per row from the distribution matrix[given[i]]."""
    matrix = np.asarray(matrix, dtype=float)
    cum = np.cumsum(matrix, axis=1)
    cum /= cum[:, -1:]
    u = rng.random(len(given))
    out = np.zeros(len(given), dtype=np.int8)
    for row in range(matrix.shape[0]):
        mask = given == row
        out[mask] = np.minimum(np.searchsorted(cum[row], u[mask], side="right"), matrix.shape[1] - 1)
    return out


def _lognormal_mean(rng: np.random.Generator, mean: np.ndarray | float, sigma: float, n: int) -> np.ndarray:
    """Lognormal draws with the given mean (not median)."""
    mu = np.log(mean) - sigma**2 / 2
    return np.exp(mu + sigma * rng.standard_normal(n))


def _epoch_ms(d: date) -> int:
    return int(datetime(d.year, d.month, d.day, tzinfo=timezone.utc).timestamp() * 1000)


# ==================================================================================================
# 1. Plan
# ==================================================================================================


@dataclass
class Plan:
    seed: int
    n: int
    days: int
    start_date: date
    end_date: date  # exclusive
    start_ms: int
    end_ms: int
    # per conversation, in time order (conversation number = index)
    t: np.ndarray  # start, epoch ms
    contact: np.ndarray  # contact index
    followup: np.ndarray  # bool
    intent: np.ndarray
    capability: np.ndarray
    action: np.ndarray
    arm: np.ndarray
    model: np.ndarray
    ref_email: np.ndarray  # bool: customer_ref is the e-mail
    p_convert: np.ndarray  # planted conversion probability
    converted: np.ndarray  # bool: this conversation created a closedwon deal
    attributed: np.ndarray  # bool: converted by the contract's attribution rule
    terminal: np.ndarray
    # contacts
    n_contacts: int
    contact_first: np.ndarray  # first name code
    contact_last: np.ndarray
    contact_pattern: np.ndarray
    contact_domain: np.ndarray
    contact_occurrence: np.ndarray  # 0 = first use of this e-mail base, k = (k+1)th
    contact_create: np.ndarray  # ms
    contact_modified: np.ndarray  # ms
    # deals (conversation deals first, in conversation order, then organic deals)
    deal_conv: np.ndarray  # conversation index, -1 for organic
    deal_contact: np.ndarray
    deal_stage: np.ndarray
    deal_amount: np.ndarray
    deal_close: np.ndarray  # ms, -1 for none
    deal_create: np.ndarray
    deal_modified: np.ndarray
    deal_product: np.ndarray
    deal_credited_conv: np.ndarray  # conversation credited by the rule, -1 for none
    n_conv_deals: int


def _day_weights(start_date: date, days: int) -> np.ndarray:
    d = np.arange(days)
    weekday = (start_date.weekday() + d) % 7
    w = (1.0 + W.TREND_GROWTH * d / max(days - 1, 1)) * np.asarray(W.WEEKDAY_FACTOR)[weekday]
    return w / w.mean()


def conversion_calendar(start_date: date, days: int) -> np.ndarray:
    """Relative conversion factor of each day: weekly pattern times the slow trend."""
    d = np.arange(days)
    weekday = (start_date.weekday() + d) % 7
    trend = np.exp(W.CONVERSION_GROWTH_PER_DAY * (d - (days - 1) / 2))
    return trend * np.asarray(W.CONVERSION_WEEKDAY_FACTOR)[weekday]


def bad_release_days(days: int) -> tuple[int, int]:
    """[first, last] day index (inclusive) of the bad release."""
    last = days - W.BAD_RELEASE["ends_days_before_end"]  # end_date is exclusive: its index is `days`
    first = last - W.BAD_RELEASE["days"] + 1
    return first, last


def plan(n: int, seed: int, days: int, end_date: date) -> Plan:
    if n < 1:
        raise ValueError("conversations must be at least 1")
    if n >= 10**9:
        raise ValueError("conversations must be below 1e9 (ids have 9 digits)")
    if seed < 0:
        raise ValueError("seed must be non-negative")
    if days < W.BAD_RELEASE["days"] + W.BAD_RELEASE["ends_days_before_end"] + 1:
        raise ValueError("days is too short for the bad-release window")
    rng = _rng(seed, 0)
    start_date = end_date - timedelta(days=days)
    start_ms, end_ms = _epoch_ms(start_date), _epoch_ms(end_date)

    # ---- contacts and who talks when -----------------------------------------------------------
    n_contacts = max(1, round(W.CONTACTS_PER_CONVERSATION * n))
    n_organic = round(W.ORGANIC_CONTACT_SHARE * n_contacts)
    n_followup = round(W.FOLLOWUP_SHARE * n) if n >= 2 else 0
    n_primary = n - n_followup
    n_active = max(1, min(n_contacts - n_organic, n_primary))
    roles = rng.permutation(n_contacts)
    active = np.sort(roles[:n_active])
    organic = np.sort(roles[n_active:])

    k = 1 + np.bincount(rng.integers(0, n_active, n_primary - n_active), minlength=n_active)
    # Conversation start times follow the traffic profile (trend, weekday, hour of day). They are
    # handed to contacts so that a contact's k conversations sit evenly around the period: each
    # contact gets positions (offset + (j + jitter) / k) mod 1 on a circle, and the conversations are
    # ranked by position. Points spread like that stay >= (1 - 2 * SPREAD_JITTER) / k of the period
    # apart, so for 180 days two conversations of a contact are rarely within a week (follow-ups
    # aside), and the start times keep exactly the traffic profile (they are only permuted).
    w = _day_weights(start_date, days)
    cumw = np.cumsum(w)
    day = np.minimum(np.searchsorted(cumw, rng.random(n_primary) * cumw[-1], side="right"), days - 1)
    hour = _choice(rng, W.HOUR_WEIGHTS, n_primary).astype(np.int64)
    slots = np.sort(start_ms + day * DAY_MS + hour * HOUR_MS + rng.integers(0, HOUR_MS, n_primary))
    owner = np.repeat(np.arange(n_active), k)
    j = np.arange(n_primary) - np.repeat(np.cumsum(k) - k, k)
    jitter = rng.uniform(-W.SPREAD_JITTER, W.SPREAD_JITTER, n_primary)
    position = (rng.random(n_active)[owner] + (j + jitter) / k[owner]) % 1.0
    t_primary = np.empty(n_primary, np.int64)
    t_primary[np.argsort(position, kind="stable")] = slots
    contact_primary = active[owner]

    parent = rng.integers(0, n_primary, n_followup)
    offset = rng.integers(30 * MINUTE_MS, 72 * HOUR_MS, n_followup)
    t_follow = t_primary[parent] + offset
    back = t_follow >= end_ms
    t_follow[back] = t_primary[parent][back] - offset[back]
    t_follow = np.maximum(t_follow, start_ms)

    t_all = np.concatenate([t_primary, t_follow])
    contact_all = np.concatenate([contact_primary, contact_primary[parent]])
    followup = np.concatenate([np.zeros(n_primary, bool), np.ones(n_followup, bool)])
    order = np.lexsort((contact_all, t_all))
    t = t_all[order].astype(np.int64)
    contact = contact_all[order].astype(np.int64)
    followup = followup[order]
    del t_all, contact_all, order, slots, position, owner, j, jitter, day, hour

    # ---- dimensions ------------------------------------------------------------------------------
    intent = _choice(rng, W.INTENT_MIX, n)
    capability = _conditional_choice(rng, W.CAPABILITY_GIVEN_INTENT, intent)
    action = _conditional_choice(rng, W.ACTION_GIVEN_CAPABILITY, capability)
    arm_table = W.arms()
    arm = _choice(rng, [a["share"] for a in arm_table], n)
    model = _choice(rng, W.MODEL_MIX, n)
    ref_email = rng.random(n) < W.EMAIL_REF_SHARE

    # ---- planted conversion ----------------------------------------------------------------------
    day_idx = (t - start_ms) // DAY_MS
    p = np.asarray([W.BASE_CONVERSION[i] for i in W.INTENTS])[intent] * conversion_calendar(start_date, days)[day_idx]
    eff = W.PROMPT_EFFECT
    uplift_arms = [
        i
        for i, a in enumerate(arm_table)
        if a["experiment_id"] == eff["experiment_id"] and a["prompt_version"] == eff["prompt_version"]
    ]
    p = p + eff["absolute_uplift"] * (np.isin(arm, uplift_arms) & (intent == INTENT[eff["intent"]]))
    first_bad, last_bad = bad_release_days(days)
    bad = (intent == INTENT[W.BAD_RELEASE["intent"]]) & (day_idx >= first_bad) & (day_idx <= last_bad)
    p = np.where(bad, p * W.BAD_RELEASE["conversion_multiplier"], p)
    converted = rng.random(n) < p

    # ---- terminal outcome ------------------------------------------------------------------------
    p_esc = np.where(
        capability == CAPABILITY[W.ESCALATION_EFFECT["capability"]],
        W.BASELINE_ESCALATION * W.ESCALATION_EFFECT["multiplier"],
        W.BASELINE_ESCALATION,
    )
    u = rng.random(n)
    terminal = np.where(u < p_esc, ESCALATED, np.where(u < p_esc + W.ABANDON_PROBABILITY, ABANDONED, RESOLVED))
    terminal = terminal.astype(np.int8)

    # ---- deals of conversations ------------------------------------------------------------------
    lost = ~converted & (rng.random(n) < W.LOST_DEAL_SHARE)
    open_ = ~converted & ~lost & (rng.random(n) < W.OPEN_DEAL_SHARE)
    deal_conv = np.flatnonzero(converted | lost | open_)
    nd = len(deal_conv)
    dt = t[deal_conv]
    stage = np.where(converted[deal_conv], WON, np.where(lost[deal_conv], LOST, OPEN)).astype(np.int8)
    won_delay = (rng.random(nd) * W.CLOSE_DELAY_MAX_DAYS * DAY_MS).astype(np.int64)
    lost_delay = ((1.0 + rng.random(nd) * 6.0) * DAY_MS).astype(np.int64)
    last_ms = end_ms - 1000
    close = np.where(stage == WON, dt + won_delay, dt + lost_delay)
    close = np.maximum(np.minimum(close, last_ms), dt)
    frac = rng.random(nd)
    create = np.where(
        stage == OPEN,
        np.minimum(dt + MINUTE_MS + (frac * 2 * HOUR_MS).astype(np.int64), np.maximum(dt, last_ms)),
        dt + (frac * (close - dt)).astype(np.int64),
    )
    close = np.where(stage == OPEN, -1, close)
    touched = np.where(stage == OPEN, create, close)
    modified = np.maximum(touched, np.minimum(touched + rng.integers(0, HOUR_MS, nd), last_ms))
    mean_amount = np.asarray([W.ORDER_VALUE_MEAN[i] for i in W.INTENTS])[intent[deal_conv]]
    amount = np.round(_lognormal_mean(rng, mean_amount, W.ORDER_SIGMA, nd), 2)
    product = rng.integers(0, len(W.PRODUCTS), nd).astype(np.int16)

    # ---- contacts --------------------------------------------------------------------------------
    first_name = rng.integers(0, len(W.FIRST_NAMES), n_contacts).astype(np.int16)
    last_name = rng.integers(0, len(W.LAST_NAMES), n_contacts).astype(np.int16)
    pattern = _choice(rng, W.EMAIL_PATTERN_P, n_contacts)
    domain = _choice(rng, W.EMAIL_DOMAIN_P, n_contacts)
    occurrence = _email_occurrence(first_name, last_name, pattern, domain)

    by_contact = np.lexsort((t, contact))
    c_sorted = contact[by_contact]
    starts = np.flatnonzero(np.r_[True, c_sorted[1:] != c_sorted[:-1]])
    ends = np.r_[starts[1:], len(c_sorted)] - 1
    talking = c_sorted[starts]
    first_t = np.full(n_contacts, -1, np.int64)
    last_t = np.full(n_contacts, -1, np.int64)
    first_t[talking] = t[by_contact[starts]]
    last_t[talking] = t[by_contact[ends]]

    contact_create = np.empty(n_contacts, np.int64)
    lead = (HOUR_MS + rng.exponential(60.0, n_contacts) * DAY_MS).astype(np.int64)
    contact_create[talking] = first_t[talking] - lead[talking]
    is_talking = np.zeros(n_contacts, bool)
    is_talking[talking] = True
    silent = np.flatnonzero(~is_talking)
    contact_create[silent] = start_ms - 365 * DAY_MS + (
        rng.random(len(silent)) * (end_ms - DAY_MS - (start_ms - 365 * DAY_MS))
    ).astype(np.int64)

    # ---- organic deals: contacts who never talk to the agent -------------------------------------
    per_organic = rng.poisson(W.ORGANIC_DEALS_PER_CONTACT, len(organic))
    o_contact = np.repeat(organic, per_organic)
    no = len(o_contact)
    o_stage = np.where(rng.random(no) < W.ORGANIC_WON_SHARE, WON, LOST).astype(np.int8)
    o_lo = np.maximum(contact_create[o_contact], start_ms)
    o_close = o_lo + (rng.random(no) * (last_ms - o_lo)).astype(np.int64)
    o_create = o_close - (rng.random(no) * np.minimum(14 * DAY_MS, o_close - contact_create[o_contact])).astype(
        np.int64
    )
    o_modified = np.maximum(o_close, np.minimum(o_close + rng.integers(0, HOUR_MS, no), last_ms))
    o_amount = np.round(_lognormal_mean(rng, 85.0, W.ORDER_SIGMA, no), 2)
    o_product = rng.integers(0, len(W.PRODUCTS), no).astype(np.int16)

    last_activity = np.maximum(contact_create, last_t)
    contact_modified = np.maximum(
        contact_create,
        np.minimum(last_activity + rng.integers(0, DAY_MS, n_contacts), last_ms),
    )

    deal_contact = np.concatenate([contact[deal_conv], o_contact])
    deal_stage = np.concatenate([stage, o_stage])
    deal_close = np.concatenate([close, o_close])

    # ---- attribution by the contract's rule (last touch within the window) -----------------------
    credited = _attribute(t, contact, deal_contact, deal_stage, deal_close)
    attributed = np.zeros(n, bool)
    attributed[credited[credited >= 0]] = True

    return Plan(
        seed=seed,
        n=n,
        days=days,
        start_date=start_date,
        end_date=end_date,
        start_ms=start_ms,
        end_ms=end_ms,
        t=t,
        contact=contact,
        followup=followup,
        intent=intent,
        capability=capability,
        action=action,
        arm=arm,
        model=model,
        ref_email=ref_email,
        p_convert=p,
        converted=converted,
        attributed=attributed,
        terminal=terminal,
        n_contacts=n_contacts,
        contact_first=first_name,
        contact_last=last_name,
        contact_pattern=pattern,
        contact_domain=domain,
        contact_occurrence=occurrence,
        contact_create=contact_create,
        contact_modified=contact_modified,
        deal_conv=np.concatenate([deal_conv, np.full(no, -1, np.int64)]),
        deal_contact=deal_contact,
        deal_stage=deal_stage,
        deal_amount=np.concatenate([amount, o_amount]),
        deal_close=deal_close,
        deal_create=np.concatenate([create, o_create]),
        deal_modified=np.concatenate([modified, o_modified]),
        deal_product=np.concatenate([product, o_product]),
        deal_credited_conv=credited,
        n_conv_deals=nd,
    )


def _email_occurrence(first, last, pattern, domain) -> np.ndarray:
    """How many earlier contacts share this e-mail base (local part without number, and domain).

    Patterns: 0 first.last, 1 <initial>last, 2 first_last, 3 first.<initial>. The key below is equal
    exactly when the base string is equal (names are distinct ASCII words, initials single letters).
    """
    first_initial = np.asarray([ord(f[0].lower()) - 97 for f in W.FIRST_NAMES])[first]
    last_initial = np.asarray([ord(x[0].lower()) - 97 for x in W.LAST_NAMES])[last]
    nf, nl = len(W.FIRST_NAMES), len(W.LAST_NAMES)
    a = np.where(pattern == 1, first_initial, first).astype(np.int64)
    b = np.where(pattern == 3, last_initial, last).astype(np.int64)
    key = ((pattern.astype(np.int64) * max(nf, 26) + a) * max(nl, 26) + b) * len(W.EMAIL_DOMAINS) + domain
    order = np.argsort(key, kind="stable")
    sk = key[order]
    group_start = np.flatnonzero(np.r_[True, sk[1:] != sk[:-1]])
    sizes = np.diff(np.r_[group_start, len(sk)])
    occ_sorted = np.arange(len(sk)) - np.repeat(group_start, sizes)
    occ = np.empty(len(sk), np.int64)
    occ[order] = occ_sorted
    return occ


def _attribute(conv_t, conv_contact, deal_contact, deal_stage, deal_close) -> np.ndarray:
    """Conversation credited with each deal (-1 for none), by docs/contracts.md:

    a closedwon deal goes to the latest conversation of its contact that started at or before its
    closedate and at most ATTRIBUTION_WINDOW_DAYS before it.
    """
    nd = len(deal_contact)
    credited = np.full(nd, -1, np.int64)
    won = np.flatnonzero((deal_stage == WON) & (deal_close >= 0))
    if len(won) == 0:
        return credited
    nc = len(conv_t)
    who = np.concatenate([conv_contact, deal_contact[won]])
    when = np.concatenate([conv_t, deal_close[won]])
    kind = np.concatenate([np.zeros(nc, np.int8), np.ones(len(won), np.int8)])  # conversations first on ties
    ref = np.concatenate([np.arange(nc), won])
    order = np.lexsort((kind, when, who))
    who, when, kind, ref = who[order], when[order], kind[order], ref[order]
    idx = np.arange(len(order))
    last_conv = np.maximum.accumulate(np.where(kind == 0, idx, -1))
    deal_rows = np.flatnonzero(kind == 1)
    lc = last_conv[deal_rows]
    ok = lc >= 0
    lc_safe = np.where(ok, lc, 0)
    ok &= who[lc_safe] == who[deal_rows]
    ok &= when[deal_rows] - when[lc_safe] <= W.ATTRIBUTION_WINDOW_DAYS * DAY_MS
    credited[ref[deal_rows[ok]]] = ref[lc_safe[ok]]
    return credited


# ==================================================================================================
# 2. Write
# ==================================================================================================


def _contact_ids(seed: int, idx: np.ndarray) -> pa.Array:
    return fixed_width(len(idx), str(seed).encode(), digits(1_000_000_000 + np.asarray(idx), 10))


def _deal_ids(seed: int, idx: np.ndarray) -> pa.Array:
    return fixed_width(len(idx), str(seed).encode(), digits(5_000_000_000 + np.asarray(idx), 10))


def _emails(p: Plan, idx: np.ndarray) -> pa.Array:
    """Lowercase e-mail addresses of the given contacts (unique per contact)."""
    firsts = pa.array([f.lower() for f in W.FIRST_NAMES])
    lasts = pa.array([x.lower() for x in W.LAST_NAMES])
    first = firsts.take(pa.array(p.contact_first[idx].astype(np.int32)))
    last = lasts.take(pa.array(p.contact_last[idx].astype(np.int32)))
    fi = pc.utf8_slice_codeunits(first, 0, 1)
    li = pc.utf8_slice_codeunits(last, 0, 1)
    pattern = p.contact_pattern[idx]
    local = pc.binary_join_element_wise(first, last, ".")
    for code, candidate in (
        (1, pc.binary_join_element_wise(fi, last, "")),
        (2, pc.binary_join_element_wise(first, last, "_")),
        (3, pc.binary_join_element_wise(first, li, ".")),
    ):
        local = pc.if_else(pa.array(pattern == code), candidate, local)
    occ = p.contact_occurrence[idx]
    number = pc.if_else(pa.array(occ > 0), pa.array(occ + 1).cast(pa.string()), pa.scalar(""))
    domain = categories(W.EMAIL_DOMAINS, p.contact_domain[idx])
    return pc.binary_join_element_wise(local, number, "@", domain, "")


def _customer_refs(p: Plan, rng: np.random.Generator, conv: np.ndarray) -> pa.Array:
    """Contact id, or for EMAIL_REF_SHARE of conversations the e-mail with odd case and whitespace."""
    contact = p.contact[conv]
    ids = _contact_ids(p.seed, contact)
    is_email = p.ref_email[conv]
    if not is_email.any():
        return ids
    sub = np.flatnonzero(is_email)
    m = len(sub)
    email = _emails(p, contact[sub])
    case = _choice(rng, (0.55, 0.20, 0.25), m)  # as is, UPPER, Capitalized
    email = pc.if_else(pa.array(case == 1), pc.utf8_upper(email), email)
    email = pc.if_else(pa.array(case == 2), pc.utf8_capitalize(email), email)
    # spaces only (no tabs), so SQL trim() recovers the address as the contract's rule expects
    space = _choice(rng, (0.65, 0.12, 0.13, 0.10), m)  # none, leading, trailing, both
    email = pc.if_else(pa.array(space == 1), pc.binary_join_element_wise(" ", email, ""), email)
    email = pc.if_else(pa.array(space == 2), pc.binary_join_element_wise(email, " ", ""), email)
    email = pc.if_else(pa.array(space == 3), pc.binary_join_element_wise("  ", email, " ", ""), email)
    pick = np.arange(len(conv))
    pick[sub] = len(conv) + np.arange(m)
    return pa.concat_arrays([ids, email]).take(pa.array(pick))


# low-cardinality columns: dictionary-encoded in parquet; ids and measures are not (faster, smaller)
_DICTIONARY_COLUMNS = {
    "llm_calls": [
        "experiment_id", "variant", "prompt_id", "prompt_version", "config", "config_hash", "llm_provider",
        "llm_model", "intent", "capability", "action", "status", "error_type",
    ],
    "conversation_events": ["kind"],
    "feedback": ["kind", "comment"],
    "hubspot_contacts": ["firstname", "lastname"],
    "hubspot_deals": ["dealstage", "pipeline"],
    "hubspot_deal_contact_associations": [],
    "outcome_metrics": ["experiment_id", "metric_name", "intent", "source", "variant"],
}


class _Writer:
    def __init__(self, out_dir: Path):
        self.out_dir = out_dir
        self.parts = {t: 0 for t in TABLES}
        self.rows = {t: 0 for t in TABLES}
        for table in TABLES:
            folder = out_dir / table
            folder.mkdir(parents=True, exist_ok=True)
            for old in folder.glob("part-*.parquet"):
                old.unlink()

    def write(self, table: str, columns: dict[str, pa.Array]) -> None:
        schema = SCHEMAS[table]
        arrays = [columns[f.name].cast(f.type) if columns[f.name].type != f.type else columns[f.name] for f in schema]
        tbl = pa.Table.from_arrays(arrays, schema=schema)
        path = self.out_dir / table / f"part-{self.parts[table]:05d}.parquet"
        pq.write_table(tbl, path, compression="snappy", use_dictionary=_DICTIONARY_COLUMNS[table])
        self.parts[table] += 1
        self.rows[table] += tbl.num_rows


@dataclass
class _CallStats:
    """Running sums over written LLM calls, per model."""

    calls: np.ndarray
    ok_calls: np.ndarray
    errors: np.ndarray
    latency_sum: np.ndarray
    latency_sq_sum: np.ndarray
    latency_ok_sum: np.ndarray
    expected_latency_sum: np.ndarray
    ttft_sum: np.ndarray
    cost_sum: np.ndarray
    cost_null: np.ndarray
    input_tokens: np.ndarray
    output_tokens: np.ndarray

    @classmethod
    def empty(cls) -> "_CallStats":
        k = len(W.MODELS)
        return cls(*(np.zeros(k) for _ in range(12)))


def _error_latency_mean(error_type: str) -> float:
    median, sigma = W.ERROR_LATENCY[error_type]
    return median * math.exp(sigma**2 / 2)


def _write_chunk(p: Plan, writer: _Writer, stats: _CallStats, fb_stats: dict, chunk: int, a: int, b: int) -> None:
    rng = _rng(p.seed, 1, chunk)
    m = b - a
    conv = np.arange(a, b)
    seed_b = str(p.seed).encode()
    conv_digits = digits(conv, 9)
    conv_id = fixed_width(m, b"conv_" + seed_b + b"_", conv_digits)
    customer_ref = _customer_refs(p, rng, conv)
    t0 = p.t[a:b]
    terminal = p.terminal[a:b]
    model = p.model[a:b]
    arm_table = W.arms()
    trace = hex_bytes(rng, m, 16)

    # ---- LLM calls ---------------------------------------------------------------------------------
    ncalls = _choice(rng, W.CALLS_PER_CONVERSATION_P, m).astype(np.int64) + 1
    ncalls = np.where(terminal == ESCALATED, np.minimum(ncalls + 1, 5), ncalls)
    total = int(ncalls.sum())
    owner = np.repeat(np.arange(m), ncalls)
    first = np.cumsum(ncalls) - ncalls
    k = np.arange(total) - first[owner]
    cmodel = model[owner]

    error = rng.random(total) < W.ERROR_RATE
    etype = _choice(rng, W.ERROR_TYPE_P, total)
    out_tok = np.clip(
        np.rint(W.OUTPUT_TOKENS_MEDIAN * np.exp(W.OUTPUT_TOKENS_SIGMA * rng.standard_normal(total))),
        *W.OUTPUT_TOKENS_RANGE,
    ).astype(np.int64)
    in_tok = np.clip(
        np.rint(W.INPUT_TOKENS_MEDIAN * np.exp(W.INPUT_TOKENS_SIGMA * rng.standard_normal(total)))
        + W.INPUT_TOKENS_PER_TURN * k,
        *W.INPUT_TOKENS_RANGE,
    ).astype(np.int64)
    cached = np.where(
        rng.random(total) < W.CACHED_SHARE_P, np.floor(in_tok * rng.uniform(0.2, 0.8, total)), 0
    ).astype(np.int64)
    ttft_raw = W.TTFT_MEDIAN_MS * np.exp(W.TTFT_SIGMA * rng.standard_normal(total))
    jitter = np.exp(W.TOKEN_JITTER_SIGMA * rng.standard_normal(total) - W.TOKEN_JITTER_SIGMA**2 / 2)
    latency = ttft_raw + out_tok * W.MS_PER_OUTPUT_TOKEN * jitter
    expected = W.TTFT_MEDIAN_MS * math.exp(W.TTFT_SIGMA**2 / 2) + out_tok * W.MS_PER_OUTPUT_TOKEN
    z = rng.standard_normal(total)
    for name, code in ERROR_TYPE.items():
        median, sigma = W.ERROR_LATENCY[name]
        mask = error & (etype == code)
        latency = np.where(mask, median * np.exp(sigma * z), latency)
        expected = np.where(mask, _error_latency_mean(name), expected)
    offset = np.where(cmodel == MODEL[W.MODEL_LATENCY_EFFECT["llm_model"]], W.MODEL_LATENCY_EFFECT["added_latency_ms"], 0.0)
    latency = np.round(latency + offset, 1)
    expected = expected + offset
    ttft = np.round(np.where(error, latency, np.minimum(ttft_raw, latency)), 1)
    in_tok = np.where(error, 0, in_tok)
    out_tok = np.where(error, 0, out_tok)
    cached = np.where(error, 0, cached)
    prices = np.asarray([[W.PRICES_PER_1M[mm][x] for x in ("input", "cached_input", "output")] for mm in W.MODELS])
    pr = prices[cmodel]
    cost = ((in_tok - cached) * pr[:, 0] + cached * pr[:, 1] + out_tok * pr[:, 2]) / 1e6
    cost_null = rng.random(total) < W.COST_NULL_SHARE

    # call start times: first call shortly after the conversation starts, then the previous call's
    # latency plus the customer's think time
    think = 3_000 + rng.exponential(55_000.0, total)
    prev_latency = np.r_[0.0, latency[:-1]]
    gap = np.where(k == 0, 200 + rng.random(total) * 1_800, prev_latency + think)
    gap = np.rint(gap).astype(np.int64)
    csum = np.cumsum(gap)
    call_off = csum - (csum[first] - gap[first])[owner]
    last_call = first + ncalls - 1
    tail = np.select(
        [terminal == RESOLVED, terminal == ESCALATED],
        [5_000 + rng.exponential(60_000.0, m), 15 * MINUTE_MS * np.exp(0.6 * rng.standard_normal(m))],
        10 * MINUTE_MS + rng.exponential(3 * MINUTE_MS, m),
    )
    end_off = call_off[last_call] + np.ceil(latency[last_call]).astype(np.int64) + np.rint(tail).astype(np.int64)
    t_end = t0 + end_off

    span = hex_bytes(rng, total, 8)
    span_id = fixed_width(total, span)
    parent = with_nulls(span_id.take(pa.array(first[owner])), k == 0)
    arm_codes = p.arm[a:b][owner]
    cols = {
        "event_id": fixed_width(total, b"llm_" + seed_b + b"_", conv_digits[owner], b"_", digits(k, 2)),
        "occurred_at": timestamps_ms(t0[owner] + call_off),
        "conversation_id": conv_id.take(pa.array(owner)),
        "trace_id": fixed_width(total, trace[owner]),
        "span_id": span_id,
        "parent_span_id": parent,
        "customer_ref": customer_ref.take(pa.array(owner)),
        "experiment_id": categories([x["experiment_id"] for x in arm_table], arm_codes),
        "variant": categories([x["variant"] for x in arm_table], arm_codes),
        "prompt_id": categories([x["prompt_id"] for x in arm_table], arm_codes),
        "prompt_version": categories([x["prompt_version"] for x in arm_table], arm_codes),
        "config": categories([x["config"] for x in arm_table], arm_codes),
        "config_hash": categories([x["config_hash"] for x in arm_table], arm_codes),
        "llm_provider": categories(W.PROVIDERS, cmodel),
        "llm_model": categories(W.MODELS, cmodel),
        "intent": categories(W.INTENTS, p.intent[a:b][owner]),
        "capability": categories(W.CAPABILITIES, p.capability[a:b][owner]),
        "action": categories(W.ACTIONS, p.action[a:b][owner]),
        "latency_ms": pa.array(latency),
        "time_to_first_token_ms": pa.array(ttft),
        "input_tokens": pa.array(in_tok),
        "output_tokens": pa.array(out_tok),
        "cached_input_tokens": pa.array(cached),
        "cost_usd": pa.array(cost, mask=cost_null),
        "status": categories(("ok", "error"), error.astype(np.int8)),
        "error_type": with_nulls(categories(W.ERROR_TYPES, etype), ~error),
    }
    writer.write("llm_calls", cols)

    nm = len(W.MODELS)
    stats.calls += np.bincount(cmodel, minlength=nm)
    stats.ok_calls += np.bincount(cmodel, weights=~error, minlength=nm)
    stats.errors += np.bincount(cmodel, weights=error, minlength=nm)
    stats.latency_sum += np.bincount(cmodel, weights=latency, minlength=nm)
    stats.latency_sq_sum += np.bincount(cmodel, weights=latency**2, minlength=nm)
    stats.latency_ok_sum += np.bincount(cmodel, weights=np.where(error, 0.0, latency), minlength=nm)
    stats.expected_latency_sum += np.bincount(cmodel, weights=expected, minlength=nm)
    stats.ttft_sum += np.bincount(cmodel, weights=ttft, minlength=nm)
    stats.cost_sum += np.bincount(cmodel, weights=cost, minlength=nm)
    stats.cost_null += np.bincount(cmodel, weights=cost_null, minlength=nm)
    stats.input_tokens += np.bincount(cmodel, weights=in_tok, minlength=nm)
    stats.output_tokens += np.bincount(cmodel, weights=out_tok, minlength=nm)

    # ---- conversation events -----------------------------------------------------------------------
    cev_prefix = b"cev_" + seed_b + b"_"
    writer.write(
        "conversation_events",
        {
            "event_id": pa.concat_arrays(
                [fixed_width(m, cev_prefix, conv_digits, b"_start"), fixed_width(m, cev_prefix, conv_digits, b"_end")]
            ),
            "conversation_id": pa.concat_arrays([conv_id, conv_id]),
            "occurred_at": timestamps_ms(np.concatenate([t0, t_end])),
            "kind": pa.concat_arrays(
                [categories(("started",), np.zeros(m, np.int8)), categories(TERMINAL_KINDS, terminal)]
            ),
            "customer_ref": pa.concat_arrays([customer_ref, customer_ref]),
        },
    )

    # ---- feedback -----------------------------------------------------------------------------------
    converted = p.converted[a:b]
    group = np.where(terminal == RESOLVED, np.where(converted, 0, 1), np.where(terminal == ESCALATED, 2, 3))
    trace_id = fixed_width(m, trace)
    parts = []
    for kind, share, tag in (("thumb", W.THUMB_SHARE, b"_t"), ("rating", W.RATING_SHARE, b"_r"), ("csat", W.CSAT_SHARE, b"_c")):
        sel = np.flatnonzero(rng.random(m) < share)
        g = group[sel]
        ns = len(sel)
        if kind == "thumb":
            value = (rng.random(ns) < np.asarray(W.THUMB_UP_P)[g]).astype(float)
            at = np.maximum(t_end[sel] - (rng.random(ns) * 30_000).astype(np.int64), t0[sel])
            positive = value == 1.0
            comment_share = 0.15
        else:
            means = np.asarray(W.RATING_MEAN if kind == "rating" else W.CSAT_MEAN)[g]
            value = np.clip(np.rint(means + W.SCORE_SD * rng.standard_normal(ns)), 1, 5)
            if kind == "rating":
                at = t_end[sel] + (rng.random(ns) * 60_000).astype(np.int64)
            else:  # e-mail survey after the conversation, answered within a day (before the data ends)
                at = t_end[sel] + (5 * MINUTE_MS + rng.random(ns) * DAY_MS).astype(np.int64)
                at = np.where(at >= p.end_ms, t_end[sel] + 5 * MINUTE_MS, at)
            positive = value >= 4
            comment_share = 0.15 if kind == "rating" else 0.25
        has_comment = rng.random(ns) < comment_share
        pos_c = categories(W.POSITIVE_COMMENTS, rng.integers(0, len(W.POSITIVE_COMMENTS), ns))
        neg_c = categories(W.NEGATIVE_COMMENTS, rng.integers(0, len(W.NEGATIVE_COMMENTS), ns))
        comment = with_nulls(pc.if_else(pa.array(positive), pos_c, neg_c), ~has_comment)
        tr = trace_id.take(pa.array(sel))
        if kind == "csat":
            tr = with_nulls(tr, np.ones(ns, bool))
        parts.append(
            {
                "event_id": fixed_width(ns, b"fb_" + seed_b + b"_", conv_digits[sel], tag),
                "occurred_at": timestamps_ms(at),
                "conversation_id": conv_id.take(pa.array(sel)),
                "trace_id": tr,
                "kind": categories((kind,), np.zeros(ns, np.int8)),
                "value": pa.array(value),
                "comment": comment,
            }
        )
        fb = fb_stats.setdefault(kind, {"count": 0, "value_sum": 0.0, "by_outcome": np.zeros((4, 2))})
        fb["count"] += ns
        fb["value_sum"] += float(value.sum())
        fb["by_outcome"][:, 0] += np.bincount(g, minlength=4)
        fb["by_outcome"][:, 1] += np.bincount(g, weights=value, minlength=4)
    writer.write(
        "feedback",
        {name: pa.concat_arrays([part[name].cast(SCHEMAS["feedback"].field(name).type) for part in parts]) for name in parts[0]},
    )

    # ---- deals of these conversations ------------------------------------------------------------
    conv_deals = p.deal_conv[: p.n_conv_deals]
    da, db = np.searchsorted(conv_deals, [a, b])
    _write_deals(p, writer, np.arange(da, db))


def _write_deals(p: Plan, writer: _Writer, idx: np.ndarray) -> None:
    nd = len(idx)
    deal_id = _deal_ids(p.seed, idx)
    stage = p.deal_stage[idx]
    organic = p.deal_conv[idx] < 0
    product = categories(W.PRODUCTS, p.deal_product[idx])
    order_no = fixed_width(nd, digits(100_000 + idx, 9))
    channel = pc.if_else(pa.array(organic), pa.scalar("Store order #"), pa.scalar("Web order #"))
    dealname = pc.binary_join_element_wise(channel, order_no, " - ", product, "")
    close = p.deal_close[idx]
    writer.write(
        "hubspot_deals",
        {
            "id": deal_id,
            "dealname": dealname,
            "amount": pa.array(p.deal_amount[idx]),
            "dealstage": categories(DEAL_STAGES, stage),
            "pipeline": categories(("default",), np.zeros(nd, np.int8)),
            "closedate": timestamps_ms(np.maximum(close, 0), close < 0),
            "createdate": timestamps_ms(p.deal_create[idx]),
            "hs_lastmodifieddate": timestamps_ms(p.deal_modified[idx]),
        },
    )
    writer.write(
        "hubspot_deal_contact_associations",
        {"deal_id": deal_id, "contact_id": _contact_ids(p.seed, p.deal_contact[idx])},
    )


def _write_contacts(p: Plan, writer: _Writer, idx: np.ndarray) -> None:
    writer.write(
        "hubspot_contacts",
        {
            "id": _contact_ids(p.seed, idx),
            "email": _emails(p, idx),
            "firstname": categories(W.FIRST_NAMES, p.contact_first[idx]),
            "lastname": categories(W.LAST_NAMES, p.contact_last[idx]),
            "createdate": timestamps_ms(p.contact_create[idx]),
            "lastmodifieddate": timestamps_ms(p.contact_modified[idx]),
        },
    )


def _write_outcome_metrics(p: Plan, writer: _Writer) -> dict:
    """Daily refund_rate and nps per experiment × variant × intent (raw.outcome_metrics, source demo).

    Deterministic: the draws come from their own random stream, and event_id hashes the row's keys, so
    writing them again replaces the same rows.
    """
    rng = _rng(p.seed, 5)
    arm_table = W.arms()
    day_idx = (p.t - p.start_ms) // DAY_MS
    n_intents = len(W.INTENTS)
    key = (day_idx * len(arm_table) + p.arm) * n_intents + p.intent
    counts = np.bincount(key, minlength=p.days * len(arm_table) * n_intents)
    groups = np.flatnonzero(counts)
    g_day, rest = np.divmod(groups, len(arm_table) * n_intents)
    g_arm, g_intent = np.divmod(rest, n_intents)
    columns: dict[str, list] = {name: [] for name in writer_columns("outcome_metrics")}
    summary = {}
    for metric, levels in W.OUTCOME_METRIC_LEVELS.items():
        level = np.asarray([levels[i] for i in W.INTENTS])[g_intent]
        sd = W.OUTCOME_METRIC_SD[metric] / np.sqrt(counts[groups])
        low, high = W.OUTCOME_METRIC_RANGE[metric]
        value = np.round(np.clip(level + sd * rng.standard_normal(len(groups)), low, high), 6)
        for d, a, i, v in zip(g_day, g_arm, g_intent, value):
            arm = arm_table[a]
            day = _day(p, d)
            intent = W.INTENTS[i]
            keys = f"demo\x1f{metric}\x1f{day}\x1f{arm['experiment_id']}\x1f{arm['variant']}\x1f{intent}"
            columns["event_id"].append(hashlib.sha256(keys.encode()).hexdigest())
            columns["occurred_at"].append(p.start_ms + int(d) * DAY_MS)
            columns["experiment_id"].append(arm["experiment_id"])
            columns["metric_name"].append(metric)
            columns["metric_value"].append(float(v))
            columns["intent"].append(intent)
            columns["source"].append("demo")
            columns["variant"].append(arm["variant"])
        summary[metric] = {"rows": int(len(groups)), "mean_value": float(value.mean()) if len(groups) else None}
    n_rows = len(columns["event_id"])
    arrays = {}
    for field in SCHEMAS["outcome_metrics"]:
        values = columns[field.name]
        if field.name == "occurred_at":
            arrays[field.name] = timestamps_ms(np.asarray(values, np.int64))
        elif not values:
            arrays[field.name] = pa.nulls(n_rows, field.type)
        else:
            arrays[field.name] = pa.array(values, field.type)
    writer.write("outcome_metrics", arrays)
    return {
        "source": "demo",
        "grain": "day x experiment_id x variant x intent (variant is an extra column)",
        "planted_effect": None,
        "levels": W.OUTCOME_METRIC_LEVELS,
        **summary,
    }


def writer_columns(table: str) -> list[str]:
    return [f.name for f in SCHEMAS[table]]


# ==================================================================================================
# 3. Truth
# ==================================================================================================


def _day(p: Plan, day_index: int) -> str:
    return (p.start_date + timedelta(days=int(day_index))).isoformat()


def _rate(num: float, den: float) -> float | None:
    return float(num) / float(den) if den else None


def _grouped(p: Plan, keys: list[tuple[str, np.ndarray, tuple[str, ...]]]) -> list[dict]:
    """Counts and planted/realised conversion for every combination of the given keys present."""
    code = np.zeros(p.n, np.int64)
    sizes = []
    for _, values, labels in keys:
        code = code * len(labels) + values
        sizes.append(len(labels))
    total = int(np.prod(sizes))
    conversations = np.bincount(code, minlength=total)
    conversions = np.bincount(code, weights=p.attributed, minlength=total)
    created = np.bincount(code, weights=p.converted, minlength=total)
    p_sum = np.bincount(code, weights=p.p_convert, minlength=total)
    rows = []
    for c in np.flatnonzero(conversations):
        labels, rest = [], int(c)
        for size in reversed(sizes):
            labels.append(rest % size)
            rest //= size
        labels.reverse()
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
    day = (p.t - p.start_ms) // DAY_MS
    n = np.bincount(day, minlength=p.days)
    conversions = np.bincount(day, weights=p.attributed, minlength=p.days)
    planted = np.bincount(day, weights=p.p_convert, minlength=p.days)
    return [
        {
            "date": _day(p, d),
            "conversations": int(n[d]),
            "conversions": int(conversions[d]),
            "expected_rate": _rate(planted[d], n[d]),
        }
        for d in range(p.days)
    ]


def _truth(p: Plan, writer: _Writer, stats: _CallStats, fb_stats: dict) -> dict:
    arm_table = W.arms()
    exp_ids = tuple(W.EXPERIMENTS)
    versions = tuple(sorted({a["prompt_version"] for a in arm_table}))
    arm_exp = np.asarray([exp_ids.index(a["experiment_id"]) for a in arm_table])[p.arm]
    arm_pv = np.asarray([versions.index(a["prompt_version"]) for a in arm_table])[p.arm]
    arm_variant = np.asarray([0 if a["variant"] == "control" else 1 for a in arm_table])[p.arm]
    exp_key = ("experiment_id", arm_exp, exp_ids)
    pv_key = ("prompt_version", arm_pv, versions)
    intent_key = ("intent", p.intent.astype(np.int64), W.INTENTS)

    by_pv = _grouped(p, [exp_key, pv_key])
    by_pv_intent = _grouped(p, [exp_key, pv_key, intent_key])
    by_variant = _grouped(p, [exp_key, ("variant", arm_variant, ("control", "treatment"))])

    experiments = {}
    for exp_id, exp in W.EXPERIMENTS.items():
        experiments[exp_id] = {
            "share": exp["share"],
            "description": exp["description"],
            "primary_metric": exp["primary_metric"],
            "start_date": p.start_date.isoformat(),
            "end_date": p.end_date.isoformat(),
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

    # ---- planted 1: prompt uplift ---------------------------------------------------------------
    eff = W.PROMPT_EFFECT
    uplift_rows = {
        r["prompt_version"]: r
        for r in by_pv_intent
        if r["experiment_id"] == eff["experiment_id"] and r["intent"] == eff["intent"]
    }
    prompt_uplift = {
        **eff,
        # mean planted probability of each arm: base rate × calendar (+ uplift), over its own days
        "expected_rate": {
            v: uplift_rows[v]["expected_rate"] if v in uplift_rows else None
            for v in (eff["baseline_prompt_version"], eff["prompt_version"])
        },
        "realized": {
            v: {k: r[k] for k in ("conversations", "conversions", "realized_rate")} for v, r in uplift_rows.items()
        },
    }

    # ---- planted 2: latency by model -------------------------------------------------------------
    latency_by_model = {}
    for i, model in enumerate(W.MODELS):
        n_calls = stats.calls[i]
        mean = _rate(stats.latency_sum[i], n_calls)
        var = (stats.latency_sq_sum[i] / n_calls - mean**2) if n_calls else None
        latency_by_model[model] = {
            "provider": W.MODEL_PROVIDER[model],
            "planted_offset_ms": W.MODEL_LATENCY_EFFECT["added_latency_ms"]
            if model == W.MODEL_LATENCY_EFFECT["llm_model"]
            else 0.0,
            "calls": int(n_calls),
            "ok_calls": int(stats.ok_calls[i]),
            "error_calls": int(stats.errors[i]),
            "expected_mean_latency_ms": _rate(stats.expected_latency_sum[i], n_calls),
            "realized_mean_latency_ms": mean,
            "realized_sd_latency_ms": math.sqrt(max(var, 0.0)) if var is not None else None,
            "realized_mean_latency_ms_ok": _rate(stats.latency_ok_sum[i], stats.ok_calls[i]),
            "realized_mean_ttft_ms": _rate(stats.ttft_sum[i], n_calls),
        }

    # ---- planted 3: bad release ------------------------------------------------------------------
    first_bad, last_bad = bad_release_days(p.days)
    br_intent = INTENT[W.BAD_RELEASE["intent"]]
    day_idx = (p.t - p.start_ms) // DAY_MS
    sel = p.intent == br_intent
    daily_n = np.bincount(day_idx[sel], minlength=p.days)
    daily_conv = np.bincount(day_idx[sel], weights=p.attributed[sel], minlength=p.days)
    daily_p = np.bincount(day_idx[sel], weights=p.p_convert[sel], minlength=p.days)
    in_window = (np.arange(p.days) >= first_bad) & (np.arange(p.days) <= last_bad)
    before = np.arange(p.days) < first_bad
    calendar = conversion_calendar(p.start_date, p.days)
    base = W.BASE_CONVERSION[W.BAD_RELEASE["intent"]]
    # traffic-weighted planted rates: before the release, and in its window with and without it
    baseline = _rate(daily_p[before].sum(), daily_n[before].sum())
    window_without = _rate((daily_n * base * calendar)[in_window].sum(), daily_n[in_window].sum())
    window_with = _rate(daily_p[in_window].sum(), daily_n[in_window].sum())
    bad_release = {
        "intent": W.BAD_RELEASE["intent"],
        "start_date": _day(p, first_bad),
        "end_date": _day(p, last_bad),
        "end_date_inclusive": True,
        "days": W.BAD_RELEASE["days"],
        "ends_days_before_end_date": W.BAD_RELEASE["ends_days_before_end"],
        "conversion_multiplier": W.BAD_RELEASE["conversion_multiplier"],
        "relative_drop": round(1 - W.BAD_RELEASE["conversion_multiplier"], 10),
        "base_conversion": base,
        "baseline_daily_conversion_rate": baseline,
        "expected_window_conversion_rate": window_with,
        "expected_window_conversion_rate_without_release": window_without,
        "realized_baseline": {
            "conversations": int(daily_n[~in_window].sum()),
            "conversions": int(daily_conv[~in_window].sum()),
            "rate": _rate(daily_conv[~in_window].sum(), daily_n[~in_window].sum()),
        },
        "realized_window": {
            "conversations": int(daily_n[in_window].sum()),
            "conversions": int(daily_conv[in_window].sum()),
            "rate": _rate(daily_conv[in_window].sum(), daily_n[in_window].sum()),
        },
        "daily": [
            {
                "date": _day(p, d),
                "conversations": int(daily_n[d]),
                "conversions": int(daily_conv[d]),
                "expected_rate": _rate(daily_p[d], daily_n[d]),
                "calendar_factor": float(calendar[d]),
                "in_window": bool(in_window[d]),
            }
            for d in range(p.days)
        ],
    }

    # ---- planted 4: escalation by capability ------------------------------------------------------
    esc = p.terminal == ESCALATED
    cap_n = np.bincount(p.capability, minlength=len(W.CAPABILITIES))
    cap_esc = np.bincount(p.capability, weights=esc, minlength=len(W.CAPABILITIES))
    escalation_by_capability = {}
    for i, cap in enumerate(W.CAPABILITIES):
        planted = W.BASELINE_ESCALATION * (
            W.ESCALATION_EFFECT["multiplier"] if cap == W.ESCALATION_EFFECT["capability"] else 1.0
        )
        escalation_by_capability[cap] = {
            "planted_escalation_probability": planted,
            "conversations": int(cap_n[i]),
            "escalated": int(cap_esc[i]),
            "realized_rate": _rate(cap_esc[i], cap_n[i]),
        }

    # ---- attribution residual ----------------------------------------------------------------------
    conv_deals = np.arange(p.n_conv_deals)
    won = conv_deals[p.deal_stage[conv_deals] == WON]
    stolen = won[p.deal_credited_conv[won] != p.deal_conv[won]]
    by_contact = np.lexsort((p.t, p.contact))
    cs, ts = p.contact[by_contact], p.t[by_contact]
    close_pairs = (cs[1:] == cs[:-1]) & (ts[1:] - ts[:-1] <= W.ATTRIBUTION_WINDOW_DAYS * DAY_MS)
    organic = np.flatnonzero(p.deal_conv < 0)
    attribution = {
        "rule": "closedwon deal of the conversation's contact with closedate in [started_at, started_at + 7 days];"
        " last touch: credited once, to the latest conversation of the contact started at or before closedate",
        "window_days": W.ATTRIBUTION_WINDOW_DAYS,
        "conversions_created": int(p.converted.sum()),
        "conversions_attributed": int(p.attributed.sum()),
        "deals_won_from_conversations": int(len(won)),
        "deals_credited_to_a_later_conversation": int(len(stolen)),
        "conversations_created_but_not_attributed": int((p.converted & ~p.attributed).sum()),
        "conversations_attributed_but_not_created": int((p.attributed & ~p.converted).sum()),
        "followup_conversations": int(p.followup.sum()),
        "consecutive_conversation_pairs_within_window": int(close_pairs.sum()),
        "contacts_with_two_conversations_within_window": int(np.count_nonzero(np.bincount(cs[1:][close_pairs]))),
        "organic_deals": int(len(organic)),
        "organic_deals_won": int((p.deal_stage[organic] == WON).sum()),
        "organic_deals_credited": int((p.deal_credited_conv[organic] >= 0).sum()),
        "note": "realized conversions everywhere in this file follow the rule above (what the pipeline "
        "should compute); conversions_created counts the conversations that created a closedwon deal. They "
        "differ only where a contact came back within the window before the deal closed (follow-ups).",
    }

    # ---- order value ----------------------------------------------------------------------------------
    won_intent = p.intent[p.deal_conv[won]]
    order_value = {
        intent: {
            "planted_mean": W.ORDER_VALUE_MEAN[intent],
            "deals": int((won_intent == i).sum()),
            "realized_mean": _rate(p.deal_amount[won][won_intent == i].sum(), (won_intent == i).sum()),
        }
        for i, intent in enumerate(W.INTENTS)
    }
    order_value["log_sigma"] = W.ORDER_SIGMA

    feedback = {}
    for kind, s in fb_stats.items():
        feedback[kind] = {
            "count": int(s["count"]),
            "share_of_conversations": _rate(s["count"], p.n),
            "mean_value": _rate(s["value_sum"], s["count"]),
            "by_outcome": {
                g: {"count": int(s["by_outcome"][j, 0]), "mean_value": _rate(s["by_outcome"][j, 1], s["by_outcome"][j, 0])}
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

    overall = {
        "conversations": p.n,
        "conversions": int(p.attributed.sum()),
        "expected_rate": float(p.p_convert.mean()),
        "realized_rate": float(p.attributed.mean()),
    }
    intent_counts = np.bincount(p.intent, minlength=len(W.INTENTS))
    return {
        "conversion_calendar": {
            "weekday_factor_mon_to_sun": list(W.CONVERSION_WEEKDAY_FACTOR),
            "growth_per_day": W.CONVERSION_GROWTH_PER_DAY,
            "rule": "planted conversion = base_conversion[intent] × weekday factor × exp(growth_per_day × (day - (days - 1) / 2)),"
            " then + prompt uplift, then × bad-release multiplier",
        },
        "daily_conversion": daily_conversion(p),
        "generator": GENERATOR_VERSION,
        "seed": p.seed,
        "conversations": p.n,
        "days": p.days,
        "start_date": p.start_date.isoformat(),
        "end_date": p.end_date.isoformat(),
        "end_date_exclusive": True,
        "last_day": (p.end_date - timedelta(days=1)).isoformat(),
        "timezone": "UTC",
        "main_experiment": W.MAIN_EXPERIMENT,
        "experiments": experiments,
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
        "planted_effects": {
            "prompt_uplift": prompt_uplift,
            "model_latency": {
                **W.MODEL_LATENCY_EFFECT,
                "note": "every call of this model gets added_latency_ms; otherwise all models share one latency model",
                "by_model": latency_by_model,
            },
            "bad_release": bad_release,
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
        },
        "expected_conversion": {
            "definition": "expected_rate = mean planted conversion probability of the conversations in the group;"
            " conversions = conversations converted by the attribution rule (see attribution)",
            "overall": overall,
            "by_experiment_prompt_version": by_pv,
            "by_experiment_prompt_version_intent": by_pv_intent,
            "by_experiment_variant": by_variant,
        },
        "latency_by_model": latency_by_model,
        "escalation_by_capability": escalation_by_capability,
        "outcomes": {kind: int((p.terminal == i).sum()) for i, kind in enumerate(TERMINAL_KINDS)},
        "customer_ref": {
            "email_share_planted": W.EMAIL_REF_SHARE,
            "conversations_with_email_ref": int(p.ref_email.sum()),
            "email_share_realized": float(p.ref_email.mean()),
        },
        "attribution": attribution,
        "order_value": order_value,
        "feedback": feedback,
        "cost": {
            "formula": "((input_tokens - cached_input_tokens) * input + cached_input_tokens * cached_input"
            " + output_tokens * output) / 1e6, prices per 1M tokens",
            "prices_per_1m": W.PRICES_PER_1M,
            "total_usd_by_model": {m: float(stats.cost_sum[i]) for i, m in enumerate(W.MODELS)},
            "calls_with_null_cost": int(stats.cost_null.sum()),
            "input_tokens_by_model": {m: int(stats.input_tokens[i]) for i, m in enumerate(W.MODELS)},
            "output_tokens_by_model": {m: int(stats.output_tokens[i]) for i, m in enumerate(W.MODELS)},
        },
        "contacts": {
            "total": p.n_contacts,
            "with_conversations": int(np.count_nonzero(np.bincount(p.contact, minlength=p.n_contacts))),
        },
        "rows": dict(writer.rows),
        "parts": dict(writer.parts),
        "notes": [
            "conversations start in [start_date, end_date); a terminal event or a thumb/rating of a"
            " conversation that starts late on the last day may fall a little after end_date",
            "deal closedates (and contact/deal modification dates) are kept before end_date",
            "failed calls (status error) carry no tokens and cost 0; their time_to_first_token_ms equals latency_ms",
            "customer_ref e-mails differ from the contact's e-mail only by case and leading/trailing spaces",
            "a conversation is in exactly one experiment; exp_temperature's variants share sales_agent.v1",
        ],
    }


# ==================================================================================================
# API and CLI
# ==================================================================================================


def generate(
    out_dir: Path,
    conversations: int = 50_000,
    seed: int = 42,
    days: int = 180,
    end_date: date = date(2026, 11, 1),
    progress: bool = False,
) -> dict:
    """Write the demo raw tables under out_dir and return the truth (also written to truth.json).

    The period is [end_date - days, end_date): end_date itself is excluded.
    """
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    n_chunks = max(1, math.ceil(conversations / CHUNK_CONVERSATIONS))
    with Progress(
        TextColumn("[bold]{task.description:<34}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("conversations"),
        TimeElapsedColumn(),
        disable=not progress,
    ) as bar:
        task = bar.add_task("planning", total=conversations)
        p = plan(conversations, seed, days, end_date)
        bar.update(task, description="writing llm calls, events, feedback")
        writer = _Writer(out_dir)
        stats = _CallStats.empty()
        fb_stats: dict = {}
        for chunk in range(n_chunks):
            a = chunk * CHUNK_CONVERSATIONS
            b = min(conversations, a + CHUNK_CONVERSATIONS)
            _write_chunk(p, writer, stats, fb_stats, chunk, a, b)
            bar.update(task, advance=b - a)
        bar.update(task, description="writing contacts and organic deals")
        organic = np.arange(p.n_conv_deals, len(p.deal_conv))
        _write_deals(p, writer, organic)
        for a in range(0, p.n_contacts, CONTACT_PART_ROWS):
            _write_contacts(p, writer, np.arange(a, min(p.n_contacts, a + CONTACT_PART_ROWS)))
        outcome_metric_rows = _write_outcome_metrics(p, writer)
        truth = _truth(p, writer, stats, fb_stats)
        truth["outcome_metrics"] = outcome_metric_rows
        (out_dir / "truth.json").write_text(json.dumps(truth, indent=2) + "\n")
        bar.update(task, description="done")
    return truth


app = typer.Typer(add_completion=False, help="Generate the OutcomeLens demo data (parquet part files + truth.json).")


@app.command()
def main(
    out: Path = typer.Option(..., "--out", help="output directory"),
    size: int = typer.Option(50_000, "--size", help="number of conversations"),
    seed: int = typer.Option(42, "--seed", help="random seed (same seed and size = byte-identical files)"),
    days: int = typer.Option(180, "--days", help="length of the period in days"),
    end_date: str = typer.Option("2026-11-01", "--end-date", help="end of the period (exclusive), YYYY-MM-DD"),
    progress: bool = typer.Option(True, "--progress/--no-progress", help="show a progress bar"),
) -> None:
    """Write the demo raw tables and truth.json under --out."""
    import time

    from rich.console import Console

    started = time.perf_counter()
    truth = generate(
        out, conversations=size, seed=seed, days=days, end_date=date.fromisoformat(end_date), progress=progress
    )
    elapsed = time.perf_counter() - started
    console = Console()
    console.print(f"wrote {size:,} conversations (seed {seed}) to {out} in {elapsed:.1f} s")
    for table, rows in truth["rows"].items():
        console.print(f"  {table:<36} {rows:>12,} rows")
    console.print(f"  truth: {Path(out) / 'truth.json'}")


if __name__ == "__main__":
    app()
