"""Scheduled reports: a saved dashboard view printed as PDF by the dashboard, then sent to a
webhook signed like the alerts (analytics/alert_delivery.py: the same headers and HMAC, over the
PDF's raw bytes) or uploaded to a Slack channel (Slack's Web API: files.getUploadURLExternal, the
bytes to the upload URL, files.completeUploadExternal). Reports are listed in
analytics/config/reports.yaml or made from the dashboard (ops.report_schedules); Dagster runs them
(orchestration/defs/reports).

The dashboard renders the view with a short-lived token of the report's role (sent as Bearer to its
/export/pdf route), so a report shows what that role may see and nothing more. Secrets come from
environment variables and never reach logs or errors.
"""

from __future__ import annotations

import os
import re
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import requests
import yaml

from analytics.alert_delivery import SIGNATURE_HEADER, TIMESTAMP_HEADER, sign
from analytics.config import CONFIG_DIR, ConfigError
from outcomelens.core.tokens import ROLES, issue_service_token

REPORT_HEADER = "X-OutcomeLens-Report"
DEFAULT_CRON = "0 7 * * 1"  # weekly: Mondays 07:00 UTC
TOKEN_TTL_S = 600  # long enough to render one PDF
RENDER_TIMEOUT_S = 180.0
SLACK_API_URL_ENV = "OUTCOMELENS_SLACK_API_URL"  # the tests' local Slack; Slack itself by default
SLACK_API_URL = "https://slack.com/api"


@dataclass(frozen=True)
class Report:
    name: str
    view: str  # the saved view's link: /<page>?<filters>
    role: str
    url: str
    secret_env: str
    cron: str = DEFAULT_CRON

    @property
    def page(self) -> str:
        return urlsplit(self.view).path.strip("/") or "overview"

    @property
    def query(self) -> str:
        return urlsplit(self.view).query

    def __repr__(self) -> str:  # never the webhook's path
        parts = urlsplit(self.url)
        return f"Report(name={self.name!r}, view={self.view!r}, role={self.role!r}, url='{parts.scheme}://{parts.netloc}/…')"


def _report(path: Path, i: int, entry: dict) -> Report:
    where = f"{path}: reports[{i}]"
    for key in ("name", "view", "role", "url", "secret_env"):
        if not entry.get(key):
            raise ConfigError(f"{where}.{key} is required")
    if "secret" in entry:
        raise ConfigError(f"{where}.secret: name an environment variable with secret_env instead")
    if entry["role"] not in ROLES:
        raise ConfigError(f"{where}.role must be one of {', '.join(ROLES)}")
    if not str(entry["view"]).startswith("/"):
        raise ConfigError(f"{where}.view must be a dashboard link such as /overview?range=7D")
    if urlsplit(entry["url"]).scheme not in ("http", "https"):
        raise ConfigError(f"{where}.url must be an http(s) URL")
    return Report(
        str(entry["name"]),
        str(entry["view"]),
        entry["role"],
        entry["url"],
        entry["secret_env"],
        str(entry.get("cron") or DEFAULT_CRON),
    )


def load_reports(path: Path | None = None) -> list[Report]:
    path = Path(path or CONFIG_DIR / "reports.yaml")
    try:
        data = yaml.safe_load(path.read_text()) or {}
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML: {exc}") from exc
    reports = [_report(path, i, e or {}) for i, e in enumerate(data.get("reports") or [])]
    names = [r.name for r in reports]
    if len(set(names)) != len(names):
        raise ConfigError(f"{path}: report names must be unique")
    return reports


def render_pdf(report: Report, dashboard_url: str, api_secret: str) -> bytes:
    """The view's PDF report, printed by the dashboard with a short-lived token of the report's role."""
    return render_view_pdf(report.name, report.view, report.role, dashboard_url, api_secret)


def render_view_pdf(name: str, view: str, role: str, dashboard_url: str, api_secret: str) -> bytes:
    """The PDF of the dashboard link `view` (/<page>?<filters>), printed with a short-lived token of `role`."""
    parts = urlsplit(view)
    page = parts.path.strip("/") or "overview"
    token = issue_service_token(role, api_secret, TOKEN_TTL_S)
    response = requests.get(
        f"{dashboard_url.rstrip('/')}/export/pdf/{page}?{parts.query}",
        headers={"Authorization": f"Bearer {token}"},
        timeout=RENDER_TIMEOUT_S,
    )
    if response.status_code != 200 or not response.content.startswith(b"%PDF"):
        raise RuntimeError(
            f"report {name}: the dashboard answered {response.status_code} "
            f"({response.text[:200] if response.status_code != 200 else 'not a PDF'})"
        )
    return response.content


def deliver(report: Report, pdf: bytes, timeout_s: float = 30.0) -> int:
    """POST the PDF, signed; the receiver's HTTP status (raises on anything but 2xx)."""
    secret = os.environ.get(report.secret_env)
    if not secret:
        raise RuntimeError(
            f"report {report.name}: the environment variable {report.secret_env} (its secret) is not set"
        )
    return post_signed(report.name, pdf, report.url, secret, timeout_s)


def post_signed(name: str, pdf: bytes, url: str, secret: str, timeout_s: float = 30.0) -> int:
    """POST the PDF to `url`, signed with `secret` as the alerts are; the receiver's HTTP status."""
    timestamp = str(int(time.time()))
    headers = {
        "Content-Type": "application/pdf",
        REPORT_HEADER: name,
        TIMESTAMP_HEADER: timestamp,
        SIGNATURE_HEADER: sign(secret, timestamp, pdf),
        "Content-Disposition": f'attachment; filename="{_filename(name)}"',
    }
    try:
        response = requests.post(url, data=pdf, headers=headers, timeout=timeout_s)
    except requests.RequestException as exc:
        raise RuntimeError(f"report {name}: the webhook could not be reached ({exc.__class__.__name__})") from None
    if not response.ok:
        raise RuntimeError(f"report {name}: the webhook answered {response.status_code}")
    return response.status_code


def _filename(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", name).strip("-") + ".pdf"


# ---- Slack ---------------------------------------------------------------------------------------


def slack_api_url() -> str:
    return os.environ.get(SLACK_API_URL_ENV, SLACK_API_URL).rstrip("/")


class SlackError(RuntimeError):
    """Slack refused a step of the upload; the message names the step and Slack's error code."""


def _slack_call(method: str, token: str, timeout_s: float, **kwargs) -> dict:
    try:
        response = requests.post(
            f"{slack_api_url()}/{method}", headers={"Authorization": f"Bearer {token}"}, timeout=timeout_s, **kwargs
        )
    except requests.RequestException as exc:
        raise SlackError(f"Slack {method} could not be reached ({exc.__class__.__name__})") from None
    try:
        body = response.json()
    except ValueError:
        body = {}
    # Slack answers 200 with {"ok": false, "error": ...} for refusals; 429 and 5xx carry no ok at all.
    if response.status_code != 200 or not body.get("ok"):
        raise SlackError(f"Slack {method} answered {response.status_code}: {body.get('error', 'no ok')}")
    return body


def upload_to_slack(token: str, channel_id: str, name: str, pdf: bytes, comment: str, timeout_s: float = 30.0) -> str:
    """Upload the PDF to the channel the way Slack's Web API asks (files.upload is retired): an upload
    URL for its name and length, the bytes POSTed there, then completeUploadExternal shares it in
    `channel_id`. The file's id; raises SlackError naming the step that failed (never the token)."""
    filename = _filename(name)
    step = _slack_call(
        "files.getUploadURLExternal", token, timeout_s, data={"filename": filename, "length": str(len(pdf))}
    )
    try:
        # The upload URL is pre-signed (no token goes there); Slack takes the raw bytes or a form.
        uploaded = requests.post(
            step["upload_url"], data=pdf, headers={"Content-Type": "application/pdf"}, timeout=timeout_s
        )
    except requests.RequestException as exc:
        raise SlackError(f"Slack's upload URL could not be reached ({exc.__class__.__name__})") from None
    if uploaded.status_code != 200:
        raise SlackError(f"Slack's upload URL answered {uploaded.status_code}")
    _slack_call(
        "files.completeUploadExternal",
        token,
        timeout_s,
        json={"files": [{"id": step["file_id"], "title": name}], "channel_id": channel_id, "initial_comment": comment},
    )
    return step["file_id"]
