"""Scheduled reports: a saved dashboard view printed as PDF by the dashboard, then sent to a
webhook signed like the alerts (analytics/alert_delivery.py: the same headers and HMAC, over the
PDF's raw bytes). Reports are listed in analytics/config/reports.yaml; Dagster runs them on their
schedules (orchestration/defs/reports).

The dashboard renders the view with a short-lived token of the report's role (sent as Bearer to its
/export/pdf route), so a report shows what that role may see and nothing more. Secrets come from
environment variables and never reach logs or errors.
"""

from __future__ import annotations

import os
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
    token = issue_service_token(report.role, api_secret, TOKEN_TTL_S)
    response = requests.get(
        f"{dashboard_url.rstrip('/')}/export/pdf/{report.page}?{report.query}",
        headers={"Authorization": f"Bearer {token}"},
        timeout=RENDER_TIMEOUT_S,
    )
    if response.status_code != 200 or not response.content.startswith(b"%PDF"):
        raise RuntimeError(
            f"report {report.name}: the dashboard answered {response.status_code} "
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
    timestamp = str(int(time.time()))
    headers = {
        "Content-Type": "application/pdf",
        REPORT_HEADER: report.name,
        TIMESTAMP_HEADER: timestamp,
        SIGNATURE_HEADER: sign(secret, timestamp, pdf),
        "Content-Disposition": f'attachment; filename="{report.name}.pdf"',
    }
    try:
        response = requests.post(report.url, data=pdf, headers=headers, timeout=timeout_s)
    except requests.RequestException as exc:
        raise RuntimeError(
            f"report {report.name}: the webhook could not be reached ({exc.__class__.__name__})"
        ) from None
    if not response.ok:
        raise RuntimeError(f"report {report.name}: the webhook answered {response.status_code}")
    return response.status_code
