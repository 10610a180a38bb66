"""Ingestion keys: per project, stored as sha256 hashes in Postgres (ops.ingestion_keys, created by
the core's migrations).

A key is shown once, when created. It has the form `olk_<key_id>_<secret>`; the key id is
public (it names the key in `list` and `revoke`), the secret is not stored anywhere. Functions take a
connection the caller owns (`with warehouse.connection() as conn:`) and commit their own writes.
"""

from __future__ import annotations

import hashlib
import secrets
import threading
import time
from dataclasses import dataclass
from typing import Callable


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


@dataclass(frozen=True)
class KeyInfo:
    key_id: str
    project: str
    name: str
    created_at: object
    revoked_at: object


def create_key(conn, project: str, name: str = "default") -> tuple[str, str]:
    """Returns (key_id, key); the key itself is never stored."""
    key_id = secrets.token_hex(4)
    key = f"olk_{key_id}_{secrets.token_urlsafe(24)}"
    with conn.cursor() as cur:
        cur.execute(
            "insert into ops.ingestion_keys (key_id, project, name, key_hash) values (%s, %s, %s, %s)",
            (key_id, project, name, hash_key(key)),
        )
    conn.commit()
    return key_id, key


def list_keys(conn) -> list[KeyInfo]:
    with conn.cursor() as cur:
        cur.execute("select key_id, project, name, created_at, revoked_at from ops.ingestion_keys order by created_at")
        return [KeyInfo(*row) for row in cur.fetchall()]


def revoke_key(conn, key_id: str) -> bool:
    with conn.cursor() as cur:
        cur.execute(
            "update ops.ingestion_keys set revoked_at = now() where key_id = %s and revoked_at is null", (key_id,)
        )
        changed = cur.rowcount
    conn.commit()
    return changed > 0


def project_for(conn, key: str) -> str | None:
    with conn.cursor() as cur:
        cur.execute(
            "select project from ops.ingestion_keys where key_hash = %s and revoked_at is null", (hash_key(key),)
        )
        row = cur.fetchone()
    conn.rollback()
    return row[0] if row else None


class KeyVerifier:
    """Checks keys against Postgres, remembering answers briefly so a busy collector does not ask
    the database on every request; a revoked key stops working within `ttl_s`."""

    def __init__(self, connect: Callable[[], object], ttl_s: float = 5.0):
        self._connect = connect
        self._ttl_s = ttl_s
        self._cache: dict[str, tuple[str | None, float]] = {}
        self._lock = threading.Lock()
        self._conn = None

    def project(self, key: str | None) -> str | None:
        if not key:
            return None
        digest = hash_key(key)
        now = time.monotonic()
        cached = self._cache.get(digest)
        if cached and cached[1] > now:
            return cached[0]
        with self._lock:
            try:
                project = self._lookup(key)
            except Exception:
                self._drop_connection()  # reconnect next time
                raise
            if len(self._cache) > 10_000:
                self._cache.clear()
            self._cache[digest] = (project, now + self._ttl_s)
            return project

    def _lookup(self, key: str) -> str | None:
        # One connection kept for the verifier's life, on purpose: a lookup per request must not pay
        # for a new connection. project_for ends its read-only transaction each time.
        if self._conn is None or getattr(self._conn, "closed", 0):
            self._conn = self._connect()
        return project_for(self._conn, key)

    def _drop_connection(self) -> None:
        if self._conn is not None:
            try:
                self._conn.close()
            except Exception:  # noqa: BLE001 — it is being discarded because it already failed
                pass
        self._conn = None
