"""Provider API keys (OpenAI, Anthropic, Gemini), encrypted at rest with Fernet in Postgres.

The master key comes from OUTCOMELENS_MASTER_KEY or a 0600 file in the data directory, created on
first use. Keys are never returned whole: listings show provider, name, created_at and the last 4
characters.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Callable

from cryptography.fernet import Fernet, InvalidToken

MASTER_KEY_ENV = "OUTCOMELENS_MASTER_KEY"
PROVIDERS = ("openai", "anthropic", "gemini")

DDL = """
create schema if not exists ops;
create table if not exists ops.provider_keys (
    provider text not null,
    name text not null,
    ciphertext text not null,
    last4 text not null,
    created_at timestamptz not null default now(),
    primary key (provider, name)
);
"""


class ProviderKeyError(ValueError):
    pass


def master_key(data_dir: Path) -> bytes:
    if os.environ.get(MASTER_KEY_ENV):
        return os.environ[MASTER_KEY_ENV].encode()
    path = data_dir / "secrets" / "master_key"
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as handle:
                handle.write(Fernet.generate_key())
        except FileExistsError:
            pass
    return path.read_bytes().strip()


@dataclass(frozen=True)
class ProviderKeyInfo:
    provider: str
    name: str
    created_at: datetime
    last4: str

    def public(self) -> dict:
        return {"provider": self.provider, "name": self.name, "created_at": self.created_at.isoformat(), "last4": self.last4}


class ProviderKeyStore:
    def __init__(self, connect: Callable[[], object], fernet_key: bytes):
        self._connect = connect
        self._fernet = Fernet(fernet_key)

    def _conn(self):
        conn = self._connect()
        with conn.cursor() as cur:
            cur.execute("select to_regclass('ops.provider_keys')")
            if cur.fetchone()[0] is None:
                cur.execute(DDL)
        conn.commit()
        return conn

    def add(self, provider: str, name: str, api_key: str) -> ProviderKeyInfo:
        if provider not in PROVIDERS:
            raise ProviderKeyError(f"provider must be one of {', '.join(PROVIDERS)}, got {provider!r}")
        if not api_key or len(api_key) < 8:
            raise ProviderKeyError("api_key is empty or too short")
        if not name:
            raise ProviderKeyError("name is empty")
        conn = self._conn()
        try:
            with conn.cursor() as cur:
                cur.execute(
                    "insert into ops.provider_keys (provider, name, ciphertext, last4) values (%s, %s, %s, %s) "
                    "on conflict (provider, name) do update set ciphertext = excluded.ciphertext, "
                    "last4 = excluded.last4, created_at = now() returning created_at",
                    (provider, name, self._fernet.encrypt(api_key.encode()).decode(), api_key[-4:]),
                )
                created_at = cur.fetchone()[0]
            conn.commit()
        finally:
            conn.close()
        return ProviderKeyInfo(provider, name, created_at, api_key[-4:])

    def list(self) -> list[ProviderKeyInfo]:
        conn = self._conn()
        try:
            with conn.cursor() as cur:
                cur.execute("select provider, name, created_at, last4 from ops.provider_keys order by provider, name")
                return [ProviderKeyInfo(*row) for row in cur.fetchall()]
        finally:
            conn.close()

    def remove(self, provider: str, name: str) -> bool:
        conn = self._conn()
        try:
            with conn.cursor() as cur:
                cur.execute("delete from ops.provider_keys where provider = %s and name = %s", (provider, name))
                removed = cur.rowcount > 0
            conn.commit()
        finally:
            conn.close()
        return removed

    def secret(self, provider: str, name: str) -> str:
        """The decrypted key, for the usage sources only; never print or log it."""
        conn = self._conn()
        try:
            with conn.cursor() as cur:
                cur.execute("select ciphertext from ops.provider_keys where provider = %s and name = %s", (provider, name))
                row = cur.fetchone()
        finally:
            conn.close()
        if row is None:
            raise ProviderKeyError(f"no {provider} key named {name!r}")
        try:
            return self._fernet.decrypt(row[0].encode()).decode()
        except InvalidToken:
            raise ProviderKeyError("the master key cannot decrypt this key (OUTCOMELENS_MASTER_KEY changed?)") from None
