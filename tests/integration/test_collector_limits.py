"""Limits enforced while reading: credentials before any body, sizes while it streams in.

Each case was a finding against the collector: a 199 KiB gzip that inflated to 200 MiB was accepted;
40 MiB without credentials was read before the CSV upload, the admin API and the webhook refused it;
invalid deflate data answered 500; the CSV upload had no byte cap.
"""

from __future__ import annotations

import gzip
import http.client
import json
import time
import zlib

import pytest
import requests

from ingestion.collector.app import MAX_BODY_BYTES, MAX_CSV_BYTES, CollectorSettings, create_app
from ingestion.collector.csv_upload import MAX_CSV_ROWS
from ingestion.collector.keys import create_key
from ingestion.sources.spool import Spool
from outcomelens.core.tokens import ADMIN_AUDIENCE, mint_token
from tests.integration.support import assert_docs_served_locally, serve_in_thread, throwaway_database

ADMIN_SECRET = "limits-admin-secret-" + "a" * 24
CALL = {"event_id": "e1", "occurred_at": "2026-03-01T12:00:00Z", "conversation_id": "c1", "llm_model": "m",
        "llm_provider": "openai", "latency_ms": 10.0, "status": "ok"}


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("limits")
    with throwaway_database("ol_limits") as wh:
        conn = wh.connect()
        _, key = create_key(conn, "shop", "tests")
        conn.close()
        settings = CollectorSettings(spool_dir=str(tmp / "spool"), connect=wh.connect, admin_secret=ADMIN_SECRET,
                                     hubspot_app_secret="hubspot-app-secret")
        with serve_in_thread(create_app(settings)) as url:
            yield {"url": url, "auth": {"Authorization": f"Bearer {key}"}, "spool": Spool(tmp / "spool"),
                   "connect": wh.connect}


def spooled(env) -> int:
    return sum(len(env["spool"].ready(table)) for table in env["spool"].tables())


def test_a_gzip_bomb_is_refused_while_it_inflates(env):
    bomb = gzip.compress(b"[" + b" " * (200 * 1024 * 1024) + b"]", compresslevel=9)
    assert len(bomb) < 250 * 1024
    before = spooled(env)
    response = requests.post(f"{env['url']}/v1/llm-calls", data=bomb, timeout=60,
                             headers={**env["auth"], "Content-Type": "application/json", "Content-Encoding": "gzip"})
    assert response.status_code == 413, response.text
    assert str(MAX_BODY_BYTES) in response.json()["detail"]
    assert spooled(env) == before


@pytest.mark.parametrize("encoding, body", [("deflate", b"this is not deflate"), ("gzip", b"\x1f\x8b\x08garbage"),
                                            ("gzip", gzip.compress(json.dumps([CALL]).encode())[:-12])])
def test_invalid_compressed_data_is_a_400(env, encoding, body):
    response = requests.post(f"{env['url']}/v1/llm-calls", data=body, timeout=10,
                             headers={**env["auth"], "Content-Type": "application/json", "Content-Encoding": encoding})
    assert response.status_code == 400, response.text
    assert "gzip/deflate" in response.json()["detail"]


def test_deflate_bodies_are_accepted(env):
    response = requests.post(f"{env['url']}/v1/llm-calls", data=zlib.compress(json.dumps([CALL]).encode()), timeout=10,
                             headers={**env["auth"], "Content-Type": "application/json", "Content-Encoding": "deflate"})
    assert response.status_code == 202, response.text
    assert response.json()["accepted"] == 1


BIG = 40 * 1024 * 1024


def post_first_megabyte(url: str, path: str, content_type: str) -> tuple[int, float]:
    """Announce a 40 MiB body, send 1 MiB of it, and wait for the answer: a server that reads the
    body before checking credentials would wait for the other 39 MiB instead of answering."""
    host, port = url.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=10)
    started = time.monotonic()
    conn.putrequest("POST", path)
    conn.putheader("Content-Type", content_type)
    conn.putheader("Content-Length", str(BIG))
    conn.endheaders()
    try:
        conn.send(b"x" * (1024 * 1024))
    except (BrokenPipeError, ConnectionResetError):
        pass  # the server answered and closed before even this megabyte was sent
    status = conn.getresponse().status
    conn.close()
    return status, time.monotonic() - started


@pytest.mark.parametrize("path, content_type", [
    ("/v1/llm-calls", "application/json"),
    ("/v1/outcomes/csv", "multipart/form-data; boundary=x"),
    ("/v1/admin/provider-keys", "application/json"),
])
def test_no_credentials_no_body_read(env, path, content_type):
    status, seconds = post_first_megabyte(env["url"], path, content_type)
    assert status in (401, 413)
    assert seconds < 4


def test_no_credentials_is_401_when_the_size_is_allowed(env):
    response = requests.post(f"{env['url']}/v1/llm-calls", json=[CALL], timeout=10)
    assert response.status_code == 401
    assert response.json()["detail"] == "missing or invalid ingestion key"


@pytest.mark.parametrize("path, limit", [("/v1/outcomes/csv", MAX_CSV_BYTES), ("/v1/llm-calls", MAX_BODY_BYTES),
                                         ("/v1/webhooks/hubspot", 1024 * 1024)])
def test_declared_sizes_over_the_limit_are_413_before_reading(env, path, limit):
    response = requests.post(f"{env['url']}{path}", data=b"x" * (limit + 1), timeout=30,
                             headers={**env["auth"], "Content-Type": "text/csv"})
    assert response.status_code == 413, response.text
    assert str(limit) in response.json()["detail"]


def test_a_chunked_body_without_length_is_cut_at_the_limit(env):
    def chunks():
        yield (b'--x\r\nContent-Disposition: form-data; name="file"; filename="big.csv"\r\n'
               b"Content-Type: text/csv\r\n\r\nexperiment_id,metric_name,metric_value,timestamp\n")
        for _ in range(MAX_CSV_BYTES // (1024 * 1024) + 2):
            yield b"exp,refund_rate,0.1,2026-03-01T00:00:00Z\n" * (1024 * 1024 // 40)

    files_body = chunks()
    response = requests.post(f"{env['url']}/v1/outcomes/csv", data=files_body, timeout=60,
                             headers={**env["auth"], "Content-Type": "multipart/form-data; boundary=x"})
    assert response.status_code == 413, response.text


def test_admin_api_refuses_other_roles_before_the_body(env):
    token = mint_token("product_manager", ADMIN_SECRET)
    response = requests.post(f"{env['url']}/v1/admin/provider-keys", timeout=10,
                             json={"provider": "openai", "api_key": "sk-" + "x" * 20},
                             headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 403, response.text
    admin = mint_token("admin", ADMIN_SECRET, aud=ADMIN_AUDIENCE)
    listed = requests.get(f"{env['url']}/v1/admin/provider-keys", headers={"Authorization": f"Bearer {admin}"}, timeout=10)
    assert listed.status_code in (200, 503), listed.text


CSV_HEADER = "experiment_id,metric_name,metric_value,timestamp\n"


def upload(env, text: str) -> requests.Response:
    return requests.post(f"{env['url']}/v1/outcomes/csv", headers=env["auth"], timeout=60,
                         files={"file": ("metrics.csv", text.encode(), "text/csv")})


def test_a_csv_cell_over_the_csv_modules_limit_is_a_400_naming_the_line(env):
    response = upload(env, CSV_HEADER + "exp,nps,1,2026-03-01T00:00:00Z\n" + "exp,nps,1," + "x" * (200 * 1024) + "\n")
    assert response.status_code == 400, response.text
    assert response.json()["detail"].startswith("CSV line 3")


def test_a_csv_over_the_row_cap_is_413(env):
    response = upload(env, CSV_HEADER + "e,nps,1,2026-03-01T00:00:00Z\n" * (MAX_CSV_ROWS + 1))
    assert response.status_code == 413, response.text
    assert str(MAX_CSV_ROWS) in response.json()["detail"]


def test_a_spool_that_cannot_be_written_is_a_503_never_a_202(env, tmp_path):
    """A full or failing disk: nothing is acknowledged that is not on disk, and the client is told to retry."""
    broken = tmp_path / "spool"
    broken.mkdir()
    (broken / "llm_calls").write_text("a file where the table's folder should be")
    settings = CollectorSettings(spool_dir=str(broken), connect=env["connect"])
    with serve_in_thread(create_app(settings)) as url:
        response = requests.post(f"{url}/v1/llm-calls", json=[CALL], headers=env["auth"], timeout=10)
    assert response.status_code == 503, response.text
    assert response.headers["Retry-After"] == "5"


@pytest.mark.parametrize("path, content_type", [
    ("/v1/llm-calls", "application/x-www-form-urlencoded"),
    ("/v1/feedback", "text/xml"),
    ("/v1/traces", "text/csv"),
])
def test_a_wrong_content_type_is_415_naming_what_is_accepted(env, path, content_type):
    before = spooled(env)
    response = requests.post(f"{env['url']}{path}", data=json.dumps([CALL]), timeout=10,
                             headers={**env["auth"], "Content-Type": content_type})
    assert response.status_code == 415, response.text
    detail = response.json()["detail"]
    assert content_type in detail and "application/json" in detail
    assert spooled(env) == before


def test_ndjson_and_an_absent_content_type_are_accepted(env):
    line = json.dumps({**CALL, "event_id": "ndjson-1"}).encode()
    typed = requests.post(f"{env['url']}/v1/llm-calls", data=line + b"\n", timeout=10,
                          headers={**env["auth"], "Content-Type": "application/x-ndjson"})
    untyped = requests.post(f"{env['url']}/v1/llm-calls", data=json.dumps({**CALL, "event_id": "bare-1"}).encode(),
                            timeout=10, headers=env["auth"])  # requests sends no Content-Type for bytes
    assert (typed.status_code, typed.json()["accepted"]) == (202, 1)
    assert (untyped.status_code, untyped.json()["accepted"]) == (202, 1)


def test_api_docs_load_their_assets_from_the_collector(env):
    assert_docs_served_locally(env["url"])
