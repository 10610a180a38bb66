"""Fast, vectorised construction of Arrow string columns (ids, hex trace ids, categories)."""

from __future__ import annotations

from typing import Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

_HEX_DIGITS = np.frombuffer(b"0123456789abcdef", dtype=np.uint8)


def digits(values: np.ndarray, width: int) -> np.ndarray:
    """Zero-padded decimal digits of non-negative integers as a (n, width) uint8 matrix."""
    values = np.asarray(values, dtype=np.int64)
    if values.size and (values.min() < 0 or values.max() >= 10**width):
        raise ValueError(f"values do not fit in {width} digits")
    powers = 10 ** np.arange(width - 1, -1, -1, dtype=np.int64)
    return ((values[:, None] // powers) % 10 + 48).astype(np.uint8)


def hex_bytes(rng: np.random.Generator, n: int, nbytes: int) -> np.ndarray:
    """n random ids of nbytes bytes as lowercase hex: a (n, 2*nbytes) uint8 matrix."""
    raw = rng.integers(0, 256, size=(n, nbytes), dtype=np.uint8)
    out = np.empty((n, 2 * nbytes), dtype=np.uint8)
    out[:, 0::2] = _HEX_DIGITS[raw >> 4]
    out[:, 1::2] = _HEX_DIGITS[raw & 15]
    return out


def fixed_width(n: int, *parts: bytes | np.ndarray) -> pa.Array:
    """Strings of one width per array: constant byte strings and (n, w) uint8 matrices side by side."""
    cols = []
    for part in parts:
        if isinstance(part, (bytes, bytearray)):
            cols.append(np.broadcast_to(np.frombuffer(bytes(part), dtype=np.uint8), (n, len(part))))
        else:
            cols.append(part)
    mat = np.ascontiguousarray(np.hstack(cols)) if cols else np.zeros((n, 0), np.uint8)
    width = mat.shape[1]
    if n * width < 2**31 - 1:
        offsets = np.arange(n + 1, dtype=np.int32) * np.int32(width)
        return pa.StringArray.from_buffers(n, pa.py_buffer(offsets), pa.py_buffer(mat))
    offsets = np.arange(n + 1, dtype=np.int64) * width
    arr = pa.LargeStringArray.from_buffers(n, pa.py_buffer(offsets), pa.py_buffer(mat))
    return arr.cast(pa.string())


def categories(labels: Sequence[str], codes: np.ndarray) -> pa.Array:
    """Label per code (codes index into labels)."""
    return pa.array(list(labels), type=pa.string()).take(pa.array(np.asarray(codes, dtype=np.int32)))


def timestamps_ms(ms: np.ndarray, null_mask: np.ndarray | None = None) -> pa.Array:
    """UTC timestamps (microsecond type) from epoch milliseconds."""
    us = np.asarray(ms, dtype=np.int64) * 1000
    if null_mask is None:
        return pa.array(us, type=pa.timestamp("us", tz="UTC"))
    return pa.array(us, type=pa.timestamp("us", tz="UTC"), mask=np.asarray(null_mask, dtype=bool))


def with_nulls(arr: pa.Array, null_mask: np.ndarray) -> pa.Array:
    """The same values, NULL where null_mask is true."""
    return pc.if_else(pa.array(np.asarray(null_mask, dtype=bool)), pa.scalar(None, arr.type), arr)
