"""The Postgres wire-protocol endpoint over the semantic layer, end to end: a real accounts service
(uvicorn in a thread) signs the users in, a real Cube (production mode) asks it about every token,
and the endpoint answers psql, psycopg and SQLAlchemy from Cube, over cube_fixtures' synthetic world.

Known truth: each SQL query's answer equals the Cube REST query written here by hand for the same
user; the role table of docs/accounts.md (written out again in test_cube_roles.VIEW_ACCESS); the
synthetic world's conversation count.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import socket
import struct
import subprocess

import psycopg
import psycopg2
import pytest
import requests
import sqlalchemy

from accounts.app import AccountsSettings, create_app
from accounts.manage import add_user, disable
from outcomelens.core import cube_server
from outcomelens.core.cube_server import CubeServer
from outcomelens.core.tokens import ROLES
from outcomelens.core.warehouse import ensure_warehouse
from sql_endpoint.server import SqlEndpoint

from .cube_fixtures import create_contract_tables, load_world, synthetic_world
from .support import serve_in_thread, throwaway_database
from .test_cube_roles import CUSTOMER_MEMBERS, CUSTOMER_ROLES, VIEW_ACCESS

SECRET = "sql-endpoint-secret-" + "s" * 32
PASSWORD = "a long sql endpoint password"
N_CONVERSATIONS = 150
PSQL = shutil.which("psql")
# The measure counting each view's rows: conversations, except in the drill-down and the engagement record.
COUNTS = {view: {"operations_drilldown": "count", "engagement": "page_views"}.get(view, "conversations")
          for view in VIEW_ACCESS}
# What that measure counts in the synthetic world.
EXPECTED_COUNTS = {view: N_CONVERSATIONS for view in VIEW_ACCESS} | {"engagement": sum(
    1 for event in synthetic_world(n_conversations=N_CONVERSATIONS)["engagement"] if event["kind"] == "page_view")}


def email(role: str) -> str:
    return f"{role}@sql.example.com"


pytestmark = pytest.mark.skipif(PSQL is None, reason="psql (the Postgres client) is not installed")


@pytest.fixture(scope="module")
def stack(cube_packages, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("sql")
    with throwaway_database("sql_endpoint") as database:
        load_world(create_contract_tables(database), synthetic_world(n_conversations=N_CONVERSATIONS))
        wh = ensure_warehouse(database.url(hide_password=False))
        for role in ROLES:
            add_user(wh.connect, "test", "setup", email=email(role), name=role, role=role, password=PASSWORD)
        gone, _ = add_user(
            wh.connect, "test", "setup", email="gone@sql.example.com", name="gone", role="admin", password=PASSWORD
        )
        disable(wh.connect, "test", "setup", gone.user_id)
        with serve_in_thread(create_app(AccountsSettings(connect=wh.connect, secret=SECRET))) as accounts_url:
            cube = CubeServer(
                wh,
                SECRET,
                log_path=tmp / "cube.log",
                port=cube_server.free_port(),
                extra_env={"OUTCOMELENS_AUTH_URL": accounts_url},
            )
            with cube:
                endpoint = SqlEndpoint(cube.api_url, accounts_url, wh, port=cube_server.free_port())
                with endpoint:
                    yield {"cube": cube, "accounts": accounts_url, "endpoint": endpoint, "wh": wh}
                endpoint.catalogs.drop_all()


def dsn(stack, role: str, password: str = PASSWORD, user: str | None = None) -> str:
    endpoint = stack["endpoint"]
    return (
        f"host={endpoint.host} port={endpoint.port} dbname=outcomelens user={user or email(role)} "
        f"password='{password}' sslmode=disable"
    )


def token_of(stack, role: str) -> str:
    answer = requests.post(
        f"{stack['accounts']}/v1/auth/login", json={"email": email(role), "password": PASSWORD}, timeout=10
    )
    assert answer.status_code == 200, answer.text
    return answer.json()["access_token"]


def rest(stack, role: str, query: dict) -> list[dict]:
    return stack["cube"].load(query, token_of(stack, role))["data"]


def sql(stack, role: str, text: str, params=None) -> list[tuple]:
    with psycopg.connect(dsn(stack, role)) as conn, conn.cursor() as cur:
        cur.execute(text, params)
        return cur.fetchall()


def psql(stack, role: str, *args: str, password: str = PASSWORD) -> subprocess.CompletedProcess:
    endpoint = stack["endpoint"]
    env = {**os.environ, "PGPASSWORD": password, "PGSSLMODE": "disable"}
    return subprocess.run(
        [
            PSQL,
            "-h",
            endpoint.host,
            "-p",
            str(endpoint.port),
            "-U",
            email(role),
            "-d",
            "outcomelens",
            "-X",
            "-v",
            "ON_ERROR_STOP=1",
            *args,
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def sqlstate_of(stack, role: str, text: str, password: str = PASSWORD, user: str | None = None) -> tuple[str, str]:
    try:
        with psycopg.connect(dsn(stack, role, password, user)) as conn, conn.cursor() as cur:
            cur.execute(text)
            rows = cur.fetchall()
    except psycopg.Error as error:
        return error.sqlstate, str(error)
    raise AssertionError(f"{text!r} answered {rows[:3]} instead of an error")


def as_floats(rows) -> list[tuple]:
    return [tuple(float(v) if isinstance(v, (int, float, str)) and _is_number(v) else v for v in row) for row in rows]


def _is_number(value) -> bool:
    try:
        float(value)
        return True
    except (TypeError, ValueError):
        return False


# --- answers equal Cube's ------------------------------------------------------------------------


def test_a_measure_by_a_dimension_equals_cube_rest(stack):
    got = sql(
        stack,
        "product_manager",
        "select variant, measure(conversion_rate), sum(revenue) from experiments group by variant order by variant",
    )
    want = rest(
        stack,
        "product_manager",
        {
            "measures": ["experiments.conversion_rate", "experiments.revenue"],
            "dimensions": ["experiments.variant"],
            "order": [["experiments.variant", "asc"]],
        },
    )
    assert got == [
        (r["experiments.variant"], float(r["experiments.conversion_rate"]), float(r["experiments.revenue"]))
        for r in want
    ]
    assert {row[0] for row in got} == {"control", "treatment"}


def test_a_filtered_measure_equals_cube_rest_and_the_worlds_count(stack):
    got = sql(
        stack,
        "enablement",
        "select intent, sum(conversations) from standard_reports "
        "where variant = 'treatment' and intent in ('buy', 'support') group by 1 order by 1",
    )
    want = rest(
        stack,
        "enablement",
        {
            "measures": ["standard_reports.conversations"],
            "dimensions": ["standard_reports.intent"],
            "filters": [
                {"member": "standard_reports.variant", "operator": "equals", "values": ["treatment"]},
                {"member": "standard_reports.intent", "operator": "equals", "values": ["buy", "support"]},
            ],
            "order": [["standard_reports.intent", "asc"]],
        },
    )
    assert got == [(r["standard_reports.intent"], float(r["standard_reports.conversations"])) for r in want]
    assert [row[0] for row in got] == ["buy", "support"]
    ((total,),) = sql(stack, "enablement", "select measure(conversations) from standard_reports")
    assert total == N_CONVERSATIONS


def test_by_week_with_a_date_range_equals_cube_rest(stack):
    got = sql(
        stack,
        "enablement",
        "select date_trunc('week', date_day) as week, measure(conversations) "
        "from standard_reports where date_day >= %s and date_day < '2025-03-10' "
        "group by week order by week",
        ("2025-03-02",),
    )
    want = rest(
        stack,
        "enablement",
        {
            "measures": ["standard_reports.conversations"],
            "timeDimensions": [
                {
                    "dimension": "standard_reports.date_day",
                    "granularity": "week",
                    "dateRange": ["2025-03-02T00:00:00.000", "2025-03-09T23:59:59.999"],
                }
            ],
            "order": [["standard_reports.date_day", "asc"]],
        },
    )
    assert [(w.isoformat(), n) for w, n in got] == [
        (r["standard_reports.date_day.week"].replace(".000", ""), int(r["standard_reports.conversations"]))
        for r in want
    ]
    assert [w.weekday() for w, _ in got] == [0, 0]  # weeks start on Monday: Feb 24 (for Mar 2) and Mar 3
    world = synthetic_world(n_conversations=N_CONVERSATIONS)["conversations"]
    in_range = sum(dt.date(2025, 3, 2) <= c["date_day"] <= dt.date(2025, 3, 9) for c in world)
    assert sum(n for _, n in got) == in_range
    ((between,),) = sql(
        stack,
        "enablement",
        "select measure(conversations) from standard_reports where date_day between '2025-03-02' and '2025-03-09'",
    )
    assert between == in_range


def test_ordered_and_limited_equals_cube_rest_over_psql(stack):
    answer = psql(
        stack,
        "engineer",
        "-A",
        "-t",
        "-F",
        "|",
        "-c",
        "select llm_model, measure(llm_calls) as calls from model_health "
        "group by 1 order by calls desc limit 2 offset 1",
    )
    assert answer.returncode == 0, answer.stderr
    want = rest(
        stack,
        "engineer",
        {
            "measures": ["model_health.llm_calls"],
            "dimensions": ["model_health.llm_model"],
            "order": [["model_health.llm_calls", "desc"]],
            "limit": 2,
            "offset": 1,
        },
    )
    assert answer.stdout.split() == [f"{r['model_health.llm_model']}|{r['model_health.llm_calls']}" for r in want]
    assert len(want) == 2


# --- the role matrix ---------------------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
def test_each_role_lists_and_queries_exactly_its_views(stack, role):
    listed = psql(stack, role, "-A", "-t", "-c", r"\dt")
    assert listed.returncode == 0, listed.stderr
    tables = {line.split("|")[1] for line in listed.stdout.split()}
    assert tables == {view for view, roles in VIEW_ACCESS.items() if role in roles}
    with psycopg.connect(dsn(stack, role)) as conn:
        for view in VIEW_ACCESS:
            columns = [
                c
                for (c,) in conn.execute(
                    "select column_name from information_schema.columns where table_name = %s", (view,)
                )
            ]
            customer = {m.split(".", 1)[1] for m in CUSTOMER_MEMBERS if m.startswith(view + ".")}
            if role not in VIEW_ACCESS[view]:
                assert columns == []
                state, message = sqlstate_of(stack, role, f"select measure({COUNTS[view]}) from {view}")
                assert state == "42501" and f"{view}.{COUNTS[view]}" in message, (role, view, message)
                continue
            if role in CUSTOMER_ROLES:
                assert customer <= set(columns)
            else:
                assert not customer & set(columns), (role, view)
                for field in customer:
                    state, message = sqlstate_of(
                        stack, role, f"select {field}, measure({COUNTS[view]}) from {view} group by 1"
                    )
                    assert state == "42501" and f"{view}.{field}" in message, (role, field, message)
            ((count,),) = conn.execute(f"select measure({COUNTS[view]}) from {view}").fetchall()
            assert count == EXPECTED_COUNTS[view], (role, view)


def test_describe_shows_a_views_columns_with_types(stack):
    described = psql(stack, "operations", "-c", r"\d operations_drilldown")
    assert described.returncode == 0, described.stderr
    lines = {
        line.split("|")[0].strip(): line.split("|")[1].strip()
        for line in described.stdout.splitlines()
        if line.count("|") >= 2
    }
    assert lines["customer_ref"] == "text"
    assert lines["count"] == "bigint"  # a count measure
    assert lines["revenue"] == "double precision"
    assert lines["started_at"] == "timestamp without time zone"


def test_sqlalchemy_inspector_lists_the_views_and_columns(stack):
    endpoint = stack["endpoint"]
    url = sqlalchemy.engine.URL.create(
        "postgresql+psycopg2",
        username=email("prompt_engineer"),
        password=PASSWORD,
        host=endpoint.host,
        port=endpoint.port,
        database="outcomelens",
    )
    engine = sqlalchemy.create_engine(url, poolclass=sqlalchemy.pool.NullPool)
    try:
        inspector = sqlalchemy.inspect(engine)
        assert set(inspector.get_table_names()) == {
            "experiments",
            "prompt_variants",
            "model_health",
            "standard_reports",
        }
        columns = {c["name"]: c["type"] for c in inspector.get_columns("experiments")}
        assert isinstance(columns["variant"], sqlalchemy.String)
        assert isinstance(columns["conversations"], sqlalchemy.Float)  # a sum of the daily counts
        assert isinstance(columns["conversion_rate"], sqlalchemy.Float)
        with engine.connect() as conn:  # a chart's query, as a BI tool's SQLAlchemy layer sends it
            rows = conn.execute(
                sqlalchemy.text(
                    "select variant, measure(conversations) as n from experiments where variant = :v group by variant"
                ),
                {"v": "control"},
            ).all()
        want = rest(
            stack,
            "prompt_engineer",
            {
                "measures": ["experiments.conversations"],
                "dimensions": ["experiments.variant"],
                "filters": [{"member": "experiments.variant", "operator": "equals", "values": ["control"]}],
            },
        )
        assert [tuple(r) for r in rows] == [("control", int(want[0]["experiments.conversations"]))]
    finally:
        engine.dispose()


# --- refusals ----------------------------------------------------------------------------------


def startup_error(stack, user: str, password: str) -> dict[str, str]:
    """The fields of the ErrorResponse answering a sign-in (libpq shows its text only, not its SQLSTATE)."""
    endpoint = stack["endpoint"]
    with socket.create_connection((endpoint.host, endpoint.port), timeout=30) as sock:
        body = struct.pack("!i", 196608) + b"user\0" + user.encode() + b"\0database\0outcomelens\0\0"
        sock.sendall(struct.pack("!i", len(body) + 4) + body)
        kind, length = struct.unpack("!ci", sock.recv(5))
        assert (kind, struct.unpack("!i", sock.recv(length - 4))[0]) == (b"R", 3)  # cleartext password, please
        sock.sendall(b"p" + struct.pack("!i", len(password) + 5) + password.encode() + b"\0")
        reply = b""
        while chunk := sock.recv(4096):
            reply += chunk
    assert reply[:1] == b"E", reply[:50]
    fields = reply[5:].rstrip(b"\0").split(b"\0")
    return {f[:1].decode(): f[1:].decode() for f in fields if f}


def test_bad_password_unknown_and_disabled_users_are_refused(stack):
    for user, password in [
        (email("admin"), "not the password"),
        ("nobody@sql.example.com", PASSWORD),
        ("gone@sql.example.com", PASSWORD),
    ]:
        fields = startup_error(stack, user, password)
        assert (fields["S"], fields["C"]) == ("FATAL", "28P01"), (user, fields)
        assert "password authentication failed" in fields["M"]
        with pytest.raises(psycopg.OperationalError, match="password authentication failed"):
            psycopg.connect(dsn(stack, "admin", password, user)).close()
    refused = psql(stack, "admin", "-c", "select 1", password="wrong again")
    assert refused.returncode != 0 and "password authentication failed" in refused.stderr


def test_an_access_token_works_as_a_personal_sql_password(stack):
    token = token_of(stack, "engineer")
    rows = sql_with(stack, "anyone", token, "select measure(llm_calls) from model_health")
    assert rows == [
        (int(rest(stack, "engineer", {"measures": ["model_health.llm_calls"]})[0]["model_health.llm_calls"]),)
    ]
    fields = startup_error(stack, "anyone", token[:-4] + "AAAA")
    assert fields["C"] == "28P01" and "token" in fields["M"]


def sql_with(stack, user: str, password: str, text: str) -> list[tuple]:
    with psycopg.connect(dsn(stack, "", password, user)) as conn:
        return conn.execute(text).fetchall()


@pytest.mark.parametrize(
    "text, construct",
    [
        (
            "select e.variant, measure(s.conversations) from experiments e join standard_reports s "
            "on e.variant = s.variant group by 1",
            "JOIN",
        ),
        ("select measure(conversations) from (select * from experiments) t", "subquery"),
        (
            "select measure(conversations) from experiments where variant in (select variant from standard_reports)",
            "subquery",
        ),
        ("insert into experiments (variant) values ('x')", "INSERT"),
        ("delete from experiments", "DELETE"),
        ("select variant from experiments", "row-level read"),
        ("select measure(conversions) / measure(conversations) from experiments", "expression"),
        ("select sum(conversion_rate) from experiments", "SUM(conversion_rate)"),
        (
            "select variant, measure(conversations) from experiments group by 1 union "
            "select variant, measure(conversations) from standard_reports group by 1",
            "UNION",
        ),
    ],
)
def test_what_cannot_be_translated_is_refused_naming_the_construct(stack, text, construct):
    state, message = sqlstate_of(stack, "admin", text)
    assert state == "0A000" and construct in message, message


def test_catalog_writes_are_refused_too(stack):
    state, message = sqlstate_of(stack, "admin", "create table pg_temp.x (a int)")
    assert state == "0A000", message


def test_psycopg2_simple_protocol_and_transactions(stack):
    with psycopg2.connect(dsn(stack, "admin")) as conn, conn.cursor() as cur:  # BEGIN … implicitly
        cur.execute(
            "select intent, measure(conversations) from outcomes_overview where intent is not null "
            "group by 1 order by 2 desc, 1"
        )
        rows = cur.fetchall()
    assert sum(n for _, n in rows) == N_CONVERSATIONS and len(rows) == 3


def test_session_statements_over_the_extended_protocol(stack):
    with psycopg.connect(dsn(stack, "admin"), autocommit=True) as conn:
        conn.execute("set application_name = 'notebook'")
        assert conn.execute("show application_name").fetchone() == ("notebook",)
        assert conn.execute("select current_schema()").fetchone() == ("public",)
