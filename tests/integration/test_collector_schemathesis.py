"""schemathesis against the collector's own OpenAPI spec, over real HTTP: no request it generates,
valid or not, gets a 5xx.

The collector runs configured as `outcomelens up` runs it (admin secret, provider key store, HubSpot
app secret); every request carries valid credentials for its endpoint (an ingestion key, an admin
token), so the generated bodies reach validation instead of stopping at a 401 (negative cases may
also spoil the credentials: a 401 is an answer too). Positive cases follow the spec, negative ones
break it; EXAMPLES_PER_OPERATION of each per operation keep the run to about 20 CPU-seconds.
"""

from __future__ import annotations

import pytest
import schemathesis
from cryptography.fernet import Fernet
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode

from ingestion.collector.keys import create_key
from outcomelens.core.provider_keys import ProviderKeyStore
from outcomelens.core.tokens import ADMIN_AUDIENCE, mint_token
from tests.integration.support import running_collector

ADMIN_SECRET = "schemathesis-admin-secret-" + "s" * 24
EXAMPLES_PER_OPERATION = 15


@pytest.fixture(scope="module")
def configured(exported_warehouse, tmp_path_factory):
    with exported_warehouse.connection() as conn:
        _, key = create_key(conn, "shop", "schemathesis")
    with running_collector(exported_warehouse, tmp_path_factory.mktemp("schemathesis"), admin_secret=ADMIN_SECRET,
                           hubspot_app_secret="hubspot-app-secret",
                           provider_keys=ProviderKeyStore(exported_warehouse.connect, Fernet.generate_key())) as running:
        yield {"url": running.url, "key": key, "admin": mint_token("admin", ADMIN_SECRET, aud=ADMIN_AUDIENCE)}


def credentials(configured: dict, path: str) -> dict:
    if path.startswith("/v1/admin/"):
        return {"Authorization": f"Bearer {configured['admin']}"}
    return {"Authorization": f"Bearer {configured['key']}"}


# Each operation is driven by its own hypothesis strategy inside the test, not by schemathesis' pytest
# plugin: the plugin's lazy schema (needed for a spec served by a fixture) sets a private attribute
# pytest 9 no longer has.
@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE], ids=lambda mode: mode.value)
def test_no_generated_request_gets_a_server_error(configured, mode):
    spec = schemathesis.openapi.from_url(configured["url"] + "/openapi.json")
    operations = [result.ok() for result in spec.get_all_operations()]
    assert {operation.path for operation in operations} >= {"/v1/llm-calls", "/v1/outcomes/csv", "/v1/traces"}
    driven = []
    for operation in operations:

        @given(case=operation.as_strategy(generation_mode=mode))
        @settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None, database=None,
                  suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
        def no_server_error(case):
            response = case.call(base_url=configured["url"], headers=credentials(configured, case.path), timeout=30)
            assert response.status_code < 500, f"{case.method} {case.path}: {response.status_code} {response.text[:500]}"

        try:
            no_server_error()
        except Unsatisfiable:  # nothing to make invalid (a GET without parameters): no negative cases
            assert mode is GenerationMode.NEGATIVE, operation.path
            continue
        driven.append(operation.path)
    assert "/v1/llm-calls" in driven and "/v1/traces" in driven
