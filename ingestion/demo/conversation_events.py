"""The conversation events of a chunk: one `started` and one terminal event per conversation."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from ingestion.demo._arrow import categories, fixed_width, timestamps_ms
from ingestion.demo.chunk import Chunk
from ingestion.demo.codes import TERMINAL_KINDS
from ingestion.demo.parquet_parts import PartWriter
from ingestion.demo.plan import Plan


def write_conversation_events(p: Plan, writer: PartWriter, ch: Chunk, t_end: np.ndarray) -> None:
    m = ch.m
    prefix = b"cev_" + ch.seed_b + b"_"
    terminal = p.conversations.terminal[ch.a : ch.b]
    writer.write(
        "conversation_events",
        {
            "event_id": pa.concat_arrays(
                [fixed_width(m, prefix, ch.conv_digits, b"_start"), fixed_width(m, prefix, ch.conv_digits, b"_end")]
            ),
            "conversation_id": pa.concat_arrays([ch.conv_id, ch.conv_id]),
            "occurred_at": timestamps_ms(np.concatenate([p.conversations.t[ch.a : ch.b], t_end])),
            "kind": pa.concat_arrays(
                [categories(("started",), np.zeros(m, np.int8)), categories(TERMINAL_KINDS, terminal)]
            ),
            "customer_ref": pa.concat_arrays([ch.customer_ref, ch.customer_ref]),
        },
    )
