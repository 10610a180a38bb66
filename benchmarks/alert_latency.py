"""Alert latency of the live path (issue 12; docs/live.md): a 30 % conversion drop injected live in one
segment while `outcomelens up` runs; the time from the first affected event's 202 to the signed alert
webhook arriving at a local receiver. Target ≤ 2 min (PRD: 5 min).

    .venv/bin/python benchmarks/alert_latency.py --data-dir /tmp/ol-alert --out benchmarks/results/alert_latency.json --down

The data dir must be new: the script posts its own history. What it does:

1. A local HubSpot (tests/mocks/hubspot.py) holding one contact and one closed-won deal per converting
   conversation, history and today's; a local webhook receiver that checks the X-OutcomeLens-Signature
   of every request (HMAC-SHA256 over "<timestamp>.<body>", as docs/alerts describe it) and refuses
   a wrong one.
2. `outcomelens up` in --data-dir, pointed at that HubSpot (SOURCES__HUBSPOT__*), an ingestion key, and
   the receiver registered with `outcomelens alerts webhooks add` (URL and secret from the environment).
3. One signed HubSpot webhook to the collector: the sync run (Dagster) lands the CRM in raw.hubspot_*.
4. History: 28 days of conversations posted to the collector, --per-day a day in each of two intents
   (checkout_help, billing_question), exactly a quarter of them converting. 400 a day is the smallest
   volume benchmarks/anomaly_power.md finds alerted on the first day of a 30 % drop (median 1 day,
   100 % within 14); planted exactly (no binomial noise), Fisher's p for the day is 0.0008 against the
   rule's per-test α of 0.0028. Waits until a micro-batch has built it all into the marts and none is
   running.
5. Live: today's conversations of both intents posted (checkout_help first), checkout_help converting
   30 % less (70 of 400 instead of 100); today's deals are already in HubSpot (closed before this
   step), so the drop is visible as soon as the conversations are. Measured: from the first of
   today's 202s to the signed webhook about conversion_rate on intent=checkout_help, with the steps
   in between (the loader's report to Dagster, the sensor's run request, the micro-batch, the
   detection, the delivery) and every Dagster run involved.

Run it at least an hour away from midnight UTC: the conversations of "today" are dated earlier today.
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import json
import os
import secrets
import sys
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import requests
from live_stack import LiveStack, job_runs, machine, materializations_since, start_stack

from ingestion.collector.webhooks import signature_v3
from tests.integration.support import synthetic_call
from tests.mocks.hubspot import MockHubSpot

DROPPED, STEADY = "checkout_help", "billing_question"
BASELINE_RATE = 0.25
DIMENSIONS = dict(prompt_id="support_agent", prompt_version="support_agent.v1", capability="support", action="answer")
POST_CHUNK = 2_000  # calls per request (the collector takes up to 10,000)
TARGET_S, PRD_S = 120, 300
MICRO_BATCH = "live_micro_batch"


# ---- the receiver --------------------------------------------------------------------------------


@dataclass
class Received:
    at: float
    verified: bool
    alert: dict


@dataclass
class Receiver:
    """An HTTP server on 127.0.0.1 that accepts an alert only with a valid signature (and answers 401
    otherwise, so the delivery records a failure), keeping each one with its arrival time."""

    secret: str
    received: list[Received] = field(default_factory=list)
    arrived: threading.Condition = field(default_factory=threading.Condition)

    def verify(self, headers, body: bytes) -> bool:
        # Written from the documented scheme, not with the product's own helper, so a change to the
        # signing that breaks receivers breaks this benchmark too.
        ts, signature = headers.get("X-OutcomeLens-Timestamp", ""), headers.get("X-OutcomeLens-Signature", "")
        if not ts.isdigit() or abs(time.time() - int(ts)) > 300:
            return False
        expected = "v1=" + hmac.new(self.secret.encode(), ts.encode() + b"." + body, hashlib.sha256).hexdigest()
        return hmac.compare_digest(expected, signature)

    def serve(self) -> str:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                at, verified = time.time(), receiver.verify(self.headers, body)
                self.send_response(200 if verified else 401)
                self.send_header("Content-Length", "0")
                self.end_headers()
                with receiver.arrived:
                    receiver.received.append(Received(at, verified, json.loads(body or b"{}")))
                    receiver.arrived.notify_all()

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        return f"http://127.0.0.1:{server.server_address[1]}/alerts"

    def wait_for(self, wanted, timeout_s: float) -> Received | None:
        deadline = time.monotonic() + timeout_s
        with self.arrived:
            while True:
                found = next((r for r in self.received if r.verified and wanted(r.alert)), None)
                if found or time.monotonic() > deadline:
                    return found
                self.arrived.wait(timeout=1)


# ---- the planted data ----------------------------------------------------------------------------


@dataclass
class Conversation:
    conversation_id: str
    intent: str
    started_at: datetime
    contact_id: str | None  # the converting ones have a contact, and a deal closing after the start
    closed_at: datetime | None


def plan(run: str, per_day: int, days: int, drop: float, now: datetime) -> dict[int, list[Conversation]]:
    """Conversations per day back from today (0), each intent per_day a day, exactly BASELINE_RATE of
    them converting, except today's DROPPED ones (drop less). Day d's start times are today's minus d
    days: spread over the first half of today so far, every deal closed a quarter of it later."""
    midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
    elapsed = now - midnight
    converting = round(per_day * BASELINE_RATE)
    planned, contact = {}, 0
    for d in range(days, -1, -1):
        day = []
        for intent in (DROPPED, STEADY):
            converts = round(converting * (1 - drop)) if d == 0 and intent == DROPPED else converting
            every = per_day / converts if converts else per_day + 1  # spread the converting ones evenly
            chosen = {int(k * every) for k in range(converts)}
            for i in range(per_day):
                started = midnight - timedelta(days=d) + elapsed * 0.5 * i / per_day
                contact_id = None
                if i in chosen:
                    contact += 1
                    contact_id = str(contact)
                day.append(
                    Conversation(
                        f"{run}-{intent}-d{d}-{i}",
                        intent,
                        started,
                        contact_id,
                        started + elapsed * 0.25 if contact_id else None,
                    )
                )
        planned[d] = day
    return planned


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def hubspot_portal(conversations: list[Conversation], now: datetime) -> tuple[list, list, dict]:
    """The mock's contacts, deals and deal → contact links (HubSpot's CRM v3 record shapes)."""
    contacts, deals, links = [], [], {}
    modified = _iso(now)
    for c in conversations:
        if c.contact_id is None:
            continue
        contacts.append(
            {
                "id": c.contact_id,
                "createdAt": modified,
                "updatedAt": modified,
                "archived": False,
                "properties": {
                    "email": f"customer{c.contact_id}@example.com",
                    "firstname": "Customer",
                    "lastname": c.contact_id,
                    "createdate": _iso(c.started_at),
                    "lastmodifieddate": modified,
                    "hs_object_id": c.contact_id,
                },
            }
        )
        deal_id = str(10_000_000 + int(c.contact_id))
        deals.append(
            {
                "id": deal_id,
                "createdAt": modified,
                "updatedAt": modified,
                "archived": False,
                "properties": {
                    "dealname": f"Order {deal_id}",
                    "amount": "120",
                    "dealstage": "closedwon",
                    "pipeline": "default",
                    "closedate": _iso(c.closed_at),
                    "createdate": _iso(c.started_at),
                    "hs_lastmodifieddate": modified,
                    "hs_object_id": deal_id,
                },
            }
        )
        links[deal_id] = [c.contact_id]
    return contacts, deals, links


def calls(conversations: list[Conversation]) -> list[dict]:
    return [
        synthetic_call(
            f"{c.conversation_id}-0",
            c.conversation_id,
            c.started_at.isoformat(),
            intent=c.intent,
            **DIMENSIONS,
            **({"customer_ref": c.contact_id} if c.contact_id else {}),
        )
        for c in conversations
    ]


# ---- the steps -----------------------------------------------------------------------------------


def wait_until(condition, timeout_s: float, what: str, every_s: float = 1.0):
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            value = condition()
        except Exception:  # noqa: BLE001 — a table not built yet, a service still starting
            value = None
        if value:
            return value
        if time.monotonic() > deadline:
            sys.exit(f"{what}: not within {timeout_s:.0f} s")
        time.sleep(every_s)


def post_calls(stack: LiveStack, session: requests.Session, records: list[dict]) -> float:
    """Posts the calls in chunks; returns when the first chunk's 202 arrived (unix seconds)."""
    first = None
    for start in range(0, len(records), POST_CHUNK):
        answer = session.post(
            stack.url("collector") + "/v1/llm-calls", json=records[start : start + POST_CHUNK], timeout=120
        )
        if answer.status_code != 202 or answer.json()["rejected"]:
            sys.exit(f"the collector refused calls: {answer.status_code} {answer.text[:500]}")
        first = first or time.time()
    return first


def request_hubspot_sync(stack: LiveStack, app_secret: str, deal_ids: list[str]) -> None:
    """A signed HubSpot webhook (X-HubSpot-Signature-v3) announcing the deals, as HubSpot sends it."""
    url = stack.url("collector") + "/v1/webhooks/hubspot"
    now_ms = int(time.time() * 1000)
    body = json.dumps(
        [
            {
                "eventId": i,
                "subscriptionId": 1,
                "portalId": 62515,
                "appId": 1,
                "occurredAt": now_ms,
                "subscriptionType": "deal.creation",
                "attemptNumber": 0,
                "objectId": int(deal_id),
                "changeFlag": "NEW",
                "changeSource": "CRM",
            }
            for i, deal_id in enumerate(deal_ids[:100])
        ]
    ).encode()
    ts = str(now_ms)
    answer = requests.post(
        url,
        data=body,
        timeout=30,
        headers={
            "Content-Type": "application/json",
            "X-HubSpot-Request-Timestamp": ts,
            "X-HubSpot-Signature-v3": signature_v3(app_secret, "POST", url, body, ts),
        },
    )
    if answer.status_code != 200 or not answer.json()["sync_requested"]:
        sys.exit(f"the HubSpot webhook was refused: {answer.status_code} {answer.text[:300]}")


def micro_batch_idle(since: float) -> bool:
    runs = job_runs(MICRO_BATCH, since)
    return bool(runs) and all(r["status"] in ("SUCCESS", "FAILURE", "CANCELED") for r in runs)


def is_the_planted_drop(today: str):
    return lambda alert: (
        (alert.get("payload") or {}).get("metric_name") == "conversion_rate"
        and alert["payload"].get("segment_dimension") == "intent"
        and alert["payload"].get("segment_value") == DROPPED
        and alert["payload"].get("date_day") == today
    )


def _at(unix: float | None) -> str | None:
    return None if unix is None else datetime.fromtimestamp(unix, timezone.utc).isoformat(timespec="milliseconds")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", required=True, help="a new data directory")
    parser.add_argument("--per-day", type=int, default=400, help="conversations a day in each intent")
    parser.add_argument("--days", type=int, default=28, help="days of history")
    parser.add_argument("--drop", type=float, default=0.30, help="relative drop of today's conversions")
    parser.add_argument("--timeout", type=int, default=900, help="seconds to wait for the alert")
    parser.add_argument("--out")
    parser.add_argument("--down", action="store_true", help="stop the stack at the end")
    args = parser.parse_args()

    if (Path(args.data_dir) / "pg").exists():
        sys.exit(f"{args.data_dir} already holds a warehouse: give a new --data-dir (the history is posted)")
    now = datetime.now(timezone.utc)
    if not timedelta(minutes=20) <= now - now.replace(hour=0, minute=0, second=0, microsecond=0) <= timedelta(hours=22):
        sys.exit("run between 00:20 and 22:00 UTC: today's conversations are dated earlier today")

    run = secrets.token_hex(3)
    planned = plan(run, args.per_day, args.days, args.drop, now)
    everything = [c for day in planned.values() for c in day]
    history = [c for d, day in planned.items() if d > 0 for c in day]
    contacts, deals, links = hubspot_portal(everything, now)
    token, app_secret, webhook_secret = (secrets.token_urlsafe(24) for _ in range(3))
    receiver = Receiver(webhook_secret)
    receiver_url = receiver.serve()
    timeline: dict[str, float] = {}

    try:
        with MockHubSpot(token, links, contacts=contacts, deals=deals) as hub:
            timeline["stack_starting"] = time.time()
            stack = start_stack(
                args.data_dir,
                project="alertbench",
                SOURCES__HUBSPOT__API_KEY=token,
                SOURCES__HUBSPOT__BASE_URL=hub.url,
                SOURCES__HUBSPOT__APP_SECRET=app_secret,
            )
            timeline["stack_up"] = time.time()
            print(f"stack up in {timeline['stack_up'] - timeline['stack_starting']:.0f}s", flush=True)
            stack.cli(
                "alerts",
                "webhooks",
                "add",
                "alertbench",
                "--format",
                "json",
                env={"OUTCOMELENS_WEBHOOK_URL": receiver_url, "OUTCOMELENS_WEBHOOK_SECRET": webhook_secret},
            )

            request_hubspot_sync(stack, app_secret, list(links))
            wait_until(
                lambda: stack.query("select count(*) from raw.hubspot_deals")[0][0] == len(deals),
                1800,
                "the HubSpot sync",
            )
            timeline["hubspot_synced"] = time.time()
            print(
                f"HubSpot synced ({len(contacts)} contacts, {len(deals)} deals) "
                f"in {timeline['hubspot_synced'] - timeline['stack_up']:.0f}s",
                flush=True,
            )

            session = stack.session()
            timeline["history_posting"] = time.time()
            post_calls(stack, session, calls(history))
            expected = (len(history), sum(c.contact_id is not None for c in history))
            wait_until(
                lambda: (
                    stack.query(
                        "select sum(conversations)::int, sum(conversions)::int from marts.fct_attribution_daily"
                    )[0]
                    == expected
                ),
                3600,
                f"the history ({expected[0]} conversations, {expected[1]} conversions) in the marts",
                every_s=5,
            )
            # Idle twice, two sensor intervals apart: a last micro-batch the sensor still owes (its cursor
            # behind the newest report) would otherwise be running when today's calls land.
            for _ in range(2):
                wait_until(lambda: micro_batch_idle(timeline["history_posting"]), 1800, "the micro-batches ending", 5)
                time.sleep(12)
            timeline["history_in_marts"] = time.time()
            print(
                f"history in the marts {timeline['history_in_marts'] - timeline['history_posting']:.0f}s after "
                "its first post; posting today's conversations",
                flush=True,
            )
            before = len(receiver.received)

            today = planned[0]
            dropped = [c for c in today if c.intent == DROPPED]
            timeline["first_affected_202"] = post_calls(stack, session, calls(dropped))
            post_calls(stack, session, calls([c for c in today if c.intent == STEADY]))
            timeline["today_posted"] = time.time()
            alert = receiver.wait_for(is_the_planted_drop(now.date().isoformat()), args.timeout)

            since = timeline["first_affected_202"]
            micro_batches = job_runs(MICRO_BATCH, since - 1)
            loads = materializations_since(["dlt", "landing", "llm_calls"], since - 1)
            deliveries = stack.query(
                "select a.alert_id, a.title, d.status, d.attempt, extract(epoch from d.delivered_at)::float8 "
                "from ops.alert_deliveries d join ops.alerts a using (alert_id) where d.channel = 'alertbench' "
                "order by d.delivered_at"
            )
            if alert:
                timeline["alert_detected"] = datetime.fromisoformat(alert.alert["payload"]["detected_at"]).timestamp()
                timeline["alert_delivered"] = next(
                    (row[4] for row in deliveries if row[0] == alert.alert["alert_id"] and row[2] == "delivered"), None
                )
                timeline["webhook_received"] = alert.at
            if loads:
                timeline["loader_reported_to_dagster"] = loads[0]
            # The micro-batch that saw today's calls: the first requested after the loader's report.
            seen = next((r for r in micro_batches if loads and r["requested_at"] >= loads[0]), None)
            if seen:
                timeline["sensor_requested_micro_batch"] = seen["requested_at"]
                timeline["micro_batch_started"] = seen["started_at"]
                timeline["micro_batch_ended"] = seen["ended_at"]

        latency = alert.at - since if alert else None
        steps = [
            "first_affected_202",
            "loader_reported_to_dagster",
            "sensor_requested_micro_batch",
            "micro_batch_started",
            "alert_detected",
            "micro_batch_ended",
            "alert_delivered",
            "webhook_received",
        ]
        result = {
            "latency_s": round(latency, 1) if latency is not None else None,
            "target_s": TARGET_S,
            "prd_s": PRD_S,
            "met_target": latency is not None and latency <= TARGET_S,
            "alert": alert.alert["title"] if alert else None,
            "signature_verified": bool(alert and alert.verified),
            "after_first_affected_202_s": {k: round(timeline[k] - since, 1) for k in steps if timeline.get(k)},
            "timestamps": {k: _at(v) for k, v in timeline.items()},
            "setup_s": {
                "stack_up": round(timeline["stack_up"] - timeline["stack_starting"]),
                "hubspot_sync": round(timeline["hubspot_synced"] - timeline["stack_up"]),
                "history_into_marts": round(timeline["history_in_marts"] - timeline["history_posting"]),
            },
            "micro_batches_since_first_affected_202": [
                {**r, **{k: _at(r[k]) for k in ("requested_at", "started_at", "ended_at")}} for r in micro_batches
            ],
            "alerts_received": [
                {
                    "at": _at(r.at),
                    "verified": r.verified,
                    "title": r.alert.get("title"),
                    "during": "setup" if i < before else "live",
                }
                for i, r in enumerate(receiver.received)
            ],
            "deliveries": [{"title": t, "status": s, "attempt": a, "at": _at(at)} for _, t, s, a, at in deliveries],
            "volume": {
                "per_day_per_intent": args.per_day,
                "history_days": args.days,
                "drop": args.drop,
                "intents": [DROPPED, STEADY],
                "history_conversations": len(history),
                "today_conversations": len(today),
                "deals": len(deals),
            },
            **machine(),
        }
        print(json.dumps(result, indent=2))
        if args.out:
            Path(args.out).parent.mkdir(parents=True, exist_ok=True)
            Path(args.out).write_text(json.dumps(result, indent=2) + "\n")
    finally:
        if args.down:  # also after a failure: the stack is not left running
            LiveStack(Path(args.data_dir), {**os.environ, "OUTCOMELENS_DATA_DIR": args.data_dir}, {}).down()
    if not alert:
        sys.exit(f"no signed alert about conversion_rate on intent={DROPPED} within {args.timeout}s")


if __name__ == "__main__":
    main()
