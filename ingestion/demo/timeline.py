"""Who talks to the agent when: the contacts, and the start time and contact of every conversation.

Conversation start times follow the traffic profile (trend, weekday, hour of day). They are handed to
contacts so that a contact's k conversations sit evenly around the period: each contact gets positions
(offset + (j + jitter) / k) mod 1 on a circle, and the conversations are ranked by position. Points
spread like that stay >= (1 - 2 * SPREAD_JITTER) / k of the period apart, so for 180 days two
conversations of a contact are rarely within a week (follow-ups aside), and the start times keep
exactly the traffic profile (they are only permuted). Follow-ups (FOLLOWUP_SHARE) come back 0.5–72 h
after an earlier conversation of the same contact.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ingestion.demo import world as W
from ingestion.demo.period import DAY_MS, HOUR_MS, MINUTE_MS, Period, traffic_day_weights
from ingestion.demo.random_draws import categorical


@dataclass
class Timeline:
    n_contacts: int
    organic: np.ndarray  # contacts who never talk to the agent (sorted indices)
    # per conversation, in time order (conversation number = index)
    t: np.ndarray  # start, epoch ms
    contact: np.ndarray  # contact index
    followup: np.ndarray  # bool


@dataclass
class _Roles:
    n_contacts: int
    active: np.ndarray  # contacts with at least one primary conversation
    organic: np.ndarray
    n_primary: int
    n_followup: int


def _contact_roles(rng: np.random.Generator, n: int) -> _Roles:
    n_contacts = max(1, round(W.CONTACTS_PER_CONVERSATION * n))
    n_organic = round(W.ORGANIC_CONTACT_SHARE * n_contacts)
    n_followup = round(W.FOLLOWUP_SHARE * n) if n >= 2 else 0
    n_primary = n - n_followup
    n_active = max(1, min(n_contacts - n_organic, n_primary))
    roles = rng.permutation(n_contacts)
    return _Roles(n_contacts, np.sort(roles[:n_active]), np.sort(roles[n_active:]), n_primary, n_followup)


def _primary_conversations(rng: np.random.Generator, period: Period, roles: _Roles) -> tuple[np.ndarray, np.ndarray]:
    """Start time and contact of every first-hand conversation (in no particular order)."""
    n_active, n_primary, days = len(roles.active), roles.n_primary, period.days
    k = 1 + np.bincount(rng.integers(0, n_active, n_primary - n_active), minlength=n_active)
    cumw = np.cumsum(traffic_day_weights(period.start_date, days))
    day = np.minimum(np.searchsorted(cumw, rng.random(n_primary) * cumw[-1], side="right"), days - 1)
    hour = categorical(rng, W.HOUR_WEIGHTS, n_primary).astype(np.int64)
    slots = np.sort(period.start_ms + day * DAY_MS + hour * HOUR_MS + rng.integers(0, HOUR_MS, n_primary))
    owner = np.repeat(np.arange(n_active), k)
    j = np.arange(n_primary) - np.repeat(np.cumsum(k) - k, k)
    jitter = rng.uniform(-W.SPREAD_JITTER, W.SPREAD_JITTER, n_primary)
    position = (rng.random(n_active)[owner] + (j + jitter) / k[owner]) % 1.0
    t_primary = np.empty(n_primary, np.int64)
    t_primary[np.argsort(position, kind="stable")] = slots
    return t_primary, roles.active[owner]


def _followup_times(rng: np.random.Generator, period: Period, t_primary: np.ndarray, n_followup: int):
    """Start times of the follow-ups and the primary conversation each comes back to (before it when
    coming back after it would fall past the end)."""
    parent = rng.integers(0, len(t_primary), n_followup)
    offset = rng.integers(30 * MINUTE_MS, 72 * HOUR_MS, n_followup)
    t_follow = t_primary[parent] + offset
    back = t_follow >= period.end_ms
    t_follow[back] = t_primary[parent][back] - offset[back]
    return np.maximum(t_follow, period.start_ms), parent


def contacts_and_start_times(rng: np.random.Generator, n: int, period: Period) -> Timeline:
    roles = _contact_roles(rng, n)
    t_primary, contact_primary = _primary_conversations(rng, period, roles)
    t_follow, parent = _followup_times(rng, period, t_primary, roles.n_followup)
    t_all = np.concatenate([t_primary, t_follow])
    contact_all = np.concatenate([contact_primary, contact_primary[parent]])
    followup = np.concatenate([np.zeros(roles.n_primary, bool), np.ones(roles.n_followup, bool)])
    order = np.lexsort((contact_all, t_all))
    return Timeline(
        n_contacts=roles.n_contacts,
        organic=roles.organic,
        t=t_all[order].astype(np.int64),
        contact=contact_all[order].astype(np.int64),
        followup=followup[order],
    )
