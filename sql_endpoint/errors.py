"""Errors the endpoint answers with a Postgres SQLSTATE, so clients show them as the server's own."""

from __future__ import annotations

FEATURE_NOT_SUPPORTED = "0A000"
INSUFFICIENT_PRIVILEGE = "42501"
INVALID_PASSWORD = "28P01"
UNDEFINED_COLUMN = "42703"
GROUPING_ERROR = "42803"
SYNTAX_ERROR = "42601"
PROGRAM_LIMIT_EXCEEDED = "54000"
INVALID_PARAMETER_VALUE = "22023"
CONNECTION_FAILURE = "08006"
INTERNAL_ERROR = "XX000"


class SqlError(Exception):
    """An error for the client: `sqlstate` and a message naming what was wrong."""

    def __init__(self, sqlstate: str, message: str, *, fatal: bool = False):
        super().__init__(message)
        self.sqlstate = sqlstate
        self.message = message
        self.fatal = fatal  # the connection ends after it (failed authentication)


def unsupported(construct: str, hint: str = "") -> SqlError:
    tail = f"; {hint}" if hint else ""
    return SqlError(FEATURE_NOT_SUPPORTED, f"{construct} is not supported over the semantic layer{tail}")
