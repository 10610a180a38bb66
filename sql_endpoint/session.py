"""One client connection: its principal, its catalog connection, and how each statement is answered.

A statement naming a view is translated to one Cube query (translate.py) and answered by Cube with
the user's token; a statement over Postgres's catalog alone (or none: `SET`, `SHOW`, `select
version()`) goes to the role's catalog database (catalog.py). Nothing else is answered.
"""

from __future__ import annotations

import datetime as dt
import re

import psycopg2
import requests
import sqlglot
from buenavista.core import QueryResult, Session
from sqlglot import exp
from sqlglot.errors import ParseError

from sql_endpoint import translate
from sql_endpoint.catalog import Catalogs
from sql_endpoint.cube import CubeClient
from sql_endpoint.errors import PROGRAM_LIMIT_EXCEEDED, SqlError, unsupported
from sql_endpoint.model import View, views_from_meta
from sql_endpoint.principal import Accounts, Principal

PG_OIDS = {"text": 25, "bigint": 20, "double precision": 701, "boolean": 16, "timestamp without time zone": 1114}
_WRITES = (
    exp.Insert,
    exp.Update,
    exp.Delete,
    exp.Merge,
    exp.Create,
    exp.Drop,
    exp.Alter,
    exp.TruncateTable,
    exp.Copy,
    exp.Grant,
)
_PARAMETER = re.compile(r"'(?:[^']|'')*'|\$(\d+)")
_NUMBER = re.compile(r"-?\d+(\.\d+)?([eE][-+]?\d+)?")
_NUMERIC_OIDS = {20, 21, 23, 700, 701, 1700}


class TextResult(QueryResult):
    """Rows as Postgres text, with each column's type OID; `rows()` resumes where a portal stopped."""

    def __init__(self, columns: list[tuple[str, int]] | None, rows: list[list[str | None]], status: str = ""):
        super().__init__()
        self.columns = columns
        self._rows = iter(rows)
        self._status = status

    def has_results(self) -> bool:
        return self.columns is not None

    def column_count(self) -> int:
        return len(self.columns or [])

    def column(self, index: int):
        return self.columns[index]

    def rows(self):
        return self._rows

    def status(self) -> str:
        return self._status


def _text(value, pg_type: str) -> str | None:
    """A Cube JSON value as Postgres writes a value of `pg_type` in text."""
    if value is None:
        return None
    if pg_type == "bigint":
        return str(int(float(value))) if not isinstance(value, int) else str(value)
    if pg_type == "double precision":
        number = float(value)
        # Postgres writes a whole float8 without a fraction ("125", not Python's "125.0").
        return str(int(number)) if number.is_integer() and abs(number) < 1e15 else repr(number)
    if pg_type == "boolean":
        return "t" if value in (True, "true", "t", 1, "1") else "f"
    if pg_type == "timestamp without time zone":
        return dt.datetime.fromisoformat(str(value).rstrip("Z")).isoformat(sep=" ")
    return str(value)


def bind_parameters(sql: str, params: list | None, oids: list[int] | None = None) -> str:
    """`$n` placeholders (extended protocol) replaced by the bound values as SQL literals."""
    if not params:
        return sql
    oids = oids or [0] * len(params)

    def literal(match: re.Match) -> str:
        if match.group(1) is None:
            return match.group(0)  # a quoted string: left alone
        index = int(match.group(1)) - 1
        value = params[index]
        if value is None:
            return "NULL"
        text = str(value)
        if (isinstance(value, (int, float)) or oids[index] in _NUMERIC_OIDS) and _NUMBER.fullmatch(text):
            return text
        return "'" + text.replace("'", "''") + "'"

    return _PARAMETER.sub(literal, sql)


class CubeSession(Session):
    """The buenavista Session of one connection."""

    def __init__(self, cube_api_url: str, accounts_url: str, catalogs: Catalogs):
        super().__init__()
        self.http = requests.Session()
        self.cube = CubeClient(cube_api_url, self.http)
        self.accounts = Accounts(accounts_url, self.http)
        self.catalogs = catalogs
        self.principal: Principal | None = None
        self.views: dict[str, View] = {}
        self.catalog = None

    # --- authentication ----------------------------------------------------------------------

    def authenticate(self, user: str, password: str) -> None:
        principal = self.accounts.sign_in(user, password)
        try:
            meta = self.cube.meta(principal.token)
        except SqlError as refused:
            self.accounts.sign_out(principal)
            raise SqlError(refused.sqlstate, refused.message, fatal=True) from None
        self.views = views_from_meta(meta)
        database = self.catalogs.ensure(principal.role, self.views)
        self.catalog = self.catalogs.connect(database, application_name=f"outcomelens-sql {principal.role}")
        self.principal = principal

    def in_transaction(self) -> bool:
        if self.catalog is None:
            return False
        return self.catalog.get_transaction_status() in (
            psycopg2.extensions.TRANSACTION_STATUS_INTRANS,
            psycopg2.extensions.TRANSACTION_STATUS_INERROR,
        )

    def close(self) -> None:
        if self.principal is not None:
            self.accounts.sign_out(self.principal)
        if self.catalog is not None:
            self.catalog.close()
        self.http.close()

    # --- statements --------------------------------------------------------------------------

    def execute_sql(self, sql: str, params=None, oids: list[int] | None = None) -> QueryResult:
        sql = bind_parameters(sql, params, oids)
        try:
            statements = [s for s in sqlglot.parse(sql, read="postgres") if s is not None]
        except ParseError:
            return self._unparsed(sql)
        if not statements:
            return TextResult(None, [], "")
        semantic = [s for s in statements if translate.semantic_tables(s)]
        if not semantic:
            for statement in statements:
                if isinstance(statement, _WRITES):
                    raise unsupported(f"{statement.key.upper()} (a write)", "the SQL endpoint is read-only")
            return self._catalog(sql)
        if len(statements) > 1:
            raise unsupported("several statements in one query over views", "send them one at a time")
        statement = statements[0]
        if any(translate.is_catalog_table(t) for t in statement.find_all(exp.Table)):
            raise unsupported("a query over both a view and Postgres's catalog")
        return self._semantic(statement)

    def _unparsed(self, sql: str) -> QueryResult:
        # Catalog queries of psql and the BI tools use syntax sqlglot may not know; they go to
        # Postgres, unless they name a view (which only Cube answers).
        for name in self.views:
            if re.search(rf"\b{re.escape(name)}\b", sql, re.IGNORECASE):
                raise unsupported(
                    "a statement over a view that the endpoint cannot read",
                    "see the supported SQL in sql_endpoint/README.md",
                )
        return self._catalog(sql)

    def _catalog(self, sql: str) -> QueryResult:
        try:
            with self.catalog.cursor() as cur:
                cur.execute(sql)
                if cur.description is None:
                    return TextResult(None, [], cur.statusmessage or "")
                columns = [(d.name, d.type_code) for d in cur.description]
                return TextResult(columns, [list(row) for row in cur.fetchall()], cur.statusmessage or "")
        except psycopg2.Error as error:
            message = error.diag.message_primary or str(error).strip()
            raise SqlError(error.pgcode or "XX000", message) from None

    def _semantic(self, statement: exp.Expression) -> QueryResult:
        translation = translate.translate(statement, self.views)
        self.principal = self.accounts.fresh(self.principal)
        answer = self.cube.load(translation.query, self.principal.token)
        data = answer.get("data", [])
        if not translation.limit_given and len(data) >= translate.MAX_ROWS:
            raise SqlError(PROGRAM_LIMIT_EXCEEDED, f"the answer has more than {translate.MAX_ROWS} rows: add a LIMIT")
        columns = translation.columns
        rows = [[_text(row.get(c.key), c.pg_type) for c in columns] for row in data]
        return TextResult([(c.name, PG_OIDS[c.pg_type]) for c in columns], rows)
