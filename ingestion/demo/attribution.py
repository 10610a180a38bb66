"""The attribution rule of docs/contracts.md, computed on the plan: the demo's truth of which
conversation converted. It is the independent computation the pipeline's dbt models are tested
against, so it is written here without sharing any code with them."""

from __future__ import annotations

import numpy as np

from ingestion.demo import world as W
from ingestion.demo.codes import WON
from ingestion.demo.period import DAY_MS


def credit_deals(conv_t, conv_contact, deal_contact, deal_stage, deal_close) -> np.ndarray:
    """Conversation credited with each deal (-1 for none): a closedwon deal goes to the latest
    conversation of its contact that started at or before its closedate and at most
    ATTRIBUTION_WINDOW_DAYS before it."""
    credited = np.full(len(deal_contact), -1, np.int64)
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
    last_conv = np.maximum.accumulate(np.where(kind == 0, np.arange(len(order)), -1))
    deal_rows = np.flatnonzero(kind == 1)
    lc = last_conv[deal_rows]
    ok = lc >= 0
    lc_safe = np.where(ok, lc, 0)
    ok &= who[lc_safe] == who[deal_rows]
    ok &= when[deal_rows] - when[lc_safe] <= W.ATTRIBUTION_WINDOW_DAYS * DAY_MS
    credited[ref[deal_rows[ok]]] = ref[lc_safe[ok]]
    return credited


def attributed_conversations(n_conversations: int, credited: np.ndarray) -> np.ndarray:
    """Per conversation: converted by the rule (credited with at least one deal)."""
    attributed = np.zeros(n_conversations, bool)
    attributed[credited[credited >= 0]] = True
    return attributed
