"""The HubSpot deals of the plan: those created by conversations, and organic ones of contacts who never
talk to the agent."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ingestion.demo import world as W
from ingestion.demo.codes import LOST, OPEN, WON
from ingestion.demo.period import DAY_MS, HOUR_MS, MINUTE_MS, Period
from ingestion.demo.random_draws import lognormal_with_mean


@dataclass
class DealRows:
    conv: np.ndarray  # conversation index, -1 for organic
    contact: np.ndarray
    stage: np.ndarray  # WON, LOST or OPEN
    amount: np.ndarray
    close: np.ndarray  # ms, -1 for none
    create: np.ndarray
    modified: np.ndarray
    product: np.ndarray  # code into W.PRODUCTS

    @classmethod
    def concat(cls, first: DealRows, second: DealRows) -> DealRows:
        return cls(*(np.concatenate([a, b]) for a, b in zip(vars(first).values(), vars(second).values())))


def _conversation_deal_dates(rng, period: Period, dt: np.ndarray, stage: np.ndarray):
    """close, create and modified of conversation deals started at dt: a won deal closes 0–5 days
    after the start, a lost one 1–7 days; an open deal is created within 2 h and has no closedate."""
    nd = len(dt)
    won_delay = (rng.random(nd) * W.CLOSE_DELAY_MAX_DAYS * DAY_MS).astype(np.int64)
    lost_delay = ((1.0 + rng.random(nd) * 6.0) * DAY_MS).astype(np.int64)
    last_ms = period.last_ms
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
    return close, create, modified


def conversation_deals(rng, period: Period, t, contact, intent, converted) -> DealRows:
    """A closedwon deal for every converting conversation; some of the others leave a closedlost
    (abandoned cart) or an open deal."""
    n = len(t)
    lost = ~converted & (rng.random(n) < W.LOST_DEAL_SHARE)
    open_ = ~converted & ~lost & (rng.random(n) < W.OPEN_DEAL_SHARE)
    deal_conv = np.flatnonzero(converted | lost | open_)
    stage = np.where(converted[deal_conv], WON, np.where(lost[deal_conv], LOST, OPEN)).astype(np.int8)
    close, create, modified = _conversation_deal_dates(rng, period, t[deal_conv], stage)
    mean_amount = np.asarray([W.ORDER_VALUE_MEAN[i] for i in W.INTENTS])[intent[deal_conv]]
    amount = np.round(lognormal_with_mean(rng, mean_amount, W.ORDER_SIGMA, len(deal_conv)), 2)
    product = rng.integers(0, len(W.PRODUCTS), len(deal_conv)).astype(np.int16)
    return DealRows(deal_conv, contact[deal_conv], stage, amount, close, create, modified, product)


def organic_deals(rng, period: Period, organic_contacts: np.ndarray, contact_create: np.ndarray) -> DealRows:
    """Deals of contacts who never talk to the agent: closed in the period, mostly won."""
    per_organic = rng.poisson(W.ORGANIC_DEALS_PER_CONTACT, len(organic_contacts))
    o_contact = np.repeat(organic_contacts, per_organic)
    no = len(o_contact)
    stage = np.where(rng.random(no) < W.ORGANIC_WON_SHARE, WON, LOST).astype(np.int8)
    lo = np.maximum(contact_create[o_contact], period.start_ms)
    close = lo + (rng.random(no) * (period.last_ms - lo)).astype(np.int64)
    since_created = close - contact_create[o_contact]
    create = close - (rng.random(no) * np.minimum(14 * DAY_MS, since_created)).astype(np.int64)
    modified = np.maximum(close, np.minimum(close + rng.integers(0, HOUR_MS, no), period.last_ms))
    amount = np.round(lognormal_with_mean(rng, 85.0, W.ORDER_SIGMA, no), 2)
    product = rng.integers(0, len(W.PRODUCTS), no).astype(np.int16)
    return DealRows(np.full(no, -1, np.int64), o_contact, stage, amount, close, create, modified, product)
