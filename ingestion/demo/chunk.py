"""One chunk of conversations being written: its range, random stream and the keys its tables share."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from ingestion.demo._arrow import digits, fixed_width, hex_bytes
from ingestion.demo.hubspot_records import customer_refs
from ingestion.demo.plan import Plan
from ingestion.demo.random_draws import CHUNK_STREAM, stream


@dataclass
class Chunk:
    a: int  # first conversation
    b: int  # one past the last
    rng: np.random.Generator
    seed_b: bytes  # the seed as ASCII, part of every id
    conv_digits: np.ndarray  # (m, 9) digits of the conversation numbers
    conv_id: pa.Array
    customer_ref: pa.Array
    trace: np.ndarray  # (m, 32) hex of each conversation's trace id

    @property
    def m(self) -> int:
        return self.b - self.a


def open_chunk(p: Plan, number: int, a: int, b: int) -> Chunk:
    """Conversations [a, b): the customer refs and trace ids are the chunk stream's first draws."""
    rng = stream(p.seed, CHUNK_STREAM, number)
    seed_b = str(p.seed).encode()
    conv = np.arange(a, b)
    conv_digits = digits(conv, 9)
    conv_id = fixed_width(b - a, b"conv_" + seed_b + b"_", conv_digits)
    customer_ref = customer_refs(p, rng, conv)
    trace = hex_bytes(rng, b - a, 16)
    return Chunk(a, b, rng, seed_b, conv_digits, conv_id, customer_ref, trace)
