"""Seeded random streams and the few kinds of draws the generator makes from them.

Every stream is `SeedSequence([seed, stream, ...])`: the plan draws from one stream in a fixed order,
each chunk of written conversations from its own, so the same seed and size give the same numbers.
"""

from __future__ import annotations

import numpy as np

PLAN_STREAM = 0  # the plan: contacts, times, dimensions, outcomes, deals
CHUNK_STREAM = 1  # + chunk number: LLM calls, events, feedback, customer refs of one chunk
OUTCOME_METRICS_STREAM = 5  # the daily outcome metrics
PRE_PERIOD_STREAM = 6  # returning customers' purchases before the period (pre_period.py)


def stream(seed: int, *ids: int) -> np.random.Generator:
    return np.random.default_rng(np.random.SeedSequence([seed, *ids]))


def categorical(rng: np.random.Generator, probs, n: int) -> np.ndarray:
    """n draws from a categorical distribution, as int8 codes."""
    cum = np.cumsum(np.asarray(probs, dtype=float))
    cum /= cum[-1]
    return np.minimum(np.searchsorted(cum, rng.random(n), side="right"), len(cum) - 1).astype(np.int8)


def categorical_given(rng: np.random.Generator, matrix, given: np.ndarray) -> np.ndarray:
    """One draw per row from the distribution matrix[given[i]]."""
    matrix = np.asarray(matrix, dtype=float)
    cum = np.cumsum(matrix, axis=1)
    cum /= cum[:, -1:]
    u = rng.random(len(given))
    out = np.zeros(len(given), dtype=np.int8)
    for row in range(matrix.shape[0]):
        mask = given == row
        out[mask] = np.minimum(np.searchsorted(cum[row], u[mask], side="right"), matrix.shape[1] - 1)
    return out


def lognormal_with_mean(rng: np.random.Generator, mean: np.ndarray | float, sigma: float, n: int) -> np.ndarray:
    """Lognormal draws with the given mean (not median)."""
    mu = np.log(mean) - sigma**2 / 2
    return np.exp(mu + sigma * rng.standard_normal(n))
