"""fct_provider_reconciliation against planted truths: the providers' usage read from local OpenAI and
Anthropic usage APIs (tests/mocks/providers.py) through the real sources into raw.provider_usage,
calls logged through the collector, dbt; every figure per day × provider × model, and per provider
through Cube's model_health, checked against values computed by hand below.

Prices (seeds/model_prices.csv, USD per 1M tokens: input, cached input, output): gpt-4o-mini 0.15,
0.075, 0.60; gpt-4o 2.50, 1.25, 10.00; claude-sonnet-4 (the longest prefix of claude-sonnet-4-5) 3.00,
0.30, 15.00; claude-haiku-4-5 has no row (unpriced). The provider-side cost prices the uncached input
(input − cached, cache writes included) at the input price, the cached at the cached price."""

from __future__ import annotations

import csv
from datetime import date

import pytest
import requests

from ingestion.collector.keys import create_key
from ingestion.sources.anthropic import anthropic_usage_source
from ingestion.sources.openai import openai_usage_source
from ingestion.sources.provider_usage import run_usage
from outcomelens.core import paths
from outcomelens.core.tokens import mint_token
from tests.integration.support import NEEDS_DBT, number, query_dicts, running_cube, synthetic_call
from tests.mocks.providers import DAY, MockAnthropicUsage, MockOpenAIUsage

pytestmark = NEEDS_DBT

SECRET = "reconciliation-secret-" + "r" * 32
OPENAI_KEY, ANTHROPIC_KEY = "sk-admin-recon-openai", "sk-ant-admin01-recon"
D1, D2 = 1_772_323_200, 1_772_323_200 + DAY  # 2026-03-01 and 2026-03-02, 00:00 UTC
DAY1, DAY2 = date(2026, 3, 1), date(2026, 3, 2)
PRICES = {"gpt-4o-mini": (0.15, 0.075, 0.60), "gpt-4o": (2.50, 1.25, 10.00), "claude-sonnet-4": (3.00, 0.30, 15.00)}

# What the providers report.
OPENAI_BUCKETS = {
    D1: [
        {
            "model": "gpt-4o-mini",
            "input_tokens": 1000,
            "input_cached_tokens": 800,
            "output_tokens": 500,
            "num_model_requests": 5,
        },
        {
            "model": "gpt-4o",
            "input_tokens": 300,
            "input_cached_tokens": 0,
            "output_tokens": 90,
            "num_model_requests": 2,
        },
    ],
    # A dated snapshot: priced as gpt-4o-mini (the longest prefix), matched to calls logged in another case.
    D2: [
        {
            "model": "gpt-4o-mini-2024-07-18",
            "input_tokens": 10,
            "input_cached_tokens": 0,
            "output_tokens": 5,
            "num_model_requests": 1,
        }
    ],
}
ANTHROPIC_BUCKETS = {
    # input = 400 uncached + 1,200 cache reads + 100 cache writes = 1,700
    D1: [
        {
            "model": "claude-sonnet-4-5",
            "uncached_input_tokens": 400,
            "cache_read_input_tokens": 1200,
            "cache_creation": {"ephemeral_5m_input_tokens": 100, "ephemeral_1h_input_tokens": 0},
            "output_tokens": 250,
        }
    ],
    # Served, never logged, and not in the price table.
    D2: [
        {
            "model": "claude-haiku-4-5",
            "uncached_input_tokens": 50,
            "cache_read_input_tokens": 0,
            "cache_creation": {"ephemeral_5m_input_tokens": 0, "ephemeral_1h_input_tokens": 10},
            "output_tokens": 20,
        }
    ],
}


def _calls(prefix: str, n: int, day: int, provider: str, model: str, **fields) -> list[dict]:
    at = f"2026-03-0{day}T10:{{:02d}}:00+00:00"
    return [
        synthetic_call(
            f"{prefix}-{i}", f"{prefix}-c{i}", at.format(i), llm_provider=provider, llm_model=model, **fields
        )
        for i in range(n)
    ]


LOGGED = [
    # one call fewer than OpenAI counted, 200 input and 100 output tokens short, cost as reported
    *_calls("mini", 4, 1, "openai", "gpt-4o-mini", input_tokens=200, output_tokens=100, cost_usd=0.0001),
    # one call logged twice (three calls, two requests), the same tokens; no cost: priced on intake's path
    *_calls("4o", 3, 1, "openai", "gpt-4o", input_tokens=100, output_tokens=30),
    # the dated snapshot, logged in upper case
    *_calls("snap", 1, 2, "openai", "GPT-4o-mini-2024-07-18", input_tokens=10, output_tokens=5),
    # OpenAI reports no gpt-4o on day 2
    *_calls("4o-d2", 1, 2, "openai", "gpt-4o", input_tokens=10, output_tokens=10, cost_usd=0.0001),
    *_calls(
        "sonnet",
        2,
        1,
        "anthropic",
        "claude-sonnet-4-5",
        input_tokens=850,
        cached_input_tokens=600,
        output_tokens=125,
        cost_usd=0.003,
    ),
    # Google has no usage API: logged figures only
    *_calls("gemini", 1, 2, "google", "gemini-2.0-flash", input_tokens=100, output_tokens=50, cost_usd=0.00003),
]


def _cost(model: str, uncached: int, cached: int, output: int) -> float:
    price_in, price_cached, price_out = PRICES[model]
    return (uncached * price_in + cached * price_cached + output * price_out) / 1_000_000


# Per day × provider × model: provider requests, input, output, cost; logged calls, input, output, cost.
ROWS = {
    (DAY1, "openai", "gpt-4o-mini"): ((5, 1000, 500, _cost("gpt-4o-mini", 200, 800, 500)), (4, 800, 400, 0.0004)),
    (DAY1, "openai", "gpt-4o"): (
        (2, 300, 90, _cost("gpt-4o", 300, 0, 90)),
        (3, 300, 90, 3 * _cost("gpt-4o", 100, 0, 30)),
    ),
    (DAY2, "openai", "gpt-4o-mini-2024-07-18"): (
        (1, 10, 5, _cost("gpt-4o-mini", 10, 0, 5)),
        (1, 10, 5, _cost("gpt-4o-mini", 10, 0, 5)),
    ),
    (DAY2, "openai", "gpt-4o"): ((None, None, None, None), (1, 10, 10, 0.0001)),
    (DAY1, "anthropic", "claude-sonnet-4-5"): (
        (None, 1700, 250, _cost("claude-sonnet-4", 500, 1200, 250)),
        (2, 1700, 250, 0.006),
    ),
    (DAY2, "anthropic", "claude-haiku-4-5"): ((None, 60, 20, None), (0, 0, 0, 0.0)),
    (DAY2, "google", "gemini-2.0-flash"): ((None, None, None, None), (1, 100, 50, 0.00003)),
}


def _difference(logged, provider):
    return None if provider is None else logged - provider


def _expected_row(provider_side, logged_side) -> dict:
    names = ("requests", "input_tokens", "output_tokens", "cost_usd")
    row = {f"provider_{n}": v for n, v in zip(names, provider_side)}
    row |= {f"logged_{n}": v for n, v in zip(("calls", "input_tokens", "output_tokens", "cost_usd"), logged_side)}
    row |= {f"{n}_difference": _difference(lv, pv) for n, lv, pv in zip(names, logged_side, provider_side)}
    return row


def test_the_price_table_holds_the_prices_used_here():
    with open(paths.PROJECT_ROOT / "seeds" / "model_prices.csv") as f:
        seeded = {r["model"]: tuple(float(r[c]) for c in list(r)[2:]) for r in csv.DictReader(f)}
    assert {m: seeded[m] for m in PRICES} == PRICES
    assert not any("claude-haiku-4-5".startswith(m) for m in seeded)


@pytest.fixture(scope="module")
def built(exported_warehouse, collector, dbt, tmp_path_factory):
    wh = exported_warehouse
    pipelines = str(tmp_path_factory.mktemp("usage-dlt"))
    with (
        MockOpenAIUsage(OPENAI_KEY, OPENAI_BUCKETS) as openai,
        MockAnthropicUsage(ANTHROPIC_KEY, ANTHROPIC_BUCKETS) as anthropic,
    ):
        run_usage(
            pipelines,
            [
                openai_usage_source(api_key=OPENAI_KEY, base_url=openai.url, start_time=D1),
                anthropic_usage_source(
                    api_key=ANTHROPIC_KEY, base_url=anthropic.url, starting_at="2026-03-01T00:00:00Z"
                ),
            ],
        )
    with wh.connection() as conn:
        _, key = create_key(conn, "shop", "app")
    answer = requests.post(
        collector.url + "/v1/llm-calls", json=LOGGED, headers={"Authorization": f"Bearer {key}"}, timeout=30
    )
    assert answer.status_code == 202 and answer.json()["accepted"] == len(LOGGED), answer.text
    collector.load()
    dbt("seed")
    dbt("run", "--select", "+fct_provider_reconciliation")
    dbt("test", "--select", "fct_provider_reconciliation")  # its own tests (fct_llm_calls' reach other marts)
    return wh


def test_every_figure_per_day_provider_and_model(built):
    rows = query_dicts(built, "select * from marts.fct_provider_reconciliation")
    got = {(r.pop("date_day"), r.pop("llm_provider"), r.pop("llm_model")): r for r in rows}
    assert set(got) == set(ROWS)
    for key, (provider_side, logged_side) in ROWS.items():
        expected = _expected_row(provider_side, logged_side)
        assert got[key].keys() == expected.keys(), key
        for column, value in expected.items():
            actual = got[key][column]
            if value is None:
                assert actual is None, (key, column, actual)
            else:
                assert float(actual) == pytest.approx(value, rel=1e-12, abs=1e-15), (key, column, actual, value)


def _per_provider() -> dict[str, dict[str, float | None]]:
    """The differences summed per provider (Cube sums the rows; a sum of nothing but nulls is null)."""
    totals: dict[str, dict] = {}
    for (_, provider, _), (provider_side, logged_side) in ROWS.items():
        for name, value in _expected_row(provider_side, logged_side).items():
            slot = totals.setdefault(provider, {})
            if value is not None:
                slot[name] = (slot.get(name) or 0) + value
            else:
                slot.setdefault(name, None)
    return totals


def test_per_provider_hand_totals():
    totals = _per_provider()
    assert totals["openai"]["requests_difference"] == -1 + 1 + 0
    assert totals["openai"]["input_tokens_difference"] == -200
    assert totals["openai"]["output_tokens_difference"] == -100
    assert totals["openai"]["cost_usd_difference"] == pytest.approx(0.0004 - 0.00039)
    assert totals["anthropic"]["requests_difference"] is None
    assert totals["anthropic"]["input_tokens_difference"] == -60
    assert totals["anthropic"]["cost_usd_difference"] == pytest.approx(0.006 - 0.00561)
    assert totals["google"]["cost_usd_difference"] is None and totals["google"]["logged_cost_usd"] == 0.00003


CUBE_MEMBERS = {  # model_health.reconciliation_<member> → the mart's column
    "provider_requests": "provider_requests",
    "provider_input_tokens": "provider_input_tokens",
    "provider_output_tokens": "provider_output_tokens",
    "provider_cost": "provider_cost_usd",
    "llm_calls": "logged_calls",
    "input_tokens": "logged_input_tokens",
    "output_tokens": "logged_output_tokens",
    "cost": "logged_cost_usd",
    "requests_difference": "requests_difference",
    "input_tokens_difference": "input_tokens_difference",
    "output_tokens_difference": "output_tokens_difference",
    "cost_difference": "cost_usd_difference",
}


def test_model_health_serves_the_reconciliation(built, cube_packages, tmp_path_factory):
    measures = [f"model_health.reconciliation_{m}" for m in CUBE_MEMBERS]
    with running_cube(built, SECRET, tmp_path_factory.mktemp("cube") / "cube.log") as cube:
        token = mint_token("engineer", SECRET)
        per_provider = cube.load(
            {"measures": measures, "dimensions": ["model_health.reconciliation_llm_provider"]}, token
        )["data"]
        per_row = cube.load(
            {
                "measures": measures,
                "dimensions": ["model_health.reconciliation_llm_provider", "model_health.reconciliation_llm_model"],
                "timeDimensions": [{"dimension": "model_health.reconciliation_date_day", "granularity": "day"}],
            },
            token,
        )["data"]

    def check(answer: dict, expected: dict, where) -> None:
        for member, column in CUBE_MEMBERS.items():
            value, want = number(answer[f"model_health.reconciliation_{member}"]), expected[column]
            assert (value is None) == (want is None) and (want is None or value == pytest.approx(want, abs=1e-12)), (
                where,
                member,
                value,
                want,
            )

    totals = _per_provider()
    assert {r["model_health.reconciliation_llm_provider"] for r in per_provider} == set(totals)
    for answer in per_provider:
        provider = answer["model_health.reconciliation_llm_provider"]
        check(answer, totals[provider], provider)
    assert len(per_row) == len(ROWS)
    for answer in per_row:
        day = date.fromisoformat(answer["model_health.reconciliation_date_day.day"][:10])
        key = (day, answer["model_health.reconciliation_llm_provider"], answer["model_health.reconciliation_llm_model"])
        check(answer, _expected_row(*ROWS[key]), key)
