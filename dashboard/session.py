"""Sign-in, kept server-side; the browser holds only a random session id.

A person signs in with e-mail and password through the accounts API (its access token, refreshed
with its refresh token shortly before it expires), or by pasting a JWT (e.g. from `outcomelens
token`). Either token is checked against Cube's /v1/meta before it is accepted, then kept in this
process's memory under a random id set as an HttpOnly cookie: page scripts never see it, and every
Cube and accounts request made on the user's behalf carries it as the Bearer token. The PDF
renderer signs its headless browser in with the same id.
"""

from __future__ import annotations

import html
import secrets
import threading
import time
from dataclasses import dataclass
from urllib.parse import quote, urlparse

import flask
import jwt

from dashboard.accounts_api import AccountsClient, AccountsError
from dashboard.cube import CubeClient, CubeError

COOKIE = "outcomelens_session"
REFRESH_MARGIN_S = 60  # refresh an access token this long before it expires
ACCOUNTS_URL_KEY = "OUTCOMELENS_ACCOUNTS_URL"


@dataclass
class Session:
    token: str
    refresh_token: str | None = None  # only for an e-mail sign-in
    expires_at: float | None = None


_SESSIONS: dict[str, Session] = {}
_LOCK = threading.Lock()


def _expiry(token: str) -> float | None:
    # For scheduling the refresh only; every API verifies the token itself.
    try:
        return float(jwt.decode(token, options={"verify_signature": False}).get("exp"))
    except (jwt.PyJWTError, TypeError, ValueError):
        return None


def new_session(token: str, refresh_token: str | None = None) -> str:
    session_id = secrets.token_urlsafe(32)
    with _LOCK:
        _SESSIONS[session_id] = Session(token, refresh_token, _expiry(token))
    return session_id


def _refreshed(session: Session) -> Session:
    accounts_url = flask.current_app.config.get(ACCOUNTS_URL_KEY)
    try:
        tokens = AccountsClient(accounts_url).refresh(session.refresh_token)
    except AccountsError:
        return session  # the old token is refused once it expires; the user signs in again
    return Session(tokens["access_token"], tokens["refresh_token"], _expiry(tokens["access_token"]))


def token_for(session_id: str | None) -> str | None:
    with _LOCK:
        session = _SESSIONS.get(session_id or "")
        if session is None:
            return None
        # Under the lock: concurrent widget callbacks must not spend the same refresh token twice
        # (the accounts API revokes the whole session on a reuse).
        if session.refresh_token and session.expires_at and session.expires_at - time.time() < REFRESH_MARGIN_S:
            session = _SESSIONS[session_id] = _refreshed(session)
        return session.token


def current_session_id() -> str | None:
    """The request's session: its cookie, or the one-request session of a bearer export."""
    return flask.g.get("bearer_session") or flask.request.cookies.get(COOKIE)


def current_token() -> str | None:
    return token_for(current_session_id())


def end_session(session_id: str) -> None:
    with _LOCK:
        _SESSIONS.pop(session_id, None)


def _bearer_export_session(api_url: str) -> str | None:
    """A session for this one export request when it carries `Authorization: Bearer` (a scheduled
    report has no browser to sign in with): the token is checked with Cube like a pasted one, and
    the PDF renderer signs its headless browser in with the session, ended after the response."""
    header = flask.request.headers.get("Authorization", "")
    if not header.lower().startswith("bearer "):
        return None
    token = header[7:].strip()
    try:
        CubeClient(api_url, token).meta()
    except Exception:  # noqa: BLE001 - refused or unreachable: the request is not signed in
        return None
    return new_session(token)


def _safe_next(target: str | None) -> str:
    # Only paths on this server: a sign-in link must not bounce to another site.
    parsed = urlparse(target or "/")
    if parsed.scheme or parsed.netloc or not (target or "/").startswith("/"):
        return "/"
    return target or "/"


def _form(error: str = "", next_url: str = "/") -> str:
    message = f'<p class="signin-error" role="alert">{html.escape(error)}</p>' if error else ""
    return f"""<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Sign in · OutcomeLens</title><link rel="stylesheet" href="/assets/style.css"></head>
<body class="signin-body"><main class="signin-card">
<h1>OutcomeLens</h1>{message}
<form method="post" action="/signin" class="signin-form"><input type="hidden" name="next" value="{html.escape(next_url)}">
<label for="email">E-mail</label><input id="email" name="email" type="email" autocomplete="username">
<label for="password">Password</label><input id="password" name="password" type="password"
autocomplete="current-password">
<button type="submit" id="signin-password">Sign in</button></form>
<details class="signin-token"><summary>Or paste an access token</summary>
<p>A JWT, e.g. from <code>outcomelens token --role product_manager</code>. It is checked with the
semantic layer and kept on the server for this session only.</p>
<form method="post" action="/signin"><input type="hidden" name="next" value="{html.escape(next_url)}">
<label for="token">Access token</label>
<textarea id="token" name="token" rows="5" required spellcheck="false"></textarea>
<button type="submit" id="signin-submit">Sign in with the token</button></form></details>
</main></body></html>"""


def _accounts_sign_in(email: str, password: str) -> tuple[str, str]:
    tokens = AccountsClient(flask.current_app.config[ACCOUNTS_URL_KEY]).login(email, password)
    return tokens["access_token"], tokens["refresh_token"]


def register(server: flask.Flask, api_url: str, accounts_url: str) -> None:
    """The /signin and /signout routes, and the guard that sends anyone without a session there."""
    server.config[ACCOUNTS_URL_KEY] = accounts_url.rstrip("/")

    @server.get("/signin")
    def signin_page():
        return _form(next_url=_safe_next(flask.request.args.get("next")))

    @server.post("/signin")
    def signin_submit():
        form = flask.request.form
        token, refresh_token = (form.get("token") or "").strip(), None
        if token.lower().startswith("bearer "):
            token = token[7:].strip()
        next_url = _safe_next(form.get("next"))
        if not token:
            try:
                token, refresh_token = _accounts_sign_in(form.get("email", ""), form.get("password", ""))
            except AccountsError as exc:
                return _form(f"Sign-in refused ({exc.status}): {exc.message}", next_url), \
                    401 if exc.status < 500 else 502
        try:
            CubeClient(api_url, token).meta()
        except CubeError as exc:
            return _form(f"The semantic layer refused this token ({exc.status}): {exc.message}", next_url), 401
        except Exception as exc:  # Cube down: say so instead of a stack trace
            return _form(f"The semantic layer could not be reached: {exc.__class__.__name__}", next_url), 502
        response = flask.redirect(next_url)
        response.set_cookie(COOKIE, new_session(token, refresh_token), httponly=True, samesite="Lax")
        return response

    @server.get("/signout")
    def signout():
        with _LOCK:
            ended = _SESSIONS.pop(flask.request.cookies.get(COOKIE, ""), None)
        if ended and ended.refresh_token:
            try:  # revokes the session's refresh token and the access token at the accounts service
                AccountsClient(server.config[ACCOUNTS_URL_KEY], ended.token).logout(ended.refresh_token)
            except AccountsError:
                pass  # signed out here either way; the access token expires within minutes
        response = flask.redirect("/signin")
        response.delete_cookie(COOKIE)
        return response

    @server.teardown_request
    def end_bearer_session(_exc):
        if flask.g.get("bearer_session"):
            end_session(flask.g.bearer_session)

    @server.before_request
    def require_session():
        path = flask.request.path
        if path.startswith(("/signin", "/signout", "/assets/", "/_dash-component-suites/", "/vendor/", "/_favicon")):
            return None
        if current_token():
            return None
        if path.startswith("/export/") and (bearer := _bearer_export_session(api_url)):
            flask.g.bearer_session = bearer
            return None
        if path.startswith(("/_dash", "/export/")):
            return flask.jsonify({"error": "not signed in"}), 401
        full = flask.request.full_path.rstrip("?")
        return flask.redirect(f"/signin?next={quote(full, safe='')}")
