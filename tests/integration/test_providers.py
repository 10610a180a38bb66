"""Provider keys encrypted in Postgres (CLI and admin API), and the usage sources against local mocks."""

from __future__ import annotations

import pytest
import requests
from cryptography.fernet import Fernet

from ingestion.sources.anthropic import anthropic_usage_source
from ingestion.sources.openai import openai_usage_source
from ingestion.sources.provider_usage import run_usage
from outcomelens.core.provider_keys import ProviderKeyStore
from outcomelens.core.tokens import ADMIN_AUDIENCE, mint_token
from tests.integration.support import query, running_collector
from tests.mocks.providers import DAY, MockAnthropicUsage, MockOpenAIUsage

SECRET = "provider-test-secret-0123456789abcdef"
OPENAI_KEY = "sk-admin-openai-test-key-9f3a"
ANTHROPIC_KEY = "sk-ant-admin01-test-key-77b1"
D1 = 1_772_323_200  # 2026-03-01T00:00:00Z


@pytest.fixture(scope="module")
def env(exported_warehouse, cli, tmp_path_factory):
    master = Fernet.generate_key()
    cli.env["OUTCOMELENS_MASTER_KEY"] = master.decode()
    store = ProviderKeyStore(exported_warehouse.connect, master)
    yield {"wh": exported_warehouse, "tmp": tmp_path_factory.mktemp("providers"), "store": store, "cli": cli}


def test_cli_keeps_provider_keys_encrypted_and_never_prints_them(env):
    wh, cli = env["wh"], env["cli"]
    added = cli("keys", "provider", "add", "openai", input=OPENAI_KEY + "\n")
    listed = cli("keys", "provider", "list", check=False)
    assert "openai" in listed.stdout and "9f3a" in listed.stdout
    for output in (added.stdout + added.stderr, listed.stdout + listed.stderr):
        assert OPENAI_KEY not in output and OPENAI_KEY[:-4] not in output
    (ciphertext,) = query(wh, "select ciphertext from ops.provider_keys where provider = 'openai'")[0]
    assert OPENAI_KEY not in ciphertext
    assert env["store"].secret("openai", "default") == OPENAI_KEY
    bad = cli("keys", "provider", "add", "mistral", input="x" * 20 + "\n", check=False)
    assert bad.returncode != 0 and "openai, anthropic, gemini" in bad.stdout + bad.stderr


def test_admin_api_requires_an_admin_jwt_and_hides_keys(env):
    with running_collector(env["wh"], env["tmp"], admin_secret=SECRET, provider_keys=env["store"]) as collector:
        endpoint = collector.url + "/v1/admin/provider-keys"
        body = {"provider": "anthropic", "name": "default", "api_key": ANTHROPIC_KEY}
        assert requests.post(endpoint, json=body, timeout=10).status_code == 401
        engineer = mint_token("engineer", SECRET)
        assert requests.post(endpoint, json=body, headers={"Authorization": f"Bearer {engineer}"}, timeout=10).status_code == 403
        forged = mint_token("admin", "some-other-secret-0123456789abcdef")
        assert requests.get(endpoint, headers={"Authorization": f"Bearer {forged}"}, timeout=10).status_code == 401
        admin = {"Authorization": f"Bearer {mint_token('admin', SECRET, aud=ADMIN_AUDIENCE)}"}
        created = requests.post(endpoint, json=body, headers=admin, timeout=10)
        assert created.status_code == 201 and created.json()["last4"] == "77b1"
        listing = requests.get(endpoint, headers=admin, timeout=10)
        assert ANTHROPIC_KEY not in listing.text
        assert {(k["provider"], k["last4"]) for k in listing.json()} >= {("anthropic", "77b1")}
        assert requests.delete(endpoint + "/anthropic/nope", headers=admin, timeout=10).status_code == 404
    env["store"].add("anthropic", "default", ANTHROPIC_KEY)


def test_openai_usage_buckets_paged_and_incremental(env):
    buckets = {
        D1: [{"model": "gpt-4o-mini", "input_tokens": 1000, "input_cached_tokens": 800, "output_tokens": 500, "num_model_requests": 5},
             {"model": "gpt-4o", "input_tokens": 300, "input_cached_tokens": 0, "output_tokens": 90, "num_model_requests": 2}],
        D1 + DAY: [{"model": "gpt-4o-mini", "input_tokens": 10, "input_cached_tokens": 0, "output_tokens": 5, "num_model_requests": 1}],
        D1 + 2 * DAY: [{"model": "gpt-4o-mini", "input_tokens": 20, "input_cached_tokens": 5, "output_tokens": 7, "num_model_requests": 1}],
    }
    key = env["store"].secret("openai", "default")
    with MockOpenAIUsage(OPENAI_KEY, buckets) as mock:
        def run():
            return run_usage(str(env["tmp"] / "dlt"), [openai_usage_source(api_key=key, base_url=mock.url, start_time=D1)])

        run()
        assert [r.query.get("page") is not None for r in mock.requests] == [False, True]  # paged by next_page
        got = query(env["wh"], "select model, extract(epoch from bucket_start)::bigint, input_tokens, cached_input_tokens, "
                              "output_tokens, num_requests from raw.provider_usage where provider = 'openai' order by 2, 1")
        assert got == [("gpt-4o", D1, 300, 0, 90, 2), ("gpt-4o-mini", D1, 1000, 800, 500, 5),
                       ("gpt-4o-mini", D1 + DAY, 10, 0, 5, 1), ("gpt-4o-mini", D1 + 2 * DAY, 20, 5, 7, 1)]
        # Today's bucket grows and a new day starts: the next run asks from the last bucket on.
        buckets[D1 + 2 * DAY][0].update(input_tokens=50, output_tokens=17, num_model_requests=3)
        buckets[D1 + 3 * DAY] = [{"model": "gpt-4o", "input_tokens": 1, "input_cached_tokens": 0, "output_tokens": 1, "num_model_requests": 1}]
        mock.requests.clear()
        run()
        assert int(mock.requests[0].query["start_time"]) == D1 + 2 * DAY
    got = query(env["wh"], "select count(*), sum(input_tokens), sum(num_requests) from raw.provider_usage where provider = 'openai'")
    assert got == [(5, 300 + 1000 + 10 + 50 + 1, 2 + 5 + 1 + 3 + 1)]


def test_anthropic_usage_report(env):
    buckets = {
        D1: [{"model": "claude-sonnet-4-5", "uncached_input_tokens": 400, "cache_read_input_tokens": 1200,
              "cache_creation": {"ephemeral_5m_input_tokens": 100, "ephemeral_1h_input_tokens": 0}, "output_tokens": 250}],
        D1 + DAY: [{"model": "claude-haiku-4-5", "uncached_input_tokens": 50, "cache_read_input_tokens": 0,
                    "cache_creation": {"ephemeral_5m_input_tokens": 0, "ephemeral_1h_input_tokens": 10}, "output_tokens": 20}],
        D1 + 2 * DAY: [],
    }
    key = env["store"].secret("anthropic", "default")
    with MockAnthropicUsage(ANTHROPIC_KEY, buckets) as mock:
        run_usage(str(env["tmp"] / "dlt"), [anthropic_usage_source(api_key=key, base_url=mock.url,
                                                                   starting_at="2026-03-01T00:00:00Z")])
        assert len(mock.requests) == 2 and mock.requests[1].query["page"]
    got = query(env["wh"], "select model, input_tokens, cached_input_tokens, cache_creation_input_tokens, output_tokens "
                          "from raw.provider_usage where provider = 'anthropic' order by bucket_start")
    assert got == [("claude-sonnet-4-5", 1700, 1200, 100, 250), ("claude-haiku-4-5", 60, 0, 10, 20)]
