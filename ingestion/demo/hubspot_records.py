"""HubSpot's raw tables (contacts, deals, deal–contact associations) and the ids and e-mails that
conversations refer to their contacts by (customer_ref)."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ingestion.demo import world as W
from ingestion.demo._arrow import categories, digits, fixed_width, timestamps_ms
from ingestion.demo.codes import DEAL_STAGES
from ingestion.demo.parquet_parts import PartWriter
from ingestion.demo.plan import Plan
from ingestion.demo.random_draws import categorical


def contact_ids(seed: int, idx: np.ndarray) -> pa.Array:
    return fixed_width(len(idx), str(seed).encode(), digits(1_000_000_000 + np.asarray(idx), 10))


def deal_ids(seed: int, idx: np.ndarray) -> pa.Array:
    return fixed_width(len(idx), str(seed).encode(), digits(5_000_000_000 + np.asarray(idx), 10))


def _email_local_parts(p: Plan, idx: np.ndarray) -> pa.Array:
    """first.last, <initial>last, first_last or first.<initial> by the contact's pattern."""
    firsts = pa.array([f.lower() for f in W.FIRST_NAMES])
    lasts = pa.array([x.lower() for x in W.LAST_NAMES])
    first = firsts.take(pa.array(p.contacts.first_name[idx].astype(np.int32)))
    last = lasts.take(pa.array(p.contacts.last_name[idx].astype(np.int32)))
    fi = pc.utf8_slice_codeunits(first, 0, 1)
    li = pc.utf8_slice_codeunits(last, 0, 1)
    pattern = p.contacts.pattern[idx]
    local = pc.binary_join_element_wise(first, last, ".")
    for code, candidate in (
        (1, pc.binary_join_element_wise(fi, last, "")),
        (2, pc.binary_join_element_wise(first, last, "_")),
        (3, pc.binary_join_element_wise(first, li, ".")),
    ):
        local = pc.if_else(pa.array(pattern == code), candidate, local)
    return local


def emails(p: Plan, idx: np.ndarray) -> pa.Array:
    """Lowercase e-mail addresses of the given contacts (unique per contact: a number after the
    local part from the second use of the same base on)."""
    occ = p.contacts.occurrence[idx]
    number = pc.if_else(pa.array(occ > 0), pa.array(occ + 1).cast(pa.string()), pa.scalar(""))
    domain = categories(W.EMAIL_DOMAINS, p.contacts.domain[idx])
    return pc.binary_join_element_wise(_email_local_parts(p, idx), number, "@", domain, "")


def _oddly_written(rng: np.random.Generator, email: pa.Array) -> pa.Array:
    """The e-mails with odd case and leading/trailing spaces, as customers type them."""
    m = len(email)
    case = categorical(rng, (0.55, 0.20, 0.25), m)  # as is, UPPER, Capitalized
    email = pc.if_else(pa.array(case == 1), pc.utf8_upper(email), email)
    email = pc.if_else(pa.array(case == 2), pc.utf8_capitalize(email), email)
    # spaces only (no tabs), so SQL trim() recovers the address as the contract's rule expects
    space = categorical(rng, (0.65, 0.12, 0.13, 0.10), m)  # none, leading, trailing, both
    email = pc.if_else(pa.array(space == 1), pc.binary_join_element_wise(" ", email, ""), email)
    email = pc.if_else(pa.array(space == 2), pc.binary_join_element_wise(email, " ", ""), email)
    return pc.if_else(pa.array(space == 3), pc.binary_join_element_wise("  ", email, " ", ""), email)


def customer_refs(p: Plan, rng: np.random.Generator, conv: np.ndarray) -> pa.Array:
    """Contact id, or for EMAIL_REF_SHARE of conversations the e-mail with odd case and whitespace."""
    contact = p.conversations.contact[conv]
    ids = contact_ids(p.seed, contact)
    is_email = p.conversations.ref_email[conv]
    if not is_email.any():
        return ids
    sub = np.flatnonzero(is_email)
    email = _oddly_written(rng, emails(p, contact[sub]))
    pick = np.arange(len(conv))
    pick[sub] = len(conv) + np.arange(len(sub))
    return pa.concat_arrays([ids, email]).take(pa.array(pick))


def write_deals(p: Plan, writer: PartWriter, idx: np.ndarray) -> None:
    """The deals idx (and their associations with contacts)."""
    d = p.deals
    nd = len(idx)
    deal_id = deal_ids(p.seed, idx)
    product = categories(W.PRODUCTS, d.product[idx])
    order_no = fixed_width(nd, digits(100_000 + idx, 9))
    channel = pc.if_else(pa.array(d.conv[idx] < 0), pa.scalar("Store order #"), pa.scalar("Web order #"))
    close = d.close[idx]
    writer.write(
        "hubspot_deals",
        {
            "id": deal_id,
            "dealname": pc.binary_join_element_wise(channel, order_no, " - ", product, ""),
            "amount": pa.array(d.amount[idx]),
            "dealstage": categories(DEAL_STAGES, d.stage[idx]),
            "pipeline": categories(("default",), np.zeros(nd, np.int8)),
            "closedate": timestamps_ms(np.maximum(close, 0), close < 0),
            "createdate": timestamps_ms(d.create[idx]),
            "hs_lastmodifieddate": timestamps_ms(d.modified[idx]),
        },
    )
    writer.write(
        "hubspot_deal_contact_associations",
        {"deal_id": deal_id, "contact_id": contact_ids(p.seed, d.contact[idx])},
    )


def write_contacts(p: Plan, writer: PartWriter, idx: np.ndarray) -> None:
    c = p.contacts
    writer.write(
        "hubspot_contacts",
        {
            "id": contact_ids(p.seed, idx),
            "email": emails(p, idx),
            "firstname": categories(W.FIRST_NAMES, c.first_name[idx]),
            "lastname": categories(W.LAST_NAMES, c.last_name[idx]),
            "createdate": timestamps_ms(c.create[idx]),
            "lastmodifieddate": timestamps_ms(c.modified[idx]),
        },
    )
