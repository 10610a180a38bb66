"""Ingestion keys: per project, stored as sha256 hashes in Postgres (ops.ingestion_keys, created by
the core's migrations).

A key is shown once, when created. It has the form `olk_<key_id>_<secret>`; the key id is
public (it names the key in `list` and `revoke`), the secret is not stored anywhere. Functions take a
connection the caller owns (`with warehouse.connection() as conn:`) and commit their own writes.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
import threading
import time
from dataclasses import dataclass
from typing import Callable

log = logging.getLogger("outcomelens.collector.keys")


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


@dataclass(frozen=True)
class KeyInfo:
    key_id: str | None  # None: not sent with a key (the CLI upload)
    project: str
    name: str
    created_at: object
    revoked_at: object
    last_used_at: object = None


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
        cur.execute("select key_id, project, name, created_at, revoked_at, last_used_at from ops.ingestion_keys"
                    " order by created_at")
        return [KeyInfo(*row) for row in cur.fetchall()]


def revoke_key(conn, key_id: str) -> bool:
    with conn.cursor() as cur:
        cur.execute(
            "update ops.ingestion_keys set revoked_at = now() where key_id = %s and revoked_at is null", (key_id,)
        )
        changed = cur.rowcount
    conn.commit()
    return changed > 0


@dataclass(frozen=True)
class KeyHolder:
    project: str
    key_id: str | None  # None: not sent with a key (the CLI upload)


def active_keys(conn) -> dict[str, KeyHolder]:
    """Every key that is not revoked, by its hash: a few rows per project, read whole."""
    with conn.cursor() as cur:
        cur.execute("select key_hash, project, key_id from ops.ingestion_keys where revoked_at is null")
        rows = cur.fetchall()
    conn.rollback()
    return {key_hash: KeyHolder(project, key_id) for key_hash, project, key_id in rows}


class KeyVerifier:
    """Checks keys against the set of active keys, read from Postgres at most every `ttl_s` seconds
    (so a revoked key stops working within `ttl_s`, and a busy collector does not ask per request).

    When Postgres cannot be reached, the last set read stays in force: the collector keeps accepting
    records into its spool for the keys it knew, which is what the spool is for. Only a collector that
    has never read the set answers 503 then (KeysUnavailable), never 500.
    """

    def __init__(self, connect: Callable[[], object], ttl_s: float = 5.0):
        self._connect = connect
        self._ttl_s = ttl_s
        self._keys: dict[str, KeyHolder] | None = None
        self._read_at = float("-inf")
        self._lock = threading.Lock()
        self._conn = None
        self._used: set[str] = set()

    def holder(self, key: str | None) -> KeyHolder | None:
        if not key:
            return None
        found = self._current().get(hash_key(key))
        if found is not None:
            self._used.add(found.key_id)  # written as last_used_at at the next refresh
        return found

    def project(self, key: str | None) -> str | None:
        holder = self.holder(key)
        return holder.project if holder else None

    def _current(self) -> dict[str, KeyHolder]:
        if time.monotonic() - self._read_at < self._ttl_s and self._keys is not None:
            return self._keys
        with self._lock:
            if time.monotonic() - self._read_at >= self._ttl_s or self._keys is None:
                self._refresh()
            return self._keys

    def _refresh(self) -> None:
        try:
            if self._conn is None or getattr(self._conn, "closed", 0):
                self._conn = self._connect()
            self._write_last_used()
            self._keys = active_keys(self._conn)
        except Exception as exc:  # noqa: BLE001 — any failure to read means "the warehouse is away"
            self._drop_connection()
            if self._keys is None:
                raise KeysUnavailable("the ingestion keys cannot be read: the warehouse is unreachable") from exc
            log.warning("ingestion keys not refreshed (%s); using the last set read", exc.__class__.__name__)
        # Also after a failure: the next attempt waits ttl_s, so an outage costs one timeout per ttl_s.
        self._read_at = time.monotonic()

    def _write_last_used(self) -> None:
        """One update per refresh (every ttl_s) for the keys used since the last, not one per request."""
        used, self._used = self._used, set()
        if not used:
            return
        try:
            with self._conn.cursor() as cur:
                cur.execute("update ops.ingestion_keys set last_used_at = now() where key_id = any(%s)", (list(used),))
            self._conn.commit()
        except Exception:
            self._used |= used  # tried again at the next refresh
            raise

    def _drop_connection(self) -> None:
        if self._conn is not None:
            try:
                self._conn.close()
            except Exception:  # noqa: BLE001 — it is being discarded because it already failed
                pass
        self._conn = None


class KeysUnavailable(RuntimeError):
    """No key set has been read yet and the warehouse cannot be reached."""
