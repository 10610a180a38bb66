"""One keyring for every secret of this checkout: a master key, and what is derived from or encrypted
with it.

The master key is `OUTCOMELENS_MASTER_KEY`, or else one 0600 file in the data directory
(`secrets/master_key`), created on first use. It is a Fernet key: provider API keys and alert webhooks
are encrypted with it at rest; the HS256 secret Cube verifies tokens with is derived from it (HKDF), so
nothing else secret is stored. `CUBEJS_API_SECRET`, when set, still names the Cube secret directly.
"""

from __future__ import annotations

import base64
import os
from pathlib import Path

from cryptography.fernet import Fernet, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from outcomelens.core import paths

MASTER_KEY_ENV = "OUTCOMELENS_MASTER_KEY"
CUBE_SECRET_ENV = "CUBEJS_API_SECRET"
MASTER_KEY_FILE = "master_key"
# Alert webhooks had a key file of their own before the keyring; rows it encrypted still decrypt.
LEGACY_KEY_FILES = ("alert_webhooks.key",)


class KeyringError(ValueError):
    pass


def secrets_dir() -> Path:
    path = paths.subdir("secrets")
    path.chmod(0o700)
    return path


def _create_once(path: Path, content: bytes) -> None:
    """Write a new 0600 file unless one exists; a concurrent creator wins and its key is kept."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return
    with os.fdopen(fd, "wb") as handle:
        handle.write(content)


def master_key() -> bytes:
    """The Fernet key everything secret hangs off: the environment's, or this checkout's file."""
    if os.environ.get(MASTER_KEY_ENV):
        key = os.environ[MASTER_KEY_ENV].strip().encode()
    else:
        path = secrets_dir() / MASTER_KEY_FILE
        _create_once(path, Fernet.generate_key())
        key = path.read_bytes().strip()
    try:
        Fernet(key)
    except ValueError:
        raise KeyringError(f"{MASTER_KEY_ENV} must be a Fernet key (32 url-safe base64-encoded bytes)") from None
    return key


def fernet() -> MultiFernet:
    """Encrypts with the master key; also decrypts what the legacy key files encrypted."""
    legacy = [secrets_dir() / name for name in LEGACY_KEY_FILES]
    keys = [master_key()] + [path.read_bytes().strip() for path in legacy if path.exists()]
    return MultiFernet([Fernet(key) for key in keys])


def derive(purpose: str, length: int = 32) -> bytes:
    """A secret for one purpose, derived from the master key: the same key gives the same secret."""
    hkdf = HKDF(algorithm=hashes.SHA256(), length=length, salt=None, info=f"outcomelens/{purpose}".encode())
    return hkdf.derive(base64.urlsafe_b64decode(master_key()))


def cube_api_secret() -> str:
    """The HS256 secret Cube verifies tokens with: `CUBEJS_API_SECRET`, or derived from the master key."""
    if os.environ.get(CUBE_SECRET_ENV):
        return os.environ[CUBE_SECRET_ENV]
    return derive("cube-api-secret").hex()
