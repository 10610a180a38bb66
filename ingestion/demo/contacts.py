"""The HubSpot contacts of the plan: names, e-mail parts, creation and modification dates."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ingestion.demo import world as W
from ingestion.demo.period import DAY_MS, HOUR_MS, Period
from ingestion.demo.random_draws import categorical


@dataclass
class Contacts:
    n: int
    first_name: np.ndarray  # code into W.FIRST_NAMES
    last_name: np.ndarray  # code into W.LAST_NAMES
    pattern: np.ndarray  # e-mail pattern, see email_occurrence
    domain: np.ndarray  # code into W.EMAIL_DOMAINS
    occurrence: np.ndarray  # 0 = first use of this e-mail base, k = (k+1)th
    create: np.ndarray  # ms
    modified: np.ndarray  # ms


@dataclass
class ContactNames:
    first_name: np.ndarray
    last_name: np.ndarray
    pattern: np.ndarray
    domain: np.ndarray
    occurrence: np.ndarray


def contact_names(rng: np.random.Generator, n_contacts: int) -> ContactNames:
    first_name = rng.integers(0, len(W.FIRST_NAMES), n_contacts).astype(np.int16)
    last_name = rng.integers(0, len(W.LAST_NAMES), n_contacts).astype(np.int16)
    pattern = categorical(rng, W.EMAIL_PATTERN_P, n_contacts)
    domain = categorical(rng, W.EMAIL_DOMAIN_P, n_contacts)
    occurrence = email_occurrence(first_name, last_name, pattern, domain)
    return ContactNames(first_name, last_name, pattern, domain, occurrence)


def email_occurrence(first, last, pattern, domain) -> np.ndarray:
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


def _first_and_last_talk(t: np.ndarray, contact: np.ndarray, n_contacts: int):
    """Per contact, the start of its first and of its last conversation (-1 if it never talks), and
    the contacts that talk."""
    by_contact = np.lexsort((t, contact))
    c_sorted = contact[by_contact]
    starts = np.flatnonzero(np.r_[True, c_sorted[1:] != c_sorted[:-1]])
    ends = np.r_[starts[1:], len(c_sorted)] - 1
    talking = c_sorted[starts]
    first_t = np.full(n_contacts, -1, np.int64)
    last_t = np.full(n_contacts, -1, np.int64)
    first_t[talking] = t[by_contact[starts]]
    last_t[talking] = t[by_contact[ends]]
    return first_t, last_t, talking


def contact_created(rng: np.random.Generator, period: Period, t: np.ndarray, contact: np.ndarray, n_contacts: int):
    """Creation dates (a lead time before the first conversation; any time in the year before the
    period for silent contacts) and each contact's last conversation start (-1 if none)."""
    first_t, last_t, talking = _first_and_last_talk(t, contact, n_contacts)
    create = np.empty(n_contacts, np.int64)
    lead = (HOUR_MS + rng.exponential(60.0, n_contacts) * DAY_MS).astype(np.int64)
    create[talking] = first_t[talking] - lead[talking]
    is_talking = np.zeros(n_contacts, bool)
    is_talking[talking] = True
    silent = np.flatnonzero(~is_talking)
    year_before = period.start_ms - 365 * DAY_MS
    create[silent] = year_before + (rng.random(len(silent)) * (period.end_ms - DAY_MS - year_before)).astype(np.int64)
    return create, last_t


def contact_modified(rng: np.random.Generator, period: Period, create: np.ndarray, last_t: np.ndarray) -> np.ndarray:
    """Within a day after the contact's last activity, kept before the end of the period."""
    last_activity = np.maximum(create, last_t)
    return np.maximum(create, np.minimum(last_activity + rng.integers(0, DAY_MS, len(create)), period.last_ms))
