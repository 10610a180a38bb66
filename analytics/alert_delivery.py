"""Alert delivery: every ops.alerts record to every configured webhook, once, with a cool-down.

Channels come from analytics/config/alert_channels.yaml (secrets from environment variables) and from
ops.alert_webhooks (added with `outcomelens alerts webhooks add`; URL and secret encrypted at rest with
the keyring's master key, outcomelens/core/keyring.py, since a Slack webhook URL is itself a credential). Formats:

- `json`: the alert as JSON, signed. Headers `X-OutcomeLens-Timestamp: <unix seconds>` and
  `X-OutcomeLens-Signature: v1=<hex HMAC-SHA256(secret, "<timestamp>.<raw body>")>`; a receiver
  recomputes it over the raw body, compares in constant time and rejects timestamps older than
  5 minutes (`verify_signature` below does exactly that).
- `slack`: a Slack incoming-webhook message (`text` + `blocks`).

Every attempt is written to ops.alert_deliveries (status `delivered`, `retrying`, `failed` or
`suppressed`). An alert already delivered to a channel is never sent to it again; another alert with
the same dedup_key (metric, segment, rule — or the data-quality check's key) within the cool-down is
recorded as `suppressed`. Secrets and webhook URLs never reach logs, errors or listings.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import re
import time
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Callable
from urllib.parse import urlsplit

import requests

from analytics import alert_log
from analytics.config import load_alert_channels
from outcomelens.core import keyring

SIGNATURE_HEADER = "X-OutcomeLens-Signature"
TIMESTAMP_HEADER = "X-OutcomeLens-Timestamp"
MAX_SIGNATURE_AGE_S = 300
SEVERITY_RANK = {s: i for i, s in enumerate(alert_log.SEVERITIES)}
_LOCK_ID = 0x0A1E27  # pg advisory lock: two deliverers never send the same alert at once
RETRYABLE = {408, 425, 429, 500, 502, 503, 504}

@dataclass(frozen=True)
class Channel:
    name: str
    url: str
    format: str = "json"
    secret: str | None = None

    @property
    def shown_url(self) -> str:
        parts = urlsplit(self.url)
        return f"{parts.scheme}://{parts.netloc}/…"

    def __repr__(self) -> str:  # never print the URL's path or the secret
        return f"Channel(name={self.name!r}, format={self.format!r}, url={self.shown_url!r})"


@dataclass(frozen=True)
class DeliverySettings:
    cooldown: timedelta = timedelta(hours=24)
    max_attempts: int = 4
    backoff_s: float = 1.0
    timeout_s: float = 10.0
    min_severity: str = "warning"

    @classmethod
    def from_config(cls, data: dict) -> "DeliverySettings":
        return cls(
            cooldown=timedelta(minutes=float(data.get("cooldown_minutes", 1440))),
            max_attempts=int(data.get("max_attempts", 4)),
            backoff_s=float(data.get("backoff_seconds", 1.0)),
            timeout_s=float(data.get("timeout_seconds", 10)),
            min_severity=data.get("min_severity", "warning"),
        )


# ---- signing -------------------------------------------------------------------------------------

def sign(secret: str, timestamp: str, body: bytes) -> str:
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"v1={mac}"


def verify_signature(secret: str, headers, body: bytes, now: float | None = None) -> bool:
    """What a receiver does: recompute over the raw body, constant-time compare, refuse stale requests."""
    ts, sig = headers.get(TIMESTAMP_HEADER), headers.get(SIGNATURE_HEADER)
    if not ts or not sig or not ts.isdigit():
        return False
    if abs((now or time.time()) - int(ts)) > MAX_SIGNATURE_AGE_S:
        return False
    return hmac.compare_digest(sign(secret, ts, body), sig)


# ---- webhook registry (CLI) ----------------------------------------------------------------------

def add_webhook(conn, name: str, url: str, fmt: str = "json", secret: str | None = None) -> None:
    if fmt not in ("json", "slack"):
        raise ValueError(f"format must be json or slack, got {fmt!r}")
    if urlsplit(url).scheme not in ("http", "https"):
        raise ValueError("url must be an http(s) URL")
    if fmt == "json" and not secret:
        raise ValueError("secret is required for json webhooks (the receiver verifies the signature with it)")
    f = keyring.fernet()
    with conn.cursor() as cur:
        cur.execute(
            f"""insert into {alert_log.ALERTS_SCHEMA}.alert_webhooks (name, format, url_encrypted, secret_encrypted)
                values (%s, %s, %s, %s) on conflict (name) do update set format = excluded.format,
                url_encrypted = excluded.url_encrypted, secret_encrypted = excluded.secret_encrypted""",
            (name, fmt, f.encrypt(url.encode()).decode(), f.encrypt(secret.encode()).decode() if secret else None),
        )


def remove_webhook(conn, name: str) -> bool:
    with conn.cursor() as cur:
        cur.execute(f"delete from {alert_log.ALERTS_SCHEMA}.alert_webhooks where name = %s", (name,))
        return cur.rowcount > 0


def stored_channels(conn) -> list[Channel]:
    f = keyring.fernet()
    with conn.cursor() as cur:
        cur.execute(f"select name, format, url_encrypted, secret_encrypted from {alert_log.ALERTS_SCHEMA}.alert_webhooks order by name")
        return [
            Channel(name, f.decrypt(url.encode()).decode(), fmt, f.decrypt(sec.encode()).decode() if sec else None)
            for name, fmt, url, sec in cur.fetchall()
        ]


def list_webhooks(conn, config: dict | None = None) -> list[dict]:
    """Name, format, host and whether a secret is set: never the URL's path or the secret."""
    listed = [
        {"name": c.name, "format": c.format, "url": c.shown_url, "secret": "set" if c.secret else "none", "from": "cli"}
        for c in stored_channels(conn)
    ]
    for c in yaml_channels(config):
        listed.append({"name": c.name, "format": c.format, "url": c.shown_url,
                       "secret": "set" if c.secret else "none", "from": "yaml"})
    return listed


def yaml_channels(config: dict | None = None) -> list[Channel]:
    data = config if config is not None else load_alert_channels()
    channels = []
    for hook in data.get("webhooks") or []:
        secret = os.environ.get(hook["secret_env"]) if hook.get("secret_env") else None
        channels.append(Channel(hook["name"], hook["url"], hook.get("format", "json"), secret))
    return channels


# ---- payloads ------------------------------------------------------------------------------------

def slack_text(value) -> str:
    """Ingested text as literal Slack text: Slack reads `<…>` as mentions and links (`<!channel>`,
    `<https://x|click>`) and * _ ~ and backticks as formatting, so a dimension value could page a whole channel."""
    text = str(value).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    # A zero-width space after each formatting character keeps it from pairing up with another.
    return re.sub(r"([*_~`])", "\\1\u200b", text)


def render(channel: Channel, alert: dict) -> tuple[bytes, dict[str, str]]:
    headers = {"Content-Type": "application/json", "User-Agent": "OutcomeLens-Alerts/1"}
    if channel.format == "slack":
        emoji = {"critical": ":red_circle:", "warning": ":warning:"}.get(alert["severity"], ":information_source:")
        title, source = slack_text(alert["title"]), slack_text(alert["source"])
        body = {
            "text": f"{emoji} [{alert['severity']}] {title}",
            "blocks": [
                {"type": "section", "text": {"type": "mrkdwn", "text": f"{emoji} *{title}*"}},
                {"type": "context", "elements": [{"type": "mrkdwn", "text":
                    f"source: {source} · severity: {alert['severity']} · alert {alert['alert_id']}"}]},
            ],
        }
        return json.dumps(body).encode(), headers
    body = json.dumps({
        "alert_id": alert["alert_id"], "created_at": str(alert["created_at"]), "source": alert["source"],
        "dedup_key": alert["dedup_key"], "severity": alert["severity"], "title": alert["title"],
        "payload": alert["payload"],
    }, default=str, sort_keys=True).encode()
    if channel.secret:
        ts = str(int(time.time()))
        headers[TIMESTAMP_HEADER] = ts
        headers[SIGNATURE_HEADER] = sign(channel.secret, ts, body)
    headers["X-OutcomeLens-Alert-Id"] = alert["alert_id"]
    return body, headers


# ---- delivery ------------------------------------------------------------------------------------

def _log(conn, alert_id: str, channel: str, attempt: int, status: str, http_status=None, error=None) -> None:
    with conn.cursor() as cur:
        cur.execute(
            f"""insert into {alert_log.ALERTS_SCHEMA}.alert_deliveries
                (alert_id, channel, attempt, status, http_status, error) values (%s, %s, %s, %s, %s, %s)""",
            (alert_id, channel, attempt, status, http_status, error),
        )
    conn.commit()


def _pending(conn, channel: str, min_severity: str) -> list[dict]:
    allowed = [s for s in alert_log.SEVERITIES if SEVERITY_RANK[s] >= SEVERITY_RANK[min_severity]]
    with conn.cursor() as cur:
        cur.execute(
            f"""select a.alert_id, a.created_at, a.source, a.dedup_key, a.severity, a.title, a.payload
                from {alert_log.ALERTS_SCHEMA}.alerts a
                where a.severity = any(%s) and not exists (
                    select 1 from {alert_log.ALERTS_SCHEMA}.alert_deliveries d
                    where d.alert_id = a.alert_id and d.channel = %s
                      and d.status in ('delivered', 'failed', 'suppressed'))
                order by a.created_at, a.alert_id""",
            (allowed, channel),
        )
        cols = [d.name for d in cur.description]
        return [dict(zip(cols, row)) for row in cur.fetchall()]


def _cooling_down(conn, channel: str, dedup_key: str, cooldown: timedelta, now: datetime) -> bool:
    with conn.cursor() as cur:
        cur.execute(
            f"""select 1 from {alert_log.ALERTS_SCHEMA}.alert_deliveries d
                join {alert_log.ALERTS_SCHEMA}.alerts a using (alert_id)
                where d.channel = %s and a.dedup_key = %s and d.status = 'delivered' and d.delivered_at > %s
                limit 1""",
            (channel, dedup_key, now - cooldown),
        )
        return cur.fetchone() is not None


def _safe_error(exc: Exception, channel: Channel) -> str:
    text = f"{type(exc).__name__}: {exc}"
    for secret in filter(None, (channel.url, urlsplit(channel.url).path, channel.secret)):
        text = text.replace(secret, "***")
    return text[:500]


def _send(conn, channel: Channel, alert: dict, settings: DeliverySettings, post: Callable, sleep: Callable) -> str:
    for attempt in range(1, settings.max_attempts + 1):
        body, headers = render(channel, alert)  # re-signed per attempt: a fresh timestamp each time
        status_code, error = None, None
        try:
            response = post(channel.url, data=body, headers=headers, timeout=settings.timeout_s)
            status_code = response.status_code
            if 200 <= status_code < 300:
                _log(conn, alert["alert_id"], channel.name, attempt, "delivered", status_code)
                return "delivered"
            error = f"HTTP {status_code}"
            retry = status_code in RETRYABLE
        except requests.RequestException as exc:
            error, retry = _safe_error(exc, channel), True
        final = not retry or attempt == settings.max_attempts
        _log(conn, alert["alert_id"], channel.name, attempt, "failed" if final else "retrying", status_code, error)
        if final:
            return "failed"
        sleep(settings.backoff_s * 2 ** (attempt - 1))
    return "failed"


def deliver(conn, channels: list[Channel], settings: DeliverySettings, *, post: Callable = requests.post,
            sleep: Callable = time.sleep, now: datetime | None = None) -> dict[str, int]:
    """Deliver every pending alert (anomaly or data_quality) to every channel; counts by outcome."""
    counts = {"delivered": 0, "failed": 0, "suppressed": 0}
    with conn.cursor() as cur:
        cur.execute("select pg_try_advisory_lock(%s)", (_LOCK_ID,))
        if not cur.fetchone()[0]:
            return counts  # another deliverer is at work; it will send these
    try:
        for channel in channels:
            for alert in _pending(conn, channel.name, settings.min_severity):
                when = now or datetime.now(timezone.utc)
                if _cooling_down(conn, channel.name, alert["dedup_key"], settings.cooldown, when):
                    _log(conn, alert["alert_id"], channel.name, 0, "suppressed", None, "within cool-down")
                    counts["suppressed"] += 1
                    continue
                counts[_send(conn, channel, alert, settings, post, sleep)] += 1
    finally:
        with conn.cursor() as cur:
            cur.execute("select pg_advisory_unlock(%s)", (_LOCK_ID,))
        conn.commit()
    return counts


def deliver_configured(conn, config: dict | None = None, **kwargs) -> dict[str, int]:
    data = config if config is not None else load_alert_channels()
    return deliver(conn, yaml_channels(data) + stored_channels(conn), DeliverySettings.from_config(data), **kwargs)
