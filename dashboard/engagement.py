"""Every page view goes to the accounts API's engagement record (POST /v1/engagement, with the
user's own token): the page, the main semantic-layer view it reads, and how long the server took
to answer it. Sent from a background thread after the page is answered; a failure there (the
endpoint missing, the service down) is logged and never reaches the page."""

from __future__ import annotations

import logging
import time
from concurrent.futures import ThreadPoolExecutor

import flask

from dashboard import session
from dashboard.accounts_api import AccountsClient

log = logging.getLogger(__name__)
_POOL = ThreadPoolExecutor(max_workers=2, thread_name_prefix="engagement")


def _send(accounts_url: str, token: str, page: str, view: str | None, response_ms: float) -> None:
    try:
        AccountsClient(accounts_url, token).page_view(page, view, response_ms)
    except Exception as exc:  # noqa: BLE001 - whatever goes wrong here must not reach a page
        log.warning("engagement record not sent for %s: %s", page, exc)


def report_page_view(page: str, view: str | None, started: float) -> None:
    """Queue the page view (read the token and URL now: the request is gone when it is sent)."""
    token = session.current_token()
    accounts_url = flask.current_app.config.get(session.ACCOUNTS_URL_KEY)
    if not token or not accounts_url:
        return
    response_ms = round((time.monotonic() - started) * 1000, 1)
    _POOL.submit(_send, accounts_url, token, page, view, response_ms)
