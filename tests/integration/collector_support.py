"""Shared pieces for the collector tests: a throwaway database, a real uvicorn server in a thread."""

from __future__ import annotations

import os
import threading
import time
import uuid
from contextlib import contextmanager

import psycopg2
import pytest
import uvicorn

from outcomelens.core.cube_server import free_port
from outcomelens.core.warehouse import Warehouse, ensure_warehouse

PG_HOST = os.environ.get("OUTCOMELENS_TEST_PG_HOST", "127.0.0.1")
PG_PORT = int(os.environ.get("OUTCOMELENS_TEST_PG_PORT", "5432"))


def local_postgres_or_skip() -> None:
    try:
        psycopg2.connect(host=PG_HOST, port=PG_PORT, user="postgres", dbname="postgres", connect_timeout=3).close()
    except psycopg2.OperationalError:
        pytest.skip("no local Postgres at 127.0.0.1:5432")


@contextmanager
def throwaway_warehouse(prefix: str):
    """A fresh database with the product's tables migrated, exported to dlt's environment for the
    duration; dropped afterwards."""
    local_postgres_or_skip()
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    admin = psycopg2.connect(host=PG_HOST, port=PG_PORT, user="postgres", dbname="postgres")
    admin.autocommit = True
    with admin.cursor() as cur:
        cur.execute(f'create database "{name}"')
    # Ensured as every process ensures its warehouse at start: the pending migrations are applied.
    wh = ensure_warehouse(Warehouse(host=PG_HOST, port=PG_PORT, user="postgres", password="", database=name).url(hide_password=False))
    saved = {key: os.environ.get(key) for key in wh.env()}
    wh.export_env()
    try:
        yield wh
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        with admin.cursor() as cur:
            cur.execute(f'drop database if exists "{name}" with (force)')
        admin.close()


@contextmanager
def serve_in_thread(app):
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", access_log=False))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def scalar(wh: Warehouse, sql: str, params=()):
    conn = wh.connect()
    try:
        with conn.cursor() as cur:
            cur.execute(sql, params)
            return cur.fetchone()[0]
    finally:
        conn.close()


def rows(wh: Warehouse, sql: str, params=()):
    conn = wh.connect()
    try:
        with conn.cursor() as cur:
            cur.execute(sql, params)
            return cur.fetchall()
    finally:
        conn.close()
