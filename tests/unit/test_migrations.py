"""Versioned migrations of the product's tables: applied once, in order, in one transaction."""

import uuid

import psycopg2
import pytest

from outcomelens.core import migrations
from outcomelens.core.warehouse import Warehouse, ensure_warehouse

# 0003 (readouts) was withdrawn before any release; 0005 removes what older checkouts' asset created.
SHIPPED = [("0001", "ops"), ("0002", "insights"), ("0004", "accounts"), ("0005", "drop_readouts"),
           ("0006", "raw_projects_and_load_ids"), ("0007", "governance"), ("0008", "experiments"),
           ("0009", "experiment_statistics"), ("0010", "saved_views"), ("0011", "report_schedules"),
           ("0012", "hubspot_sync_requests"), ("0013", "experiment_statistics_srm_cuped")]
PRODUCT_TABLES = {
    "ops.ingestion_keys", "ops.provider_keys", "ops.alerts", "ops.alert_deliveries", "ops.alert_webhooks",
    "insights.forecasts", "insights.anomalies", "ops.users", "ops.refresh_tokens", "ops.revoked_tokens",
    "ops.service_tokens", "ops.login_failures", "ops.audit_log", "ops.hubspot_sync_requests",
    "ops.hubspot_connection", "ops.engagement_events", "ops.revoked_subjects",
    "ops.experiments", "ops.experiment_variants", "insights.experiment_statistics",
    "ops.saved_views", "ops.report_schedules", "ops.slack_connection",
}


def _postgres_available() -> bool:
    try:
        psycopg2.connect(host="127.0.0.1", port=5432, user="postgres", dbname="postgres", connect_timeout=3).close()
        return True
    except psycopg2.OperationalError:
        return False


@pytest.fixture
def fresh_db():
    if not _postgres_available():
        pytest.skip("no local Postgres at 127.0.0.1:5432")
    name = f"ol_migrations_{uuid.uuid4().hex[:8]}"
    admin = psycopg2.connect(host="127.0.0.1", port=5432, user="postgres", dbname="postgres")
    admin.autocommit = True
    with admin.cursor() as cur:
        cur.execute(f'create database "{name}"')
    try:
        yield Warehouse(host="127.0.0.1", port=5432, user="postgres", password="", database=name)
    finally:
        with admin.cursor() as cur:
            cur.execute(f'drop database if exists "{name}" with (force)')
        admin.close()


def _tables(wh: Warehouse) -> set[str]:
    with wh.connection() as conn, conn.cursor() as cur:
        cur.execute("select table_schema || '.' || table_name from information_schema.tables "
                    "where table_schema in ('ops', 'insights', 'readouts')")
        return {row[0] for row in cur.fetchall()}


def test_shipped_migrations_are_numbered_in_order():
    shipped = migrations.available()
    assert [(m.version, m.name) for m in shipped] == SHIPPED


def test_ensuring_the_warehouse_applies_every_migration_once(fresh_db):
    wh = ensure_warehouse(fresh_db.url(hide_password=False))
    assert _tables(wh) == PRODUCT_TABLES | {"ops.schema_migrations"}
    with wh.connection() as conn:
        with conn.cursor() as cur:
            cur.execute("insert into ops.alerts (alert_id, source, dedup_key, severity, title, payload) "
                        "values ('a1', 'anomaly', 'k', 'warning', 't', '{}')")
        assert migrations.apply(conn) == []  # nothing pending: nothing runs again
    with wh.connection() as conn, conn.cursor() as cur:
        cur.execute("select version from ops.schema_migrations order by version")
        assert [r[0] for r in cur.fetchall()] == [version for version, _ in SHIPPED]
        cur.execute("select alert_id from ops.alerts")
        assert cur.fetchall() == [("a1",)]


def test_tables_created_before_migrations_existed_are_adopted(fresh_db):
    with fresh_db.connection() as conn, conn.cursor() as cur:
        cur.execute("create schema ops; create table ops.ingestion_keys (key_id text primary key, project text not null, "
                    "name text not null, key_hash text not null unique, created_at timestamptz not null default now(), "
                    "revoked_at timestamptz); insert into ops.ingestion_keys values ('k1', 'shop', 'old', 'h', now(), null)")
    with fresh_db.connection() as conn:
        assert migrations.apply(conn) == [version for version, _ in SHIPPED]
    with fresh_db.connection() as conn, conn.cursor() as cur:
        cur.execute("select key_id from ops.ingestion_keys")
        assert cur.fetchall() == [("k1",)]


def test_raw_tables_of_an_older_checkout_get_project_and_load_id(fresh_db):
    # as older loaders left them: Arrow loads without _dlt_load_id, calls without a project
    with fresh_db.connection() as conn, conn.cursor() as cur:
        cur.execute("create schema raw; create table raw.llm_calls (event_id varchar not null, latency_ms double precision);"
                    "insert into raw.llm_calls values ('e1', 1.0), ('e2', 2.0);"
                    "create table raw.hubspot_deals (id varchar not null, _dlt_load_id varchar not null);"
                    "insert into raw.hubspot_deals values ('d1', '1700000000.1')")
    with fresh_db.connection() as conn:
        migrations.apply(conn)  # ops.ingestion_keys is empty: old rows go to project `default`
    with fresh_db.connection() as conn, conn.cursor() as cur:
        cur.execute("select event_id, project, ingestion_key_id, _dlt_load_id from raw.llm_calls order by 1")
        assert cur.fetchall() == [("e1", "default", None, None), ("e2", "default", None, None)]
        cur.execute("select id, _dlt_load_id from raw.hubspot_deals")
        assert cur.fetchall() == [("d1", "1700000000.1")]
        cur.execute("select is_nullable from information_schema.columns where table_schema = 'raw' "
                    "and table_name = 'llm_calls' and column_name = 'project'")
        assert cur.fetchall() == [("NO",)]


def test_a_failing_migration_leaves_nothing_behind(fresh_db, monkeypatch):
    good = migrations.Migration("0001", "good", "create schema ops; create table ops.good (x int);")
    bad = migrations.Migration("0002", "bad", "create table ops.bad (x no_such_type);")
    monkeypatch.setattr(migrations, "available", lambda: [good, bad])
    with fresh_db.connection() as conn, pytest.raises(psycopg2.Error):
        migrations.apply(conn)
    assert _tables(fresh_db) == set()
