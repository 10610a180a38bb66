"""Users (ops.users): email, name, role (one of the six), status, created, last seen, argon2 hash.

Each function takes a cursor and runs in the caller's transaction, so a change and its audit event
commit together.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

import psycopg2.errors

from accounts.passwords import hash_password
from outcomelens.core.tokens import ROLES

STATUSES = ("active", "disabled")
_COLUMNS = "user_id, email, name, role, status, created_at, last_seen_at"


class UserError(ValueError):
    """A request about users that cannot be done (unknown user or role, taken email)."""


@dataclass(frozen=True)
class User:
    user_id: str
    email: str
    name: str
    role: str
    status: str
    created_at: datetime
    last_seen_at: datetime | None

    def public(self) -> dict:
        return {"user_id": self.user_id, "email": self.email, "name": self.name, "role": self.role,
                "status": self.status, "created_at": self.created_at.isoformat(),
                "last_seen_at": self.last_seen_at.isoformat() if self.last_seen_at else None}


def check_role(role: str) -> str:
    if role not in ROLES:
        raise UserError(f"unknown role {role!r}; expected one of {', '.join(ROLES)}")
    return role


def add_user(cur, email: str, name: str, role: str, password: str) -> User:
    email = email.strip()
    if "@" not in email:
        raise UserError(f"not an email address: {email!r}")
    password_hash = hash_password(password)
    cur.execute("savepoint add_user")
    try:
        cur.execute(
            f"insert into ops.users (user_id, email, name, role, password_hash) values (%s, %s, %s, %s, %s)"
            f" returning {_COLUMNS}",
            (uuid.uuid4().hex, email, name, check_role(role), password_hash),
        )
    except psycopg2.errors.UniqueViolation:
        cur.execute("rollback to savepoint add_user")
        raise UserError(f"a user with the email {email!r} exists") from None
    return User(*cur.fetchone())


def list_users(cur) -> list[User]:
    cur.execute(f"select {_COLUMNS} from ops.users order by created_at, email")
    return [User(*row) for row in cur.fetchall()]


def get_user(cur, user_id: str) -> User:
    cur.execute(f"select {_COLUMNS} from ops.users where user_id = %s", (user_id,))
    row = cur.fetchone()
    if row is None:
        raise UserError(f"no user {user_id!r}")
    return User(*row)


def find_user(cur, user_ref: str) -> User:
    """A user by id or by email (what the CLI is given)."""
    cur.execute(f"select {_COLUMNS} from ops.users where user_id = %s or lower(email) = lower(%s)", (user_ref, user_ref))
    row = cur.fetchone()
    if row is None:
        raise UserError(f"no user {user_ref!r}")
    return User(*row)


def credentials(cur, email: str) -> tuple[User, str | None] | None:
    """The user with this email and their password hash, or None."""
    cur.execute(f"select {_COLUMNS}, password_hash from ops.users where lower(email) = lower(%s)", (email.strip(),))
    row = cur.fetchone()
    return None if row is None else (User(*row[:-1]), row[-1])


def set_role(cur, user_id: str, role: str) -> User:
    cur.execute(f"update ops.users set role = %s where user_id = %s returning {_COLUMNS}", (check_role(role), user_id))
    row = cur.fetchone()
    if row is None:
        raise UserError(f"no user {user_id!r}")
    return User(*row)


def set_status(cur, user_id: str, status: str) -> User:
    cur.execute(f"update ops.users set status = %s where user_id = %s returning {_COLUMNS}", (status, user_id))
    row = cur.fetchone()
    if row is None:
        raise UserError(f"no user {user_id!r}")
    return User(*row)


def set_password(cur, user_id: str, password: str) -> None:
    cur.execute("update ops.users set password_hash = %s where user_id = %s", (hash_password(password), user_id))
    if cur.rowcount == 0:
        raise UserError(f"no user {user_id!r}")


def touch(cur, user_id: str) -> None:
    cur.execute("update ops.users set last_seen_at = now() where user_id = %s", (user_id,))


def count_admins(cur) -> int:
    cur.execute("select count(*) from ops.users where role = 'admin' and status = 'active'")
    return cur.fetchone()[0]


def sign_in_external(cur, email: str, name: str, role: str) -> User:
    """The user an external identity provider vouched for, created without a password on first
    sign-in; the provider's role replaces the stored one each time (it is the source of truth)."""
    cur.execute(
        f"""insert into ops.users as u (user_id, email, name, role) values (%s, %s, %s, %s)
            on conflict (lower(email)) do update set role = excluded.role,
                name = case when excluded.name <> '' then excluded.name else u.name end
            returning {_COLUMNS}""",
        (uuid.uuid4().hex, email.strip(), name, check_role(role)),
    )
    return User(*cur.fetchone())
