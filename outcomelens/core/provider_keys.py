"""Provider API keys (OpenAI, Anthropic, Gemini), encrypted at rest with Fernet in ops.provider_keys.

The key they are encrypted with is the keyring's master key (outcomelens/core/keyring.py). Keys are
never returned whole: listings show provider, name, created_at and the last 4 characters.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Callable

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from outcomelens.core import keyring
from outcomelens.core.warehouse import transaction

PROVIDERS = ("openai", "anthropic", "gemini")


class ProviderKeyError(ValueError):
    pass


@dataclass(frozen=True)
class ProviderKeyInfo:
    provider: str
    name: str
    created_at: datetime
    last4: str

    def public(self) -> dict:
        return {"provider": self.provider, "name": self.name, "created_at": self.created_at.isoformat(), "last4": self.last4}


class ProviderKeyStore:
    """`connect` opens a warehouse connection (each operation closes its own); `fernet_key` defaults to
    the keyring's master key."""

    def __init__(self, connect: Callable[[], object], fernet_key: bytes | None = None):
        self._connect = connect
        self._fernet: Fernet | MultiFernet = Fernet(fernet_key) if fernet_key else keyring.fernet()

    def add(self, provider: str, name: str, api_key: str) -> ProviderKeyInfo:
        if provider not in PROVIDERS:
            raise ProviderKeyError(f"provider must be one of {', '.join(PROVIDERS)}, got {provider!r}")
        if not api_key or len(api_key) < 8:
            raise ProviderKeyError("api_key is empty or too short")
        if not name:
            raise ProviderKeyError("name is empty")
        with transaction(self._connect) as conn, conn.cursor() as cur:
            cur.execute(
                "insert into ops.provider_keys (provider, name, ciphertext, last4) values (%s, %s, %s, %s) "
                "on conflict (provider, name) do update set ciphertext = excluded.ciphertext, "
                "last4 = excluded.last4, created_at = now() returning created_at",
                (provider, name, self._fernet.encrypt(api_key.encode()).decode(), api_key[-4:]),
            )
            created_at = cur.fetchone()[0]
        return ProviderKeyInfo(provider, name, created_at, api_key[-4:])

    def list(self) -> list[ProviderKeyInfo]:
        with transaction(self._connect) as conn, conn.cursor() as cur:
            cur.execute("select provider, name, created_at, last4 from ops.provider_keys order by provider, name")
            return [ProviderKeyInfo(*row) for row in cur.fetchall()]

    def remove(self, provider: str, name: str) -> bool:
        with transaction(self._connect) as conn, conn.cursor() as cur:
            cur.execute("delete from ops.provider_keys where provider = %s and name = %s", (provider, name))
            return cur.rowcount > 0

    def secret(self, provider: str, name: str) -> str:
        """The decrypted key, for the usage sources only; never print or log it."""
        with transaction(self._connect) as conn, conn.cursor() as cur:
            cur.execute("select ciphertext from ops.provider_keys where provider = %s and name = %s", (provider, name))
            row = cur.fetchone()
        if row is None:
            raise ProviderKeyError(f"no {provider} key named {name!r}")
        try:
            return self._fernet.decrypt(row[0].encode()).decode()
        except InvalidToken:
            raise ProviderKeyError(
                f"the master key cannot decrypt this key ({keyring.MASTER_KEY_ENV} changed?)"
            ) from None
