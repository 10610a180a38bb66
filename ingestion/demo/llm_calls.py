"""The LLM calls of a chunk of conversations: how many per conversation, tokens, latency (with the
planted model latency), cost by the price table, call times, and the running sums truth.json reports."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from ingestion.demo import world as W
from ingestion.demo._arrow import categories, digits, fixed_width, hex_bytes, timestamps_ms, with_nulls
from ingestion.demo.chunk import Chunk
from ingestion.demo.codes import ERROR_TYPE, ESCALATED, MODEL, RESOLVED
from ingestion.demo.parquet_parts import PartWriter
from ingestion.demo.period import MINUTE_MS
from ingestion.demo.plan import Plan
from ingestion.demo.random_draws import categorical


@dataclass
class CallStats:
    """Running sums over written LLM calls, per model."""

    calls: np.ndarray
    ok_calls: np.ndarray
    errors: np.ndarray
    latency_sum: np.ndarray
    latency_sq_sum: np.ndarray
    latency_ok_sum: np.ndarray
    expected_latency_sum: np.ndarray
    ttft_sum: np.ndarray
    cost_sum: np.ndarray
    cost_null: np.ndarray
    input_tokens: np.ndarray
    output_tokens: np.ndarray

    @classmethod
    def empty(cls) -> CallStats:
        k = len(W.MODELS)
        return cls(*(np.zeros(k) for _ in range(12)))

    def add(self, model: np.ndarray, c: _Measures) -> None:
        def per_model(weights=None):
            return np.bincount(model, weights=weights, minlength=len(W.MODELS))

        self.calls += per_model()
        self.ok_calls += per_model(~c.error)
        self.errors += per_model(c.error)
        self.latency_sum += per_model(c.latency)
        self.latency_sq_sum += per_model(c.latency**2)
        self.latency_ok_sum += per_model(np.where(c.error, 0.0, c.latency))
        self.expected_latency_sum += per_model(c.expected)
        self.ttft_sum += per_model(c.ttft)
        self.cost_sum += per_model(c.cost)
        self.cost_null += per_model(c.cost_null)
        self.input_tokens += per_model(c.in_tok)
        self.output_tokens += per_model(c.out_tok)


@dataclass
class _Layout:
    """Which conversation each call belongs to, and its number k within it."""

    ncalls: np.ndarray  # per conversation
    owner: np.ndarray  # per call: conversation within the chunk
    first: np.ndarray  # per conversation: index of its first call
    k: np.ndarray  # per call


@dataclass
class _Measures:
    error: np.ndarray
    etype: np.ndarray
    latency: np.ndarray
    expected: np.ndarray  # conditional mean latency (truth's expected_mean_latency_ms)
    ttft: np.ndarray
    in_tok: np.ndarray
    out_tok: np.ndarray
    cached: np.ndarray
    cost: np.ndarray
    cost_null: np.ndarray


def _calls_per_conversation(rng: np.random.Generator, terminal: np.ndarray) -> _Layout:
    """1–4 calls (escalations one more, at most 5)."""
    ncalls = categorical(rng, W.CALLS_PER_CONVERSATION_P, len(terminal)).astype(np.int64) + 1
    ncalls = np.where(terminal == ESCALATED, np.minimum(ncalls + 1, 5), ncalls)
    owner = np.repeat(np.arange(len(terminal)), ncalls)
    first = np.cumsum(ncalls) - ncalls
    return _Layout(ncalls, owner, first, np.arange(int(ncalls.sum())) - first[owner])


def _tokens(rng: np.random.Generator, k: np.ndarray):
    """error flag, error type, output, input and cached input tokens (the context grows with k)."""
    total = len(k)
    error = rng.random(total) < W.ERROR_RATE
    etype = categorical(rng, W.ERROR_TYPE_P, total)
    out_tok = np.clip(
        np.rint(W.OUTPUT_TOKENS_MEDIAN * np.exp(W.OUTPUT_TOKENS_SIGMA * rng.standard_normal(total))),
        *W.OUTPUT_TOKENS_RANGE,
    ).astype(np.int64)
    in_tok = np.clip(
        np.rint(W.INPUT_TOKENS_MEDIAN * np.exp(W.INPUT_TOKENS_SIGMA * rng.standard_normal(total)))
        + W.INPUT_TOKENS_PER_TURN * k,
        *W.INPUT_TOKENS_RANGE,
    ).astype(np.int64)
    cached = np.where(
        rng.random(total) < W.CACHED_SHARE_P, np.floor(in_tok * rng.uniform(0.2, 0.8, total)), 0
    ).astype(np.int64)
    return error, etype, out_tok, in_tok, cached


def _error_latency_mean(error_type: str) -> float:
    median, sigma = W.ERROR_LATENCY[error_type]
    return median * math.exp(sigma**2 / 2)


def _latency(rng: np.random.Generator, out_tok, error, etype, model):
    """Latency (time to first token + per output token; failed calls by error type; + the planted
    model offset), its conditional mean, and the raw time to first token."""
    total = len(out_tok)
    ttft_raw = W.TTFT_MEDIAN_MS * np.exp(W.TTFT_SIGMA * rng.standard_normal(total))
    jitter = np.exp(W.TOKEN_JITTER_SIGMA * rng.standard_normal(total) - W.TOKEN_JITTER_SIGMA**2 / 2)
    latency = ttft_raw + out_tok * W.MS_PER_OUTPUT_TOKEN * jitter
    expected = W.TTFT_MEDIAN_MS * math.exp(W.TTFT_SIGMA**2 / 2) + out_tok * W.MS_PER_OUTPUT_TOKEN
    z = rng.standard_normal(total)
    for name, code in ERROR_TYPE.items():
        median, sigma = W.ERROR_LATENCY[name]
        mask = error & (etype == code)
        latency = np.where(mask, median * np.exp(sigma * z), latency)
        expected = np.where(mask, _error_latency_mean(name), expected)
    effect = W.MODEL_LATENCY_EFFECT
    offset = np.where(model == MODEL[effect["llm_model"]], effect["added_latency_ms"], 0.0)
    return np.round(latency + offset, 1), expected + offset, ttft_raw


def _call_measures(rng: np.random.Generator, layout: _Layout, model: np.ndarray) -> _Measures:
    """Failed calls carry no tokens and cost 0; their time to first token is their latency."""
    error, etype, out_tok, in_tok, cached = _tokens(rng, layout.k)
    latency, expected, ttft_raw = _latency(rng, out_tok, error, etype, model)
    ttft = np.round(np.where(error, latency, np.minimum(ttft_raw, latency)), 1)
    in_tok = np.where(error, 0, in_tok)
    out_tok = np.where(error, 0, out_tok)
    cached = np.where(error, 0, cached)
    prices = np.asarray([[W.PRICES_PER_1M[mm][x] for x in ("input", "cached_input", "output")] for mm in W.MODELS])
    pr = prices[model]
    cost = ((in_tok - cached) * pr[:, 0] + cached * pr[:, 1] + out_tok * pr[:, 2]) / 1e6
    cost_null = rng.random(len(error)) < W.COST_NULL_SHARE
    return _Measures(error, etype, latency, expected, ttft, in_tok, out_tok, cached, cost, cost_null)


def _call_offsets(rng: np.random.Generator, layout: _Layout, latency: np.ndarray, terminal: np.ndarray):
    """Call start and conversation end as offsets from the conversation's start: the first call shortly
    after it starts, then the previous call's latency plus the customer's think time; the end a tail
    (by outcome) after the last call's answer."""
    k, owner, first, m = layout.k, layout.owner, layout.first, len(terminal)
    think = 3_000 + rng.exponential(55_000.0, len(k))
    prev_latency = np.r_[0.0, latency[:-1]]
    gap = np.where(k == 0, 200 + rng.random(len(k)) * 1_800, prev_latency + think)
    gap = np.rint(gap).astype(np.int64)
    csum = np.cumsum(gap)
    call_off = csum - (csum[first] - gap[first])[owner]
    last_call = first + layout.ncalls - 1
    tail = np.select(
        [terminal == RESOLVED, terminal == ESCALATED],
        [5_000 + rng.exponential(60_000.0, m), 15 * MINUTE_MS * np.exp(0.6 * rng.standard_normal(m))],
        10 * MINUTE_MS + rng.exponential(3 * MINUTE_MS, m),
    )
    end_off = call_off[last_call] + np.ceil(latency[last_call]).astype(np.int64) + np.rint(tail).astype(np.int64)
    return call_off, end_off


def _arm_columns(arm_codes: np.ndarray) -> dict[str, pa.Array]:
    arm_table = W.arms()
    names = ("experiment_id", "variant", "prompt_id", "prompt_version", "config", "config_hash")
    return {name: categories([x[name] for x in arm_table], arm_codes) for name in names}


def _columns(p: Plan, ch: Chunk, layout: _Layout, c: _Measures, occurred_ms: np.ndarray, span: np.ndarray):
    owner, k = layout.owner, layout.k
    total = len(owner)
    conv = p.conversations
    model = conv.model[ch.a : ch.b][owner]
    span_id = fixed_width(total, span)
    return {
        "event_id": fixed_width(total, b"llm_" + ch.seed_b + b"_", ch.conv_digits[owner], b"_", digits(k, 2)),
        "occurred_at": timestamps_ms(occurred_ms),
        "conversation_id": ch.conv_id.take(pa.array(owner)),
        "trace_id": fixed_width(total, ch.trace[owner]),
        "span_id": span_id,
        "parent_span_id": with_nulls(span_id.take(pa.array(layout.first[owner])), k == 0),
        "customer_ref": ch.customer_ref.take(pa.array(owner)),
        **_arm_columns(conv.arm[ch.a : ch.b][owner]),
        "llm_provider": categories(W.PROVIDERS, model),
        "llm_model": categories(W.MODELS, model),
        "intent": categories(W.INTENTS, conv.intent[ch.a : ch.b][owner]),
        "capability": categories(W.CAPABILITIES, conv.capability[ch.a : ch.b][owner]),
        "action": categories(W.ACTIONS, conv.action[ch.a : ch.b][owner]),
        "latency_ms": pa.array(c.latency),
        "time_to_first_token_ms": pa.array(c.ttft),
        "input_tokens": pa.array(c.in_tok),
        "output_tokens": pa.array(c.out_tok),
        "cached_input_tokens": pa.array(c.cached),
        "cost_usd": pa.array(c.cost, mask=c.cost_null),
        "status": categories(("ok", "error"), c.error.astype(np.int8)),
        "error_type": with_nulls(categories(W.ERROR_TYPES, c.etype), ~c.error),
    }


def write_llm_calls(p: Plan, writer: PartWriter, stats: CallStats, ch: Chunk) -> np.ndarray:
    """Write the chunk's LLM calls and add them to stats; returns each conversation's end time (ms)."""
    t0 = p.conversations.t[ch.a : ch.b]
    terminal = p.conversations.terminal[ch.a : ch.b]
    layout = _calls_per_conversation(ch.rng, terminal)
    model = p.conversations.model[ch.a : ch.b][layout.owner]
    measures = _call_measures(ch.rng, layout, model)
    call_off, end_off = _call_offsets(ch.rng, layout, measures.latency, terminal)
    span = hex_bytes(ch.rng, len(layout.owner), 8)
    writer.write("llm_calls", _columns(p, ch, layout, measures, t0[layout.owner] + call_off, span))
    stats.add(model, measures)
    return t0 + end_off
