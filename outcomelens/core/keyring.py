"""Local secrets of this checkout, created on first use and kept out of git and logs."""

from __future__ import annotations

import os
import secrets as _secrets

from outcomelens.core import paths

CUBE_SECRET_ENV = "CUBEJS_API_SECRET"


def cube_api_secret() -> str:
    """The HS256 secret Cube verifies tokens with: the env var, or one generated for this checkout."""
    if os.environ.get(CUBE_SECRET_ENV):
        return os.environ[CUBE_SECRET_ENV]
    path = paths.subdir("secrets") / "cube_api_secret"
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(_secrets.token_hex(32))
    return path.read_text().strip()
