"""Attribution on a hand-made messy case, loaded the real way (parquet → dlt merge → dbt), then a
late deal arriving in a second load and an incremental build that must pick it up.

The case (attribution window 7 days, last touch):
  contact 201 e-mail "  Zoe@Shop.COM "; conversations m1 ("zoe@shop.com", Jul 1) and m2
      ("ZOE@SHOP.COM\t ", Jul 3); deal DZ closes Jul 5 → credited once, to m2 (the later touch);
      DZ2 closes Jul 20, outside both windows → credited nowhere.
  contact 202 " yan@shop.com"; conversation m3 (" Yan@Shop.com", Jul 2); deal DY is open at the first
      load and closes Jul 7 09:00 (5 days later) in the second load → m3 converts after the
      incremental build.
  contact 203; deal DX closedwon with no conversation → credited nowhere.
  m4 (contact 204 by id, Jul 20): the latest conversation; m3 (Jul 2) is rebuilt by the second
      load only because its attribution changed (the load wrote no call, event or feedback of it);
      204's deal DW closed Jul 10, before m4 → outside its window.
  Duplicates: call e_m1 and thumb f_m1 are landed twice (a replayed part file) → counted once.

Upgrade: a warehouse built by an older checkout (a column of each incremental mart dropped) is brought
up to date by the ordinary incremental build, equal to a full refresh; with nothing missing and no
new load, an incremental build rewrites nothing (the marts select by load, not by event time).
"""

from __future__ import annotations

import shutil
from datetime import datetime, timezone
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from ingestion.demo.schemas import SCHEMAS
from tests.integration.support import NEEDS_DBT, dlt_load, query, query_dicts

pytestmark = NEEDS_DBT

DIMS = dict(
    experiment_id="exp_sales_prompt", variant="control", prompt_id="sales_agent", prompt_version="sales_agent.v1",
    config='{"temperature":0.7}', config_hash="abcdefabcdef", llm_provider="openai", llm_model="gpt-4o-mini",
    intent="discount_request", capability="discount_engine", action="apply_discount",
)

# fct_conversations' refreshed_at and replaced_date_day: when a run wrote the row, not what it holds.
WRITE_STAMPS = {"refreshed_at", "replaced_date_day"}

def compiled_model(dbt, name: str) -> str:
    """The model's compiled SQL; unit tests that take the model as an input compile fixtures of that
    name too (under their .yml's folder)."""
    paths = (dbt.workdir / "target" / "compiled").rglob(f"{name}.sql")
    return next(p for p in paths if ".yml" not in str(p) and p.parent.name == "marts").read_text()

def ts(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=timezone.utc)


def call(event_id: str, conversation_id: str, at: str, ref: str) -> dict:
    return dict(
        event_id=event_id, occurred_at=ts(at), conversation_id=conversation_id, trace_id=f"t_{event_id}",
        span_id=f"s_{event_id}", parent_span_id=None, customer_ref=ref, **DIMS, latency_ms=500.0,
        time_to_first_token_ms=100.0, input_tokens=100, output_tokens=50, cached_input_tokens=0, cost_usd=0.001,
        status="ok", error_type=None,
    )


CONVERSATIONS = {  # id: (customer_ref, started_at)
    "m1": ("zoe@shop.com", "2024-07-01 10:00:00"),
    "m2": ("ZOE@SHOP.COM\t ", "2024-07-03 10:00:00"),
    "m3": (" Yan@Shop.com", "2024-07-02 09:00:00"),
    "m4": ("204", "2024-07-20 12:00:00"),
}


def deal(deal_id: str, stage: str, close: str | None, modified: str, amount: float = 100.0) -> dict:
    return dict(id=deal_id, dealname=f"Deal {deal_id}", amount=amount, dealstage=stage, pipeline="default",
                closedate=ts(close) if close else None, createdate=ts("2024-06-30 00:00:00"),
                hs_lastmodifieddate=ts(modified))


FIRST_LOAD = {
    "llm_calls": [call(f"e_{c}", c, at, ref) for c, (ref, at) in CONVERSATIONS.items()],
    "conversation_events": [
        dict(event_id=f"{kind}_{c}", conversation_id=c, occurred_at=ts(at) if kind == "s" else ts(at.replace(":00:00", ":05:00")),
             kind="started" if kind == "s" else "resolved", customer_ref=ref)
        for c, (ref, at) in CONVERSATIONS.items() for kind in ("s", "r")
    ],
    "feedback": [dict(event_id="f_m1", occurred_at=ts("2024-07-01 10:06:00"), conversation_id="m1", trace_id=None,
                      kind="thumb", value=1.0, comment=None)],
    "hubspot_contacts": [
        dict(id=i, email=e, firstname="F", lastname="L", createdate=ts("2024-06-01 00:00:00"),
             lastmodifieddate=ts("2024-06-01 00:00:00"))
        for i, e in (("201", "  Zoe@Shop.COM "), ("202", " yan@shop.com"), ("203", "xu@shop.com"), ("204", "wu@shop.com"))
    ],
    "hubspot_deals": [
        deal("DZ", "closedwon", "2024-07-05 10:00:00", "2024-07-05 10:00:00", 120.0),
        deal("DZ2", "closedwon", "2024-07-20 10:00:00", "2024-07-20 10:00:00", 300.0),
        deal("DY", "appointmentscheduled", None, "2024-07-02 10:00:00", 80.0),
        deal("DX", "closedwon", "2024-07-02 10:00:00", "2024-07-02 10:00:00", 999.0),
        deal("DW", "closedwon", "2024-07-10 10:00:00", "2024-07-10 10:00:00", 40.0),
    ],
    "hubspot_deal_contact_associations": [
        dict(deal_id=d, contact_id=c) for d, c in (("DZ", "201"), ("DZ2", "201"), ("DY", "202"), ("DX", "203"),
                                                        ("DW", "204"))
    ],
    "outcome_metrics": [],
}
# The late deal: DY closes five days after m3 started.
SECOND_LOAD = {"hubspot_deals": [deal("DY", "closedwon", "2024-07-07 09:00:00", "2024-07-07 09:00:00", 80.0)]}


def land(directory: Path, tables: dict[str, list[dict]], part: int) -> None:
    for table, rows in tables.items():
        folder = directory / table
        folder.mkdir(parents=True, exist_ok=True)
        if "project" in SCHEMAS[table].names:
            rows = [{"project": "messy", **row} for row in rows]
        if rows:
            pq.write_table(pa.Table.from_pylist(rows, schema=SCHEMAS[table]), folder / f"part-{part:05d}.parquet")


def fct(wh) -> dict[str, dict]:
    return {r["conversation_id"]: r for r in query_dicts(wh, "select * from marts.fct_conversations")}


def unstamped(rows: dict[str, dict]) -> dict[str, dict]:
    """The rows without the columns saying when and from which day a run wrote them."""
    return {key: {k: v for k, v in row.items() if k not in WRITE_STAMPS} for key, row in rows.items()}


@pytest.fixture(scope="module")
def messy(warehouse_db, dbt, tmp_path_factory):
    workdir = tmp_path_factory.mktemp("messy")
    landing = workdir / "landing"
    land(landing, FIRST_LOAD, 0)
    # a replayed part: the same call and thumb again
    land(landing, {"llm_calls": FIRST_LOAD["llm_calls"][:1], "feedback": FIRST_LOAD["feedback"]}, 1)
    dlt_load(landing, warehouse_db, workdir / "dlt")
    dbt("seed")
    dbt("build")
    first = fct(warehouse_db)
    # the HubSpot sync's next increment: only the changed deal, in a load of its own
    land(workdir / "landing_2", SECOND_LOAD, 0)
    dlt_load(workdir / "landing_2", warehouse_db, workdir / "dlt")
    incremental = dbt("build")
    second = fct(warehouse_db)
    compiled = compiled_model(dbt, "fct_conversations")
    yield {"wh": warehouse_db, "dbt": dbt, "first": first, "second": second, "incremental": incremental,
           "compiled": compiled}
    shutil.rmtree(workdir, ignore_errors=True)


def test_links_emails_across_case_and_whitespace(messy):
    rows = messy["first"]
    assert {c: r["contact_id"] for c, r in rows.items()} == {"m1": "201", "m2": "201", "m3": "202", "m4": "204"}


def test_last_touch_credits_each_deal_once(messy):
    rows = messy["first"]
    assert {c: r["deal_id"] for c, r in rows.items()} == {"m1": None, "m2": "DZ", "m3": None, "m4": None}
    assert rows["m2"]["order_value_usd"] == 120.0 and rows["m2"]["converted"]
    assert [c for c, r in rows.items() if r["converted"]] == ["m2"]


def test_attribution_reason_says_why_a_deal_is_credited_or_not(messy):
    # hand-computed from the case above: m1 lost DZ to the later m2; m3's deal DY is still open at
    # the first load (its contact has no closedwon deal), then closes within its window; m4's
    # contact won DW ten days before m4 started
    first = {c: r["attribution_reason"] for c, r in messy["first"].items()}
    assert first == {"m1": "credited_to_later_conversation", "m2": "credited", "m3": "no_deal",
                     "m4": "outside_window"}
    assert messy["second"]["m3"]["attribution_reason"] == "credited"


def test_replayed_events_count_once(messy):
    rows = messy["first"]
    assert rows["m1"]["llm_calls"] == 1 and rows["m1"]["thumbs_up"] == 1
    assert query(messy["wh"], "select count(*) from raw.llm_calls where event_id = 'e_m1'")[0][0] == 1


def test_late_deal_updates_its_conversation_incrementally(messy):
    second = messy["second"]
    assert query(messy["wh"], "select dealstage from raw.hubspot_deals where id = 'DY'")[0][0] == "closedwon"
    assert "fct_conversations" in messy["incremental"].stdout
    # the second build ran the incremental branch: m3 started before its cut-off (m4 − 9 days) and
    # was rewritten only because its attribution changed
    assert "to_rebuild" in messy["compiled"]
    assert second["m3"]["converted"] and second["m3"]["deal_id"] == "DY"
    assert second["m3"]["order_value_usd"] == 80.0
    assert {c: r["deal_id"] for c, r in second.items()} == {"m1": None, "m2": "DZ", "m3": "DY", "m4": None}
    # nothing else moved, and the deal without a conversation (DX) and the late DZ2 stay uncredited
    for c in ("m1", "m2", "m4"):
        assert second[c] == messy["first"][c]


def test_incremental_equals_full_refresh(messy):
    wh, dbt = messy["wh"], messy["dbt"]
    dbt("build", "--select", "fct_conversations", "--full-refresh")
    assert unstamped(fct(wh)) == unstamped(messy["second"])


@pytest.mark.parametrize(
    ("model", "credits"),
    [
        # DZ's window holds m1 and m2; DY's holds m3 only
        ("linear", {"m1": (0.5, 60.0), "m2": (0.5, 60.0), "m3": (1.0, 80.0), "m4": (0.0, None)}),
        ("first_touch", {"m1": (1.0, 120.0), "m2": (0.0, None), "m3": (1.0, 80.0), "m4": (0.0, None)}),
        ("last_touch", {"m1": (0.0, None), "m2": (1.0, 120.0), "m3": (1.0, 80.0), "m4": (0.0, None)}),
    ],
)
def test_attribution_models_share_credit(messy, model, credits):
    wh, dbt = messy["wh"], messy["dbt"]
    dbt("build", "--select", "int_conversations__outcomes", "fct_conversations", "--full-refresh",
        dbt_vars={"attribution_model": model})
    rows = fct(wh)
    assert {c: (r["conversion_credit"], r["attributed_order_value"]) for c, r in rows.items()} == credits
    # converted stays last touch under every model, and no deal is credited more than once in total
    assert {c: r["deal_id"] for c, r in rows.items()} == {"m1": None, "m2": "DZ", "m3": "DY", "m4": None}
    assert sum(r["conversion_credit"] for r in rows.values()) == 2.0


def test_unknown_attribution_model_is_a_clear_error(messy):
    result = messy["dbt"]("build", "--select", "int_conversations__outcomes",
                          dbt_vars={"attribution_model": "time_decay"}, check=False)
    assert result.returncode != 0
    assert "attribution_model must be last_touch, first_touch or linear" in result.stdout


# An older checkout's warehouse: both incremental marts were built before these columns existed.
# time_to_first_token_ms is nullable, like attributed_order_value: a column appended by
# on_schema_change carries no not-null constraint (dbt applies contract constraints only on create).
DROPPED = {"fct_conversations": "attributed_order_value", "fct_llm_calls": "time_to_first_token_ms"}
KEYS = {"fct_conversations": "conversation_id", "fct_llm_calls": "event_id"}


def catalog(wh, table: str) -> list[tuple[str, str, str]]:
    """(column, type, nullable) in the table's column order."""
    return query(wh, "select column_name, data_type, is_nullable from information_schema.columns"
                     " where table_schema = 'marts' and table_name = %s order by ordinal_position", (table,))


def contents(wh, table: str) -> list[tuple]:
    """Every row, columns by name (alphabetical, so column positions do not matter), sorted by key;
    without the write stamps, which a full refresh sets anew."""
    names = sorted(column for column, _, _ in catalog(wh, table) if column not in WRITE_STAMPS)
    return query(wh, f"select {', '.join(names)} from marts.{table} order by {KEYS[table]}")


def row_versions(wh, table: str) -> dict[str, str]:
    """key -> xmin: the transaction that wrote the row, so a rewritten row gets a new one."""
    return dict(query(wh, f"select {KEYS[table]}, xmin::text from marts.{table}"))


def test_incremental_run_without_a_new_load_rewrites_nothing(messy):
    wh, dbt = messy["wh"], messy["dbt"]
    before = {table: (row_versions(wh, table), contents(wh, table)) for table in KEYS}
    dbt("build", "--select", *KEYS)
    for table in KEYS:
        versions, rows = row_versions(wh, table), contents(wh, table)
        assert rows == before[table][1]
        # no load since the last build and no attribution change: every row is left as it was, the
        # latest conversation (m4, Jul 20) too — an event-time lookback would have rewritten it
        rewritten = {key for key, xmin in versions.items() if xmin != before[table][0][key]}
        assert rewritten == set(), table


def test_upgrade_from_older_checkout_equals_full_refresh(messy):
    wh, dbt = messy["wh"], messy["dbt"]
    with wh.connection() as conn, conn.cursor() as cur:
        cur.execute("drop view marts.live_llm_calls")  # an older checkout had no lambda view over the mart
        for table, column in DROPPED.items():
            cur.execute(f"alter table marts.{table} drop column {column}")
    old_versions = row_versions(wh, "fct_conversations")

    dbt("build")  # the ordinary incremental build, as after `git pull`
    compiled = compiled_model(dbt, "fct_conversations")
    upgraded = {table: (catalog(wh, table), contents(wh, table)) for table in KEYS}

    # every row was rewritten (no to_rebuild subset), so rows outside the lookback got the new
    # column's real values: the credited deals DZ (m2, 120) and DY (m3, 80), and every call's TTFT
    assert "to_rebuild" not in compiled
    assert not set(row_versions(wh, "fct_conversations").values()) & set(old_versions.values())
    assert dict(query(wh, "select conversation_id, attributed_order_value from marts.fct_conversations")) == {
        "m1": None, "m2": 120.0, "m3": 80.0, "m4": None}
    assert dict(query(wh, "select event_id, time_to_first_token_ms from marts.fct_llm_calls")) == {
        f"e_{c}": 100.0 for c in CONVERSATIONS}

    dbt("build", "--select", *KEYS, "--full-refresh")
    for table, column in DROPPED.items():
        full_columns, full_rows = catalog(wh, table), contents(wh, table)
        upgraded_columns, upgraded_rows = upgraded[table]
        assert upgraded_rows == full_rows, table
        # same columns, types and nullability; the appended column merely sits last
        appended = next(c for c in full_columns if c[0] == column)
        assert upgraded_columns == [c for c in full_columns if c[0] != column] + [appended], table
