"""Returning customers: purchases (closedwon HubSpot deals) that some contacts made before the period,
i.e. before the demo's experiments started — the pre-period covariate CUPED adjusts by.

Real customers who bought before tend to buy again: the history must correlate with the conversion in
the experiment, yet be independent of the arm (it happened before assignment). Both hold by drawing the
history from the same latent readiness to buy that decides each conversion: conversation i converts
when its uniform draw u_i < p_i (plan.py), so z_i = Φ⁻¹(1 − u_i) is its buyer's readiness, and a
returning contact's number of earlier purchases is Poisson(λ · exp(β s − β²/2)) with s = Σ z_i / √k
over its k conversations (standard normal; the factor has mean 1, so λ is the mean). The arms and every
other draw of the plan are untouched: the existing tables stay byte-identical, only these deals (and
the creation dates of their contacts, moved before their first purchase) are added.

Drawn from its own random stream (PRE_PERIOD_STREAM), after the plan's.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import ndtri

from ingestion.demo import world as W
from ingestion.demo.codes import WON
from ingestion.demo.deals import DealRows
from ingestion.demo.period import DAY_MS, HOUR_MS, Period
from ingestion.demo.random_draws import PRE_PERIOD_STREAM, lognormal_with_mean, stream


@dataclass
class PrePeriod:
    deals: DealRows
    returning: np.ndarray  # bool per contact: bought before the period


def contact_readiness(conversion_draw: np.ndarray, contact: np.ndarray, n_contacts: int) -> np.ndarray:
    """Σ Φ⁻¹(1 − u) / √k per contact over its conversations (0 for contacts who never talk)."""
    z = ndtri(1.0 - np.clip(conversion_draw, 1e-12, 1 - 1e-12))
    k = np.bincount(contact, minlength=n_contacts)
    total = np.bincount(contact, weights=z, minlength=n_contacts)
    return np.where(k > 0, total / np.sqrt(np.maximum(k, 1)), 0.0)


def pre_period_deals(
    seed: int, period: Period, conversion_draw: np.ndarray, contact: np.ndarray, contact_create: np.ndarray
) -> PrePeriod:
    """The returning contacts' earlier purchases, closed in the HISTORY_DAYS before the period start.
    contact_create is moved (in place) before each returning contact's first purchase."""
    cfg = W.PRE_PERIOD
    rng = stream(seed, PRE_PERIOD_STREAM)
    n_contacts = len(contact_create)
    talking = np.bincount(contact, minlength=n_contacts) > 0
    returning = talking & (rng.random(n_contacts) < cfg["returning_share"])
    s = contact_readiness(conversion_draw, contact, n_contacts)
    beta = cfg["readiness_effect"]
    mean = cfg["purchases_per_returning_contact"] * np.exp(beta * s - beta**2 / 2)
    per_contact = np.where(returning, rng.poisson(mean), 0)
    who = np.repeat(np.arange(n_contacts), per_contact)
    nd = len(who)
    history_ms = cfg["history_days"] * DAY_MS
    close = period.start_ms - 1000 - (rng.random(nd) * (history_ms - 1000)).astype(np.int64)
    create = close - (rng.random(nd) * 14 * DAY_MS).astype(np.int64)
    modified = close + rng.integers(0, HOUR_MS, nd)
    amount = np.round(lognormal_with_mean(rng, 85.0, W.ORDER_SIGMA, nd), 2)
    product = rng.integers(0, len(W.PRODUCTS), nd).astype(np.int16)
    if nd:
        first_deal = np.full(n_contacts, np.iinfo(np.int64).max)
        np.minimum.at(first_deal, who, create)
        lead = (HOUR_MS + rng.exponential(60.0, n_contacts) * DAY_MS).astype(np.int64)
        np.minimum(contact_create, np.where(first_deal < np.iinfo(np.int64).max, first_deal - lead, contact_create),
                   out=contact_create)
    deals = DealRows(
        np.full(nd, -1, np.int64), who.astype(np.int64), np.full(nd, WON, np.int8), amount, close, create,
        modified, product,
    )
    return PrePeriod(deals, returning)


def covariate(p_pre: DealRows, contact: np.ndarray, n_contacts: int, start_ms: int, window_days: int) -> np.ndarray:
    """Per conversation: its contact's closedwon purchases in the window_days before start_ms."""
    in_window = (p_pre.close < start_ms) & (p_pre.close >= start_ms - window_days * DAY_MS)
    counts = np.bincount(p_pre.contact[in_window], minlength=n_contacts)
    return counts[contact].astype(float)
