"""Sign-in with a pasted token, kept server-side; the browser holds only a random session id.

Until the accounts API exists, a person signs in by pasting a JWT (e.g. from `outcomelens token`).
It is checked against Cube's /v1/meta before it is accepted, then kept in this process's memory
under a random id set as an HttpOnly cookie: page scripts never see it, and every Cube request
made on the user's behalf carries it as the Bearer token. The PDF renderer signs its headless
browser in with the same id.
"""

from __future__ import annotations

import html
import secrets
import threading
from urllib.parse import quote, urlparse

import flask

from dashboard.cube import CubeClient, CubeError

COOKIE = "outcomelens_session"
_SESSIONS: dict[str, str] = {}
_LOCK = threading.Lock()


def new_session(token: str) -> str:
    session_id = secrets.token_urlsafe(32)
    with _LOCK:
        _SESSIONS[session_id] = token
    return session_id


def token_for(session_id: str | None) -> str | None:
    with _LOCK:
        return _SESSIONS.get(session_id or "")


def current_token() -> str | None:
    return token_for(flask.request.cookies.get(COOKIE))


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
<h1>OutcomeLens</h1><p>Paste your access token (a JWT, e.g. from
<code>outcomelens token --role product_manager</code>). It is checked with the semantic layer and
kept on the server for this session only.</p>{message}
<form method="post" action="/signin"><input type="hidden" name="next" value="{html.escape(next_url)}">
<label for="token">Access token</label>
<textarea id="token" name="token" rows="5" required spellcheck="false"></textarea>
<button type="submit" id="signin-submit">Sign in</button></form></main></body></html>"""


def register(server: flask.Flask, api_url: str) -> None:
    """The /signin and /signout routes, and the guard that sends anyone without a session there."""

    @server.get("/signin")
    def signin_page():
        return _form(next_url=_safe_next(flask.request.args.get("next")))

    @server.post("/signin")
    def signin_submit():
        token = (flask.request.form.get("token") or "").strip()
        if token.lower().startswith("bearer "):
            token = token[7:].strip()
        next_url = _safe_next(flask.request.form.get("next"))
        try:
            CubeClient(api_url, token).meta()
        except CubeError as exc:
            return _form(f"The semantic layer refused this token ({exc.status}): {exc.message}", next_url), 401
        except Exception as exc:  # Cube down: say so instead of a stack trace
            return _form(f"The semantic layer could not be reached: {exc.__class__.__name__}", next_url), 502
        response = flask.redirect(next_url)
        response.set_cookie(COOKIE, new_session(token), httponly=True, samesite="Lax")
        return response

    @server.get("/signout")
    def signout():
        with _LOCK:
            _SESSIONS.pop(flask.request.cookies.get(COOKIE, ""), None)
        response = flask.redirect("/signin")
        response.delete_cookie(COOKIE)
        return response

    @server.before_request
    def require_session():
        path = flask.request.path
        if path.startswith(("/signin", "/signout", "/assets/", "/_dash-component-suites/", "/_favicon")):
            return None
        if current_token():
            return None
        if path.startswith(("/_dash", "/export/")):
            return flask.jsonify({"error": "not signed in"}), 401
        full = flask.request.full_path.rstrip("?")
        return flask.redirect(f"/signin?next={quote(full, safe='')}")
