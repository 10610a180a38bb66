"""User management as admins do it, through the API or the CLI: each change and its audit event in
one transaction. `connect` returns a new psycopg2 connection; `actor` and `source` say who and from where.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping

from accounts import audit, users
from accounts.passwords import one_time_password
from accounts.sessions import revoke_user_sessions
from outcomelens.core.warehouse import transaction

ADMIN_EMAIL_ENV = "OUTCOMELENS_FIRST_ADMIN_EMAIL"
ADMIN_PASSWORD_ENV = "OUTCOMELENS_FIRST_ADMIN_PASSWORD"
DEFAULT_ADMIN_EMAIL = "admin@localhost"
Connect = Callable[[], object]


def list_users(connect: Connect) -> list[users.User]:
    with transaction(connect) as conn, conn.cursor() as cur:
        return users.list_users(cur)


def add_user(connect: Connect, actor: str, source: str, *, email: str, name: str, role: str,
             password: str | None = None) -> tuple[users.User, str | None]:
    """The new user and, when no password was given, the one-time password made for them."""
    generated = None if password else one_time_password()
    with transaction(connect) as conn, conn.cursor() as cur:
        user = users.add_user(cur, email, name, role, password or generated)
        audit.record(cur, actor, "user.add", target=user.user_id, source=source, email=user.email, role=role)
    return user, generated


def set_role(connect: Connect, actor: str, source: str, user_ref: str, role: str) -> users.User:
    with transaction(connect) as conn, conn.cursor() as cur:
        before = users.find_user(cur, user_ref)
        user = users.set_role(cur, before.user_id, role)
        audit.record(cur, actor, "user.set_role", target=user.user_id, source=source, before=before.role, after=role)
    return user


def disable(connect: Connect, actor: str, source: str, user_ref: str) -> users.User:
    """Disabled: refresh tokens revoked now; access tokens refused by the verifier from now on
    (by Cube once its cache of at most 30 s has expired)."""
    with transaction(connect) as conn, conn.cursor() as cur:
        user = users.set_status(cur, users.find_user(cur, user_ref).user_id, "disabled")
        revoked = revoke_user_sessions(cur, user.user_id)
        audit.record(cur, actor, "user.disable", target=user.user_id, source=source, sessions_revoked=revoked)
    return user


def reset_password(connect: Connect, actor: str, source: str, user_ref: str,
                   password: str | None = None) -> tuple[users.User, str | None]:
    """A new password (the one-time one made when none is given); every session must sign in again."""
    generated = None if password else one_time_password()
    with transaction(connect) as conn, conn.cursor() as cur:
        user = users.find_user(cur, user_ref)
        users.set_password(cur, user.user_id, password or generated)
        revoke_user_sessions(cur, user.user_id)
        audit.record(cur, actor, "user.reset_password", target=user.user_id, source=source)
    return user, generated


def ensure_first_admin(connect: Connect, env: Mapping[str, str] = os.environ) -> users.User | None:
    """The first admin from OUTCOMELENS_FIRST_ADMIN_EMAIL / OUTCOMELENS_FIRST_ADMIN_PASSWORD, created when
    that email has no user yet; None when they are not set or the user exists."""
    email, password = env.get(ADMIN_EMAIL_ENV), env.get(ADMIN_PASSWORD_ENV)
    if not email or not password:
        return None
    with transaction(connect) as conn, conn.cursor() as cur:
        if users.credentials(cur, email) is not None:
            return None
    user, _ = add_user(connect, "setup", "environment", email=email, name="Administrator", role="admin",
                       password=password)
    return user


def first_admin_at_setup(connect: Connect, env: Mapping[str, str] = os.environ) -> tuple[users.User, str | None] | None:
    """What `outcomelens up` does before the accounts service starts: the admin of the environment
    (no password to show), or, when no active admin exists yet, one with a one-time password (shown
    once by the caller); None when there is an admin already."""
    from_env = ensure_first_admin(connect, env)
    if from_env is not None:
        return from_env, None
    with transaction(connect) as conn, conn.cursor() as cur:
        if users.count_admins(cur) > 0:
            return None
    return add_user(connect, "setup", "setup", email=env.get(ADMIN_EMAIL_ENV) or DEFAULT_ADMIN_EMAIL,
                    name="Administrator", role="admin")
