"""The experiment registry through a real accounts service (uvicorn in a thread) and the real CLI, on a
throwaway database migrated as the product migrates it. Known truth: the roles that may write (admin,
prompt_engineer), the specs this module sends, and the fields each wrong spec names."""

from __future__ import annotations

import os
import subprocess

import pytest
import requests

from accounts.app import AccountsSettings, create_app
from outcomelens.core import paths
from outcomelens.core.tokens import mint_token
from outcomelens.core.warehouse import ensure_warehouse

from .support import query, serve_in_thread, throwaway_database

SECRET = "registry-secret-" + "r" * 32
OUTCOMELENS = str(paths.PROJECT_ROOT / ".venv" / "bin" / "outcomelens")
SPEC = {
    "experiment_id": "exp_sales_prompt",
    "name": "Sales prompt v2",
    "variants": [
        {
            "variant": "control",
            "expected_share": 0.5,
            "is_control": True,
            "prompt_version": "sales_agent.v1",
            "config": {"model": "gpt-4o-mini", "temperature": 0.3},
        },
        {"variant": "treatment", "expected_share": 0.5, "prompt_version": "sales_agent.v2"},
    ],
    "primary_metric": "conversion_rate",
    "guardrail_metrics": ["escalation_rate", "cost_per_conversation"],
    "starts_on": "2026-05-05",
}


@pytest.fixture(scope="module")
def service():
    with throwaway_database("registry") as database:
        wh = ensure_warehouse(database.url(hide_password=False))
        with serve_in_thread(create_app(AccountsSettings(connect=wh.connect, secret=SECRET))) as url:
            yield {"url": url, "wh": wh}


def _as(role: str) -> dict:
    return {"Authorization": f"Bearer {mint_token(role, SECRET, sub=f'{role}-1')}"}


def _post(service, path: str, body: dict, role: str) -> requests.Response:
    return requests.post(f"{service['url']}{path}", json=body, headers=_as(role), timeout=10)


def test_prompt_engineer_registers_and_any_role_reads(service):
    created = _post(service, "/v1/experiments", SPEC, "prompt_engineer")
    assert created.status_code == 201, created.text
    listed = requests.get(f"{service['url']}/v1/experiments", headers=_as("enablement"), timeout=10).json()
    assert [e["experiment_id"] for e in listed] == ["exp_sales_prompt"]
    got = listed[0]
    assert [(v["variant"], v["expected_share"], v["is_control"], v["prompt_version"]) for v in got["variants"]] == [
        ("control", 0.5, True, "sales_agent.v1"),
        ("treatment", 0.5, False, "sales_agent.v2"),
    ]
    assert got["variants"][0]["config"] == {"model": "gpt-4o-mini", "temperature": 0.3}
    assert got["guardrail_metrics"] == ["escalation_rate", "cost_per_conversation"] and got["ends_on"] is None
    ended = _post(service, "/v1/experiments/exp_sales_prompt/end", {"ends_on": "2026-10-31"}, "admin")
    assert ended.status_code == 200 and ended.json()["ends_on"] == "2026-10-31"
    events = query(
        service["wh"],
        "select actor, action, target from ops.audit_log where action like 'experiment.%%' order by event_id",
    )
    assert events == [
        ("prompt_engineer-1", "experiment.add", "exp_sales_prompt"),
        ("admin-1", "experiment.end", "exp_sales_prompt"),
    ]


@pytest.mark.parametrize(
    ("change", "status", "field"),
    [
        (
            {
                "variants": [
                    {"variant": "control", "expected_share": 0.5, "is_control": True},
                    {"variant": "treatment", "expected_share": 0.6},
                ]
            },
            422,
            "variants",
        ),
        (
            {"variants": [{"variant": "a", "expected_share": 0.5}, {"variant": "b", "expected_share": 0.5}]},
            422,
            "variants",
        ),
        ({"primary_metric": "conversion"}, 422, "primary_metric"),
        ({"guardrail_metrics": ["escalation_rate", "p95_latency"]}, 422, "guardrail_metrics[1]"),
        ({"experiment_id": "bad id!"}, 422, "experiment_id"),
        ({"starts_on": "2026-06-01", "ends_on": "2026-05-01"}, 422, "ends_on"),
    ],
)
def test_a_wrong_spec_is_refused_naming_its_field(service, change, status, field):
    refused = _post(service, "/v1/experiments", {**SPEC, "experiment_id": "exp_other", **change}, "admin")
    assert refused.status_code == status, refused.text
    assert refused.json()["detail"]["field"] == field


def test_writes_need_a_writer_role_and_a_valid_token(service):
    assert _post(service, "/v1/experiments", {**SPEC, "experiment_id": "exp_pm"}, "product_manager").status_code == 403
    no_token = requests.post(f"{service['url']}/v1/experiments", json=SPEC, timeout=10)
    assert no_token.status_code == 401
    forged = {"Authorization": f"Bearer {mint_token('admin', 'another-secret-' + 'x' * 32)}"}
    assert requests.get(f"{service['url']}/v1/experiments", headers=forged, timeout=10).status_code == 401
    missing = requests.get(f"{service['url']}/v1/experiments/nope", headers=_as("engineer"), timeout=10)
    assert missing.status_code == 404 and missing.json()["detail"]["field"] == "experiment_id"
    body = {**SPEC, "experiment_id": "exp_sales_prompt"}
    assert _post(service, "/v1/experiments", body, "admin").status_code in (201, 409)
    assert _post(service, "/v1/experiments", body, "admin").status_code == 409
    malformed = _post(service, "/v1/experiments", {**SPEC, "starts_on": "soon"}, "admin")
    assert malformed.status_code == 422 and "starts_on" in malformed.text


def test_cli_registers_lists_and_refuses_naming_the_field(service, tmp_path):
    env = {
        **os.environ,
        "OUTCOMELENS_WAREHOUSE_URL": service["wh"].url(hide_password=False),
        "OUTCOMELENS_DATA_DIR": str(tmp_path / "data"),
        "COLUMNS": "200",
    }

    def cli(*args):
        return subprocess.run([OUTCOMELENS, "experiments", *args], env=env, capture_output=True, text=True, timeout=120)

    added = cli(
        "add",
        "exp_temperature",
        "--variant",
        "control=0.7:sales_agent.v1",
        "--variant",
        "hot=0.3",
        "--primary-metric",
        "conversion_rate",
        "--guardrail",
        "csat",
        "--starts-on",
        "2026-05-05",
    )
    assert added.returncode == 0, added.stdout + added.stderr
    listed = cli("list").stdout
    assert "exp_temperature" in listed and "control* 0.7, hot 0.3" in listed and "csat" in listed
    refused = cli(
        "add",
        "exp_x",
        "--variant",
        "control=0.5",
        "--variant",
        "b=0.5",
        "--primary-metric",
        "nope",
        "--starts-on",
        "2026-05-05",
    )
    assert refused.returncode == 1 and "primary_metric" in refused.stdout
