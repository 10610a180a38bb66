import uuid

import pytest

from outcomelens.core.warehouse import Warehouse, WarehouseError


def test_url_with_socket_directory_round_trips_through_dlt_form():
    wh = Warehouse(host="/data/pg", port=5432, user="postgres", password="", database="outcomelens")
    assert wh.dlt_credentials() == "postgresql://postgres:outcomelens@%2Fdata%2Fpg:5432/outcomelens"
    back = Warehouse.from_url(wh.dlt_credentials())
    assert (back.host, back.port, back.database, back.user) == ("/data/pg", 5432, "outcomelens", "postgres")


def test_libpq_style_host_query_parameter():
    wh = Warehouse.from_url("postgresql://postgres:@/postgres?host=/tmp/pg&port=5433")
    assert (wh.host, wh.port, wh.database) == ("/tmp/pg", 5433, "postgres") and wh.is_socket
    assert Warehouse.from_url(wh.url()) == wh


def test_password_hidden_in_display_url():
    wh = Warehouse.from_url("postgresql://app:s3cr%40t@db.example.com:6543/analytics")
    assert wh.password == "s3cr@t"
    assert "s3cr" not in wh.url() and "***" in wh.url()
    assert wh.env()["OUTCOMELENS_PG_PORT"] == "6543"


def test_bad_scheme_names_the_variable():
    with pytest.raises(WarehouseError, match="OUTCOMELENS_WAREHOUSE_URL"):
        Warehouse.from_url("mysql://root@localhost/db")


def test_connection_commits_and_closes(local_postgres):
    wh = local_postgres
    table = f"ol_conn_{uuid.uuid4().hex[:8]}"
    try:
        with wh.connection() as conn, conn.cursor() as cur:
            cur.execute(f"create table {table} (x int); insert into {table} values (1)")
        assert conn.closed
        with wh.connection() as other, other.cursor() as cur:
            cur.execute(f"select x from {table}")
            assert cur.fetchall() == [(1,)]
    finally:
        with wh.connection() as conn, conn.cursor() as cur:
            cur.execute(f"drop table if exists {table}")


def test_connection_rolls_back_and_closes_on_error(local_postgres):
    wh = local_postgres
    table = f"ol_conn_{uuid.uuid4().hex[:8]}"
    with pytest.raises(RuntimeError), wh.connection() as conn:
        with conn.cursor() as cur:
            cur.execute(f"create table {table} (x int)")
        raise RuntimeError("the unit of work failed")
    assert conn.closed
    with wh.connection() as other, other.cursor() as cur:
        cur.execute("select to_regclass(%s)", (table,))
        assert cur.fetchone() == (None,)


def test_analyze_gives_freshly_loaded_tables_their_statistics_and_skips_absent_ones(local_postgres):
    wh = local_postgres
    schema = f"ol_an_{uuid.uuid4().hex[:8]}"
    try:
        with wh.connection() as conn, conn.cursor() as cur:
            cur.execute(f"create schema {schema}; create table {schema}.calls (model text)")
            cur.execute(f"insert into {schema}.calls select 'm' || (i % 3) from generate_series(1, 5000) i")
            cur.execute(f"create view {schema}.calls_view as select * from {schema}.calls")
        assert wh.analyze(schema, ["calls", "calls_view", "never_loaded"]) == ["calls"]
        with wh.connection() as conn, conn.cursor() as cur:
            # what the planner now knows: the row count and the column's 3 distinct values
            cur.execute("select reltuples from pg_class where oid = %s::regclass", (f"{schema}.calls",))
            assert cur.fetchone() == (5000,)
            cur.execute("select n_distinct from pg_stats where schemaname = %s and tablename = 'calls'", (schema,))
            assert cur.fetchone() == (3,)
    finally:
        with wh.connection() as conn, conn.cursor() as cur:
            cur.execute(f"drop schema if exists {schema} cascade")
