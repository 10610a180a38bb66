"""The demo generator: determinism, the table contracts, and the planted truth seen in the raw files.

Conversions are recomputed here from the parquet files with an independent (pandas) implementation of
the attribution rule of docs/contracts.md, then compared with truth.json and with the planted effects.
"""

from __future__ import annotations

import hashlib
import json
import math
import subprocess
import sys
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.dataset as ds
import pytest

from ingestion.demo import generate as gen_module
from ingestion.demo.generate import conversion_calendar, generate
from ingestion.demo.truth import lift_effect, planted_conversion, realized_conversion
from ingestion.demo.world import PRICES_PER_1M

REPO = Path(__file__).resolve().parents[2]

# columns and types as written in docs/contracts.md (independent of ingestion.demo.schemas)
TS = pa.timestamp("us", tz="UTC")
S, F, INT = pa.string(), pa.float64(), pa.int64()
CONTRACT = {
    "llm_calls": {
        "event_id": S, "occurred_at": TS, "conversation_id": S, "trace_id": S, "span_id": S,
        "parent_span_id": S, "customer_ref": S, "experiment_id": S, "variant": S, "prompt_id": S,
        "prompt_version": S, "config": S, "config_hash": S, "llm_provider": S, "llm_model": S,
        "intent": S, "capability": S, "action": S, "latency_ms": F, "time_to_first_token_ms": F,
        "input_tokens": INT, "output_tokens": INT, "cached_input_tokens": INT, "cost_usd": F, "status": S,
        "error_type": S, "project": S, "ingestion_key_id": S,
    },
    "conversation_events": {"event_id": S, "conversation_id": S, "occurred_at": TS, "kind": S, "customer_ref": S,
                            "project": S, "ingestion_key_id": S},
    "feedback": {
        "event_id": S, "occurred_at": TS, "conversation_id": S, "trace_id": S, "kind": S, "value": F, "comment": S,
        "project": S, "ingestion_key_id": S,
    },
    "hubspot_contacts": {
        "id": S, "email": S, "firstname": S, "lastname": S, "createdate": TS, "lastmodifieddate": TS,
    },
    "hubspot_deals": {
        "id": S, "dealname": S, "amount": F, "dealstage": S, "pipeline": S, "closedate": TS, "createdate": TS,
        "hs_lastmodifieddate": TS,
    },
    "hubspot_deal_contact_associations": {"deal_id": S, "contact_id": S},
    "outcome_metrics": {
        "event_id": S, "occurred_at": TS, "experiment_id": S, "metric_name": S, "metric_value": F, "intent": S,
        "capability": S, "action": S, "llm_model": S, "user_id": S, "conversation_id": S, "customer_ref": S,
        "source": S, "project": S, "ingestion_key_id": S, "variant": S,
    },
}
CONV_SHARED = [
    "customer_ref", "experiment_id", "variant", "prompt_id", "prompt_version", "config", "config_hash",
    "llm_provider", "llm_model", "intent", "capability", "action",
]
WINDOW = pd.Timedelta(days=7)


# --------------------------------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------------------------------


def load(out: Path) -> dict[str, pd.DataFrame]:
    return {table: ds.dataset(out / table, format="parquet").to_table().to_pandas() for table in CONTRACT}


def file_hashes(out: Path) -> dict[str, str]:
    return {
        str(p.relative_to(out)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(out.rglob("*"))
        if p.is_file()
    }


def conversations_frame(t: dict[str, pd.DataFrame]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """One row per conversation, with its contact (resolved from customer_ref) and converted flag,
    converted by the contract's rule (closedwon deal of the contact, closedate within 7 days after
    the start, last touch, each deal credited once), and the credited closedwon deals."""
    ev = t["conversation_events"]
    started = ev[ev.kind == "started"].set_index("conversation_id")
    ended = ev[ev.kind != "started"].set_index("conversation_id")
    calls = t["llm_calls"].drop_duplicates("conversation_id").set_index("conversation_id")
    conv = started[["occurred_at", "customer_ref"]].rename(columns={"occurred_at": "started_at"})
    conv = conv.join(ended[["kind"]].rename(columns={"kind": "terminal"}))
    conv = conv.join(calls[[c for c in CONV_SHARED if c != "customer_ref"]])

    contacts = t["hubspot_contacts"]
    by_email = dict(zip(contacts.email.str.strip().str.lower(), contacts.id))
    ids = set(contacts.id)
    ref = conv.customer_ref
    is_id = ref.str.fullmatch(r"\d+")
    conv["contact_id"] = np.where(is_id, ref, ref.str.strip().str.lower().map(by_email))
    assert conv.contact_id.notna().all()
    assert set(conv.contact_id) <= ids

    deals = t["hubspot_deals"].merge(t["hubspot_deal_contact_associations"], left_on="id", right_on="deal_id")
    won = deals[deals.dealstage == "closedwon"].sort_values("closedate")
    right = conv.reset_index()[["conversation_id", "contact_id", "started_at"]].sort_values("started_at")
    credited = pd.merge_asof(
        won[["id", "contact_id", "closedate", "amount"]],
        right,
        left_on="closedate",
        right_on="started_at",
        by="contact_id",
        direction="backward",
        tolerance=WINDOW,
        allow_exact_matches=True,
    ).dropna(subset=["conversation_id"])
    conv["converted"] = conv.index.isin(credited.conversation_id)
    return conv, credited


def two_prop_se(x1: int, n1: int, x2: int, n2: int) -> float:
    p1, p2 = x1 / n1, x2 / n2
    return math.sqrt(p1 * (1 - p1) / n1 + p2 * (1 - p2) / n2)


# --------------------------------------------------------------------------------------------------
# fixtures
# --------------------------------------------------------------------------------------------------


@dataclass
class Demo:
    out: Path
    truth: dict
    t: dict[str, pd.DataFrame]
    conv: pd.DataFrame
    credited: pd.DataFrame


def make_demo(out: Path, truth: dict) -> Demo:
    tables = load(out)
    conv, credited = conversations_frame(tables)
    return Demo(out, truth, tables, conv, credited)


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    out = tmp_path_factory.mktemp("demo20k")
    return make_demo(out, generate(out, conversations=20_000, seed=42))


@pytest.fixture(scope="module")
def short_demo(tmp_path_factory):
    """20k conversations over 15 days: 12x the daily volume of the 180-day demo, so the 3-day bad
    release stands out from the noise (expected z of the drop ≈ 4.5)."""
    out = tmp_path_factory.mktemp("demo15d")
    return make_demo(out, generate(out, conversations=20_000, seed=11, days=15, end_date=date(2026, 11, 1)))


# --------------------------------------------------------------------------------------------------
# determinism and layout
# --------------------------------------------------------------------------------------------------


def test_same_seed_gives_byte_identical_files_and_other_seed_differs(tmp_path):
    a, b, c = tmp_path / "a", tmp_path / "b", tmp_path / "c"
    truth_a = generate(a, conversations=5_000, seed=7)
    generate(b, conversations=5_000, seed=7)
    generate(c, conversations=5_000, seed=8)
    ha, hb, hc = file_hashes(a), file_hashes(b), file_hashes(c)
    assert ha == hb
    assert set(ha) == set(hc)
    assert all(ha[f] != hc[f] for f in ha), [f for f in ha if ha[f] == hc[f]]
    assert json.loads((a / "truth.json").read_text()) == json.loads(json.dumps(truth_a))
    # ids derive from the seed, so two seeds never collide
    ids_a = set(load(a)["llm_calls"].conversation_id)
    ids_c = set(load(c)["llm_calls"].conversation_id)
    assert not ids_a & ids_c
    assert "conv_7_000000000" in ids_a and "conv_8_000000000" in ids_c


def test_layout_and_chunking(tmp_path, monkeypatch):
    monkeypatch.setattr(gen_module, "CHUNK_CONVERSATIONS", 1_500)
    monkeypatch.setattr(gen_module, "CONTACT_PART_ROWS", 1_000)
    out = tmp_path / "chunked"
    (out / "llm_calls").mkdir(parents=True)
    (out / "llm_calls" / "part-00099.parquet").write_bytes(b"stale")  # an earlier run's part goes away
    truth = generate(out, conversations=5_000, seed=3)
    assert sorted(p.name for p in out.iterdir()) == sorted([*CONTRACT, "truth.json"])
    parts = sorted(p.name for p in (out / "llm_calls").iterdir())
    assert parts == [f"part-{i:05d}.parquet" for i in range(4)]  # 5000 / 1500 -> 4 chunks
    assert len(list((out / "hubspot_contacts").iterdir())) == 3  # 3000 contacts / 1000
    t = load(out)
    assert {k: len(v) for k, v in t.items()} == truth["rows"]
    assert t["conversation_events"].conversation_id.nunique() == 5_000
    assert t["llm_calls"].event_id.is_unique and t["conversation_events"].event_id.is_unique
    assert t["hubspot_contacts"].id.is_unique and len(t["hubspot_contacts"]) == 3_000


def test_cli_module_entry_point(tmp_path):
    out = tmp_path / "cli"
    res = subprocess.run(
        [sys.executable, "-m", "ingestion.demo.generate", "--out", str(out), "--size", "400", "--seed", "5",
         "--no-progress"],
        cwd=REPO, capture_output=True, text=True, timeout=120,
    )
    assert res.returncode == 0, res.stderr
    truth = json.loads((out / "truth.json").read_text())
    assert truth["seed"] == 5 and truth["conversations"] == 400
    assert load(out)["conversation_events"].conversation_id.nunique() == 400


# --------------------------------------------------------------------------------------------------
# contracts
# --------------------------------------------------------------------------------------------------


def test_columns_and_types_follow_the_contract(demo):
    out = demo.out
    for table, columns in CONTRACT.items():
        for part in sorted((out / table).glob("*.parquet")):
            schema = ds.dataset(part, format="parquet").schema
            assert schema.names == list(columns), (table, schema.names)
            for name, type_ in columns.items():
                assert schema.field(name).type == type_, (table, name, schema.field(name).type)


def test_keys_are_unique_and_well_formed(demo):
    truth, t = demo.truth, demo.t
    for table in ("llm_calls", "conversation_events", "feedback"):
        assert t[table].event_id.is_unique, table
    all_events = pd.concat([t[x].event_id for x in ("llm_calls", "conversation_events", "feedback")])
    assert all_events.is_unique
    assert t["hubspot_contacts"].id.is_unique and t["hubspot_contacts"].id.str.fullmatch(r"\d+").all()
    assert t["hubspot_contacts"].email.is_unique
    assert t["hubspot_deals"].id.is_unique and t["hubspot_deals"].id.str.fullmatch(r"\d+").all()
    assoc = t["hubspot_deal_contact_associations"]
    assert not assoc.duplicated(["deal_id", "contact_id"]).any()
    assert set(assoc.deal_id) == set(t["hubspot_deals"].id)
    assert set(assoc.contact_id) <= set(t["hubspot_contacts"].id)
    calls = t["llm_calls"]
    assert calls.trace_id.str.fullmatch(r"[0-9a-f]{32}").all() and calls.span_id.str.fullmatch(r"[0-9a-f]{16}").all()
    assert calls.span_id.is_unique
    assert {k: len(v) for k, v in t.items()} == truth["rows"]


def test_every_conversation_has_one_start_and_one_terminal_event(demo):
    truth, t = demo.truth, demo.t
    ev = t["conversation_events"]
    kinds = ev.groupby("conversation_id").kind.agg(list)
    assert len(kinds) == 20_000
    assert kinds.map(lambda k: sorted(k)[-1] == "started" and len(k) == 2).all()
    assert set(ev.kind) == {"started", "resolved", "escalated", "abandoned"}
    started = ev[ev.kind == "started"].set_index("conversation_id").occurred_at
    ended = ev[ev.kind != "started"].set_index("conversation_id").occurred_at
    assert (ended - started[ended.index] > pd.Timedelta(0)).all()
    assert ev[ev.kind != "started"].kind.value_counts().to_dict() == truth["outcomes"]
    # conversations start within [start_date, end_date)
    assert started.min() >= pd.Timestamp(truth["start_date"], tz="UTC")
    assert started.max() < pd.Timestamp(truth["end_date"], tz="UTC")
    # every LLM call lies between the conversation's start and end; 1..5 calls each
    calls = t["llm_calls"]
    per_conv = calls.groupby("conversation_id").size()
    assert set(per_conv.index) == set(started.index) and per_conv.between(1, 5).all()
    assert (calls.occurred_at.values >= started[calls.conversation_id].values).all()
    assert (calls.occurred_at.values < ended[calls.conversation_id].values).all()
    # the per-conversation columns are shared by all calls of a conversation
    assert (calls.groupby("conversation_id")[CONV_SHARED].nunique() == 1).all().all()
    refs = ev.groupby("conversation_id").customer_ref.nunique()
    assert (refs == 1).all()


def test_llm_call_values(demo):
    truth, t = demo.truth, demo.t
    c = t["llm_calls"]
    ok = c[c.status == "ok"]
    err = c[c.status == "error"]
    assert set(c.status) == {"ok", "error"}
    assert abs(len(err) / len(c) - 0.02) < 0.005
    assert err.error_type.notna().all() and ok.error_type.isna().all()
    assert set(err.error_type) == {"rate_limit", "server_error", "timeout", "invalid_request"}
    assert ok.input_tokens.between(500, 3000).all() and ok.output_tokens.between(50, 600).all()
    assert (ok.cached_input_tokens <= ok.input_tokens).all() and (ok.cached_input_tokens > 0).mean() > 0.3
    assert (c.time_to_first_token_ms <= c.latency_ms).all() and (c.latency_ms > 0).all()
    assert 300 < ok.latency_ms.median() < 2500
    # latency rises with output tokens
    assert ok[["latency_ms", "output_tokens"]].corr().iloc[0, 1] > 0.5
    assert dict(zip(c.llm_model, c.llm_provider)) == {
        "gpt-4o-mini": "openai", "claude-3-5-haiku": "anthropic", "gemini-2.0-flash": "google"
    }
    # cost follows the price table; ~5 % of the calls have none
    priced = c[c.cost_usd.notna()]
    pr = pd.DataFrame(PRICES_PER_1M).T.loc[priced.llm_model]
    formula = (
        (priced.input_tokens - priced.cached_input_tokens) * pr.input.values
        + priced.cached_input_tokens * pr.cached_input.values
        + priced.output_tokens * pr.output.values
    ) / 1e6
    np.testing.assert_allclose(priced.cost_usd.values, formula.values.astype(float), rtol=1e-12, atol=1e-15)
    assert abs(c.cost_usd.isna().mean() - 0.05) < 0.01
    assert c.cost_usd.isna().sum() == truth["cost"]["calls_with_null_cost"]
    # parent span: none on a conversation's first call, the first call's span on the later ones
    first = c.event_id.str.endswith("_00")
    assert c.parent_span_id[first].isna().all() and c.parent_span_id[~first].notna().all()


def test_experiments_configs_and_hashes(demo):
    truth, t, conv = demo.truth, demo.t, demo.conv
    arms = t["llm_calls"].drop_duplicates(["experiment_id", "variant", "prompt_version", "config", "config_hash"])
    assert len(arms) == 4
    for row in arms.itertuples():
        cfg = json.loads(row.config)
        canonical = json.dumps(cfg, sort_keys=True, separators=(",", ":"))
        assert row.config_hash == hashlib.sha256(canonical.encode()).hexdigest()[:12]
        spec = truth["experiments"][row.experiment_id]["variants"][row.variant]
        assert (row.prompt_version, row.config_hash) == (spec["prompt_version"], spec["config_hash"])
    arm = {(r.experiment_id, r.variant): r for r in arms.itertuples()}
    assert arm["exp_sales_prompt", "control"].prompt_version == "sales_agent.v1"
    assert arm["exp_sales_prompt", "treatment"].prompt_version == "sales_agent.v2"
    assert arm["exp_temperature", "control"].prompt_version == "sales_agent.v1"
    assert arm["exp_temperature", "treatment"].prompt_version == "sales_agent.v1"
    assert json.loads(arm["exp_temperature", "control"].config)["temperature"] == 0.7
    assert json.loads(arm["exp_temperature", "treatment"].config)["temperature"] == 0.3
    assert truth["main_experiment"] == "exp_sales_prompt"
    share = conv.experiment_id.value_counts(normalize=True)
    assert abs(share["exp_sales_prompt"] - 0.6) < 0.02
    assert abs((conv.variant == "treatment").mean() - 0.5) < 0.02
    # capability follows intent mostly, but not always
    same = (conv.intent.map({
        "product_question": "product_search", "order_status": "order_lookup", "returns": "returns_processing",
        "discount_request": "discount_engine", "checkout_help": "checkout_assist",
    }) == conv.capability).mean()
    assert 0.75 < same < 0.95


# --------------------------------------------------------------------------------------------------
# truth.json agrees with the files
# --------------------------------------------------------------------------------------------------


def test_truth_counts_equal_counts_from_parquet(demo):
    truth, t, conv = demo.truth, demo.t, demo.conv
    exp = truth["expected_conversion"]
    g = conv.groupby(["experiment_id", "prompt_version"]).converted.agg(["size", "sum"])
    rows = {(r["experiment_id"], r["prompt_version"]): r for r in exp["by_experiment_prompt_version"]}
    assert set(rows) == set(g.index)
    for key, r in rows.items():
        assert (r["conversations"], r["conversions"]) == (g.loc[key, "size"], g.loc[key, "sum"]), key
    g = conv.groupby(["experiment_id", "prompt_version", "intent"]).converted.agg(["size", "sum"])
    rows = {(r["experiment_id"], r["prompt_version"], r["intent"]): r for r in exp["by_experiment_prompt_version_intent"]}
    assert set(rows) == set(g.index) and len(rows) == 15
    for key, r in rows.items():
        assert (r["conversations"], r["conversions"]) == (g.loc[key, "size"], g.loc[key, "sum"]), key
    g = conv.groupby(["experiment_id", "variant"]).converted.agg(["size", "sum"])
    for r in exp["by_experiment_variant"]:
        key = (r["experiment_id"], r["variant"])
        assert (r["conversations"], r["conversions"]) == (g.loc[key, "size"], g.loc[key, "sum"]), key
    assert exp["overall"]["conversions"] == conv.converted.sum() == truth["attribution"]["conversions_attributed"]

    esc = conv.groupby("capability").terminal.agg(lambda k: (k == "escalated").sum())
    size = conv.groupby("capability").size()
    for cap, r in truth["escalation_by_capability"].items():
        assert (r["conversations"], r["escalated"]) == (size[cap], esc[cap])

    lat = t["llm_calls"].groupby("llm_model").latency_ms.agg(["size", "mean"])
    for model, r in truth["latency_by_model"].items():
        assert r["calls"] == lat.loc[model, "size"]
        assert r["realized_mean_latency_ms"] == pytest.approx(lat.loc[model, "mean"], rel=1e-9)

    assert truth["rows"] == {k: len(v) for k, v in t.items()}
    # the deals credited away from the conversation that created them are the documented residual
    assert truth["attribution"]["organic_deals_credited"] == 0
    assert truth["attribution"]["conversions_created"] - conv.converted.sum() == (
        truth["attribution"]["conversations_created_but_not_attributed"]
        - truth["attribution"]["conversations_attributed_but_not_created"]
    )
    # (about 0.7 % of the conversions: follow-ups are 1 % of conversations)
    assert truth["attribution"]["deals_credited_to_a_later_conversation"] <= 0.02 * truth["attribution"]["conversions_created"]


def test_truth_readers(demo):
    truth, conv = demo.truth, demo.conv
    lift = lift_effect(truth)
    assert lift == {
        "experiment_id": "exp_sales_prompt", "intent": "discount_request",
        "baseline_prompt_version": "sales_agent.v1", "prompt_version": "sales_agent.v2", "lift_points": 0.05,
    }
    v1 = planted_conversion(truth, "exp_sales_prompt", "sales_agent.v1", "discount_request")
    v2 = planted_conversion(truth, "exp_sales_prompt", "sales_agent.v2", "discount_request")
    # base rate × the calendar factor of each conversation's day: the arms are drawn independently of
    # the day, so their mean factors differ only by sampling (a few thousandths)
    assert v1 == pytest.approx(0.18, rel=0.05) and v2 - v1 == pytest.approx(0.05, abs=0.003)
    uplift = truth["planted_effects"]["prompt_uplift"]["expected_rate"]
    assert (uplift["sales_agent.v1"], uplift["sales_agent.v2"]) == (v1, v2)
    assert planted_conversion(truth, "exp_temperature", "sales_agent.v2") is None
    sub = conv[(conv.experiment_id == "exp_sales_prompt") & (conv.prompt_version == "sales_agent.v2")]
    r = realized_conversion(truth, "exp_sales_prompt", "sales_agent.v2")
    assert (r["conversations"], r["conversions"]) == (len(sub), sub.converted.sum())


# --------------------------------------------------------------------------------------------------
# planted effects, seen in the raw data
# --------------------------------------------------------------------------------------------------


def test_planted_prompt_uplift_on_discount_request_only(demo):
    truth, conv = demo.truth, demo.conv
    sp = conv[conv.experiment_id == "exp_sales_prompt"]
    for intent, g in sp.groupby("intent"):
        v1 = g[g.prompt_version == "sales_agent.v1"].converted
        v2 = g[g.prompt_version == "sales_agent.v2"].converted
        diff = v2.mean() - v1.mean()
        se = two_prop_se(v2.sum(), len(v2), v1.sum(), len(v1))
        planted = 0.05 if intent == "discount_request" else 0.0
        assert abs(diff - planted) < 3 * se, (intent, diff, se)
        expected = {
            r["prompt_version"]: r["expected_rate"]
            for r in truth["expected_conversion"]["by_experiment_prompt_version_intent"]
            if r["experiment_id"] == "exp_sales_prompt" and r["intent"] == intent
        }
        if intent != "checkout_help":  # checkout_help's planted rate dips on the bad-release days
            assert expected["sales_agent.v2"] - expected["sales_agent.v1"] == pytest.approx(planted, abs=0.005)
    # the temperature experiment has no planted effect
    tp = conv[conv.experiment_id == "exp_temperature"]
    a, b = tp[tp.variant == "control"].converted, tp[tp.variant == "treatment"].converted
    assert abs(b.mean() - a.mean()) < 3 * two_prop_se(a.sum(), len(a), b.sum(), len(b))
    # base conversion 12–25 % by intent
    by_intent = conv[conv.prompt_version == "sales_agent.v1"].groupby("intent").converted.mean()
    assert by_intent.between(0.10, 0.27).all() and by_intent.max() - by_intent.min() > 0.07


def test_planted_latency_of_claude(demo):
    truth, t = demo.truth, demo.t
    lat = t["llm_calls"].groupby("llm_model").latency_ms
    mean, var, n = lat.mean(), lat.var(), lat.size()
    claude, others = "claude-3-5-haiku", ["gpt-4o-mini", "gemini-2.0-flash"]
    for other in others:
        diff = mean[claude] - mean[other]
        se = math.sqrt(var[claude] / n[claude] + var[other] / n[other])
        assert abs(diff - 400) < 3 * se, (other, diff, se)
    se = math.sqrt(var[others[0]] / n[others[0]] + var[others[1]] / n[others[1]])
    assert abs(mean[others[0]] - mean[others[1]]) < 3 * se
    # the conditional expectation in truth.json differs by 400 ms up to the token mix
    exp = {m: r["expected_mean_latency_ms"] for m, r in truth["latency_by_model"].items()}
    assert exp[claude] - exp["gpt-4o-mini"] == pytest.approx(400, abs=25)
    assert truth["planted_effects"]["model_latency"]["added_latency_ms"] == 400


def test_planted_escalation_of_order_lookup(demo):
    truth, conv = demo.truth, demo.conv
    esc = conv.terminal == "escalated"
    target = conv.capability == "order_lookup"
    x1, n1 = esc[target].sum(), target.sum()
    x0, n0 = esc[~target].sum(), (~target).sum()
    log_ratio = math.log((x1 / n1) / (x0 / n0))
    se = math.sqrt(1 / x1 - 1 / n1 + 1 / x0 - 1 / n0)
    assert abs(log_ratio - math.log(3)) < 3 * se, (math.exp(log_ratio), se)
    assert abs(x0 / n0 - 0.06) < 3 * math.sqrt(0.06 * 0.94 / n0)
    planted = truth["planted_effects"]["capability_escalation"]
    assert (planted["capability"], planted["multiplier"]) == ("order_lookup", 3.0)


def test_bad_release_window_in_truth(demo):
    truth, conv = demo.truth, demo.conv
    br = truth["planted_effects"]["bad_release"]
    assert (br["intent"], br["start_date"], br["end_date"]) == ("checkout_help", "2026-10-21", "2026-10-27")
    assert br["conversion_multiplier"] == 0.6 and br["base_conversion"] == 0.25
    daily = {d["date"]: d for d in br["daily"]}
    assert len(daily) == 180
    # base × calendar: Mon 1.06 … Sat 0.92, Sun 0.98, times a rise of 0.169 % a day, 1.0 mid-period
    calendar = conversion_calendar(date(2026, 5, 5), 180)
    assert calendar[0] == pytest.approx(math.exp(-0.00169 * 89.5) * 1.04)  # Tuesday 2026-05-05: 0.893
    assert calendar[179] == pytest.approx(math.exp(0.00169 * 89.5) * 0.92)  # Saturday 2026-10-31: 1.069
    assert [daily[d]["calendar_factor"] for d in sorted(daily)] == pytest.approx(list(calendar))
    assert daily["2026-10-26"]["expected_rate"] == pytest.approx(0.15 * calendar[174])
    assert daily["2026-10-20"]["expected_rate"] == pytest.approx(0.25 * calendar[168])
    assert daily["2026-10-28"]["expected_rate"] == pytest.approx(0.25 * calendar[176])
    assert br["expected_window_conversion_rate"] == pytest.approx(0.6 * br["expected_window_conversion_rate_without_release"])
    # the same series over every intent, and the same realised counts as the raw data
    series = {d["date"]: d for d in truth["daily_conversion"]}
    per_day_all = conv.groupby(conv.started_at.dt.strftime("%Y-%m-%d")).converted.agg(["size", "sum"])
    for day, row in per_day_all.iterrows():
        assert (series[day]["conversations"], series[day]["conversions"]) == (row["size"], row["sum"])
    ch = conv[conv.intent == "checkout_help"]
    per_day = ch.groupby(ch.started_at.dt.strftime("%Y-%m-%d")).converted.agg(["size", "sum"])
    for day, row in per_day.iterrows():
        assert (daily[day]["conversations"], daily[day]["conversions"]) == (row["size"], row["sum"])


def test_bad_release_visible_in_raw_data(short_demo):
    truth, conv = short_demo.truth, short_demo.conv
    br = truth["planted_effects"]["bad_release"]
    assert (br["start_date"], br["end_date"]) == ("2026-10-21", "2026-10-27")
    ch = conv[conv.intent == "checkout_help"]
    day = ch.started_at.dt.strftime("%Y-%m-%d")
    inside = day.between(br["start_date"], br["end_date"])
    w, b = ch[inside].converted, ch[~inside].converted
    se = two_prop_se(w.sum(), len(w), b.sum(), len(b))
    assert (b.mean() - w.mean()) / se > 2  # a real drop
    # relative drop of 40 %: log(window / baseline) ≈ log(0.6)
    se_log = math.sqrt((1 - w.mean()) / w.sum() + (1 - b.mean()) / b.sum())
    assert abs(math.log(w.mean() / b.mean()) - math.log(0.6)) < 3 * se_log
    assert br["realized_window"]["conversations"] == len(w) and br["realized_window"]["conversions"] == w.sum()
    # other intents are not affected in the window
    other = conv[conv.intent == "product_question"]
    oin = other.started_at.dt.strftime("%Y-%m-%d").between(br["start_date"], br["end_date"])
    ow, ob = other[oin].converted, other[~oin].converted
    assert abs(ob.mean() - ow.mean()) < 3 * two_prop_se(ow.sum(), len(ow), ob.sum(), len(ob))


# --------------------------------------------------------------------------------------------------
# people: customer refs, contacts, deals
# --------------------------------------------------------------------------------------------------


def test_customer_ref_email_share_and_odd_forms(demo):
    truth, t, conv = demo.truth, demo.t, demo.conv
    ref = conv.customer_ref
    email = ~ref.str.fullmatch(r"\d+")
    assert email.sum() == truth["customer_ref"]["conversations_with_email_ref"]
    assert abs(email.mean() - 0.15) < 3 * math.sqrt(0.15 * 0.85 / len(ref))
    e = ref[email]
    assert e.str.contains("@").all()
    assert (e != e.str.strip()).mean() > 0.2  # leading/trailing whitespace in some
    assert (e.str.strip() != e.str.strip().str.lower()).mean() > 0.3  # odd case in some
    assert (e == e.str.strip().str.lower()).mean() > 0.2  # and plain in others
    assert not e.str.contains("\t").any()  # spaces only: SQL trim() recovers the address
    assert t["hubspot_contacts"].email.str.fullmatch(r"[a-z_.]+[0-9]*@[a-z.]+").all()


def test_contacts_and_deals(demo):
    truth, t, conv = demo.truth, demo.t, demo.conv
    contacts = t["hubspot_contacts"].set_index("id")
    assert len(contacts) == 12_000  # 0.6 x conversations
    first = conv.groupby("contact_id").started_at.min()
    assert (contacts.createdate[first.index] < first).all()
    assert (contacts.lastmodifieddate >= contacts.createdate).all()

    deals = t["hubspot_deals"].merge(t["hubspot_deal_contact_associations"], left_on="id", right_on="deal_id")
    assert set(deals.dealstage) == {"closedwon", "closedlost", "appointmentscheduled"}
    assert set(deals.pipeline) == {"default"}
    closed = deals.dealstage != "appointmentscheduled"
    assert deals.closedate[closed].notna().all() and deals.closedate[~closed].isna().all()
    assert (deals.createdate[closed] <= deals.closedate[closed]).all()
    assert (deals.amount > 0).all()
    assert (deals.closedate[closed] < pd.Timestamp(truth["end_date"], tz="UTC")).all()

    won = deals[deals.dealstage == "closedwon"]
    talking = set(conv.contact_id)
    organic = won[~won.contact_id.isin(talking)]
    assert len(organic) == truth["attribution"]["organic_deals_won"] > 0
    # order value of credited deals: lognormal around ~$85 overall
    credited = demo.credited
    assert 70 < credited.amount.mean() < 100
    # every conversion deal closes 0–5 days after its conversation started
    lag = credited.closedate.values - conv.started_at[credited.conversation_id].values
    lag = pd.Series(lag)
    assert (lag >= pd.Timedelta(0)).all() and (lag <= pd.Timedelta(days=5)).all()
    # a contact rarely has two conversations within 7 days
    srt = conv.sort_values(["contact_id", "started_at"])
    close = (srt.contact_id.values[1:] == srt.contact_id.values[:-1]) & (
        np.diff(srt.started_at.values) <= np.timedelta64(7, "D")
    )
    assert close.sum() == truth["attribution"]["consecutive_conversation_pairs_within_window"]
    assert close.mean() < 0.02


def test_feedback(demo):
    t, conv = demo.t, demo.conv
    fb = t["feedback"]
    share = fb.groupby("kind").conversation_id.nunique() / len(conv)
    assert abs(share["thumb"] - 0.30) < 0.02 and abs(share["rating"] - 0.10) < 0.015
    assert abs(share["csat"] - 0.15) < 0.015
    assert fb[fb.kind == "thumb"].value.isin([0.0, 1.0]).all()
    assert fb[fb.kind != "thumb"].value.between(1, 5).all()
    assert fb[fb.kind == "csat"].trace_id.isna().all() and fb[fb.kind != "csat"].trace_id.notna().all()
    # sentiment follows the outcome
    thumbs = fb[fb.kind == "thumb"].join(conv[["terminal", "converted"]], on="conversation_id")
    up = thumbs.groupby("terminal").value.mean()
    assert up["resolved"] > up["escalated"] + 0.2 and up["resolved"] > up["abandoned"] + 0.2
    csat = fb[fb.kind == "csat"].join(conv[["terminal", "converted"]], on="conversation_id")
    assert csat[csat.converted].value.mean() > csat[~csat.converted].value.mean()
