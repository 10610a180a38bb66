"""The plan: every conversation, contact and deal of the demo as numpy arrays (a few bytes a row).

It holds all that truth.json needs; the writers expand it, chunk by chunk, into the raw tables. The
stages draw from one random stream in a fixed order (the order of the calls in `plan`), so changing
that order changes every file.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np

from ingestion.demo import world as W
from ingestion.demo.attribution import attributed_conversations, credit_deals
from ingestion.demo.contacts import Contacts, contact_created, contact_modified, contact_names
from ingestion.demo.conversations import (
    Dimensions,
    conversation_dimensions,
    planted_conversion_probability,
    terminal_outcomes,
)
from ingestion.demo.deals import DealRows, conversation_deals, organic_deals
from ingestion.demo.period import Period
from ingestion.demo.pre_period import pre_period_deals
from ingestion.demo.random_draws import PLAN_STREAM, stream
from ingestion.demo.timeline import contacts_and_start_times


@dataclass
class Conversations(Dimensions):
    """Per conversation, in time order (conversation number = index): its dimensions and these."""

    t: np.ndarray  # start, epoch ms
    contact: np.ndarray  # contact index
    followup: np.ndarray  # bool
    p_convert: np.ndarray  # planted conversion probability
    conversion_draw: np.ndarray  # the uniform draw: converted when below p_convert (pre_period.py reads it)
    converted: np.ndarray  # bool: this conversation created a closedwon deal
    attributed: np.ndarray  # bool: converted by the contract's attribution rule
    terminal: np.ndarray


@dataclass
class Deals(DealRows):
    """Conversation deals first, in conversation order, then organic deals."""

    credited_conv: np.ndarray  # conversation credited by the rule, -1 for none
    n_conv_deals: int
    n_pre_period: int = 0  # the last rows: purchases before the period (pre_period.py)

    @property
    def n_organic_end(self) -> int:
        """One past the last organic deal."""
        return len(self.conv) - self.n_pre_period


@dataclass
class Plan:
    seed: int
    n: int
    period: Period
    conversations: Conversations
    contacts: Contacts
    deals: Deals


def _check_arguments(n: int, seed: int, days: int) -> None:
    if n < 1:
        raise ValueError("conversations must be at least 1")
    if n >= 10**9:
        raise ValueError("conversations must be below 1e9 (ids have 9 digits)")
    if seed < 0:
        raise ValueError("seed must be non-negative")
    if days < W.BAD_RELEASE["days"] + W.BAD_RELEASE["ends_days_before_end"] + 1:
        raise ValueError("days is too short for the bad-release window")


def plan(n: int, seed: int, days: int, end_date: date) -> Plan:
    """n conversations over the `days` days before end_date (exclusive), from the given seed."""
    _check_arguments(n, seed, days)
    rng = stream(seed, PLAN_STREAM)
    period = Period.ending(end_date, days)
    timeline = contacts_and_start_times(rng, n, period)
    t, contact = timeline.t, timeline.contact
    dims = conversation_dimensions(rng, n)
    p_convert = planted_conversion_probability(period, t, dims)
    conversion_draw = rng.random(n)
    converted = conversion_draw < p_convert
    terminal = terminal_outcomes(rng, dims.capability)
    from_conversations = conversation_deals(rng, period, t, contact, dims.intent, converted)
    names = contact_names(rng, timeline.n_contacts)
    created, last_talk = contact_created(rng, period, t, contact, timeline.n_contacts)
    organic = organic_deals(rng, period, timeline.organic, created)
    modified = contact_modified(rng, period, created, last_talk)
    before = pre_period_deals(seed, period, conversion_draw, contact, created)  # own stream; moves `created`
    deals = DealRows.concat(DealRows.concat(from_conversations, organic), before.deals)
    credited = credit_deals(t, contact, deals.contact, deals.stage, deals.close)
    return Plan(
        seed=seed,
        n=n,
        period=period,
        conversations=Conversations(
            **vars(dims), t=t, contact=contact, followup=timeline.followup, p_convert=p_convert,
            conversion_draw=conversion_draw, converted=converted, attributed=attributed_conversations(n, credited), terminal=terminal,
        ),
        contacts=Contacts(timeline.n_contacts, **vars(names), create=created, modified=modified),
        deals=Deals(**vars(deals), credited_conv=credited, n_conv_deals=len(from_conversations.conv),
                    n_pre_period=len(before.deals.conv)),
    )
