"""Forecasts, anomalies and alert delivery through the real parts: demo data loaded by dlt, marts built
by dbt, the insights assets materialized by Dagster on an embedded Postgres, the anomaly sensor
evaluated against the recorded materialization, and alerts delivered to a local HTTP receiver."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import timedelta

import dagster as dg
import pandas as pd
import pytest

from analytics import alert_delivery, alert_log, insights_store
from analytics.anomalies import detect
from analytics.config import (
    AnomalyConfig,
    MetricRules,
    Rule,
    governed_metric,
    load_anomaly_config,
    load_experiment_config,
    load_forecast_config,
)
from analytics.experiment_stats import comparison_statistics
from ingestion.demo.truth import daily_parts
from outcomelens.core import paths
from tests.mocks.server import MockServer, Reply, Request

SIZE = 20_000
SEED = 5
CONTRACT_FORECASTS = {
    "metric_name", "segment_dimension", "segment_value", "date_day", "model", "yhat", "yhat_lower", "yhat_upper",
    "interval_level", "is_holdout", "observed", "generated_at",
}
CONTRACT_ANOMALIES = {
    "anomaly_id", "detected_at", "metric_name", "segment_dimension", "segment_value", "date_day", "observed",
    "expected", "lower", "upper", "rule", "severity", "volume", "contributors", "top_contributor_dimension",
    "top_contributor_value",
}
# A demo of 20k conversations fires rarely under the shipped budget; this looser one (9 per 90 days) fires.
LOW_VOLUME_RULES = AnomalyConfig(
    (MetricRules(governed_metric("conversion_rate"),
                 (Rule("relative_change", {"baseline_days": 28, "max_drop": 0.3, "false_alarms_per_90_days": 9}),)),),
    ("intent", "llm_model"), ("prompt_version", "llm_model", "intent", "capability", "action"),
)
LOAD = """
import sys
from ingestion.demo.generate import generate
from outcomelens.core import paths, warehouse
from outcomelens.cli.pipeline import materialize_pipeline
wh = warehouse.ensure_warehouse(); wh.export_env()
generate(paths.subdir("landing"), conversations=int(sys.argv[1]), seed=int(sys.argv[2]))
materialize_pipeline()
"""


@pytest.fixture(scope="module")
def stack(embedded_cli):
    data_dir, env = embedded_cli.data_dir, embedded_cli.env
    done = subprocess.run([sys.executable, "-c", LOAD, str(SIZE), str(SEED)], env=env, capture_output=True,
                          text=True, timeout=1200, cwd=paths.PROJECT_ROOT)
    assert done.returncode == 0, done.stderr[-4000:]
    wh = embedded_cli.embedded_warehouse()
    with wh.connect() as conn:
        parts = insights_store.read_parts(conn, {"conversions"})
    return {"dir": data_dir, "env": env, "wh": wh, "parts": parts, "cli": embedded_cli}


@pytest.fixture
def stack_env(stack, monkeypatch):
    """This process pointed at the test's data dir; the warehouse resource exports more variables, so
    the whole environment is restored afterwards."""
    saved = dict(os.environ)
    monkeypatch.setenv("OUTCOMELENS_DATA_DIR", str(stack["dir"]))
    monkeypatch.delenv("OUTCOMELENS_WAREHOUSE_URL", raising=False)
    monkeypatch.setenv("DAGSTER_HOME", str(stack["dir"] / "dagster_home"))
    yield stack
    os.environ.clear()
    os.environ.update(saved)


def test_mart_parts_equal_attribution_from_the_parquet_files(stack):
    keys = ["date_day", "experiment_id", "variant", "prompt_version", "llm_model", "intent", "capability", "action"]
    mart = stack["parts"].assign(date_day=lambda f: f["date_day"].astype("datetime64[ns]")).groupby(keys)[["conversations", "conversions"]].sum()
    parquet = daily_parts(stack["dir"] / "landing")
    parquet = parquet.assign(date_day=parquet["date_day"].astype("datetime64[ns]")).groupby(keys)[["conversations", "conversions"]].sum()
    assert mart["conversations"].sum() == SIZE
    pd.testing.assert_frame_equal(mart.astype("int64"), parquet.astype("int64"))


def test_forecasts_table_follows_the_contract(stack):
    config = load_forecast_config()
    with stack["wh"].connect() as conn, conn.cursor() as cur:
        cur.execute("select * from insights.forecasts")
        cols = [d.name for d in cur.description]
        rows = pd.DataFrame(cur.fetchall(), columns=cols)
        cur.execute("""select date_day, sum(conversions)::float / sum(conversations) from marts.fct_attribution_daily
                       where intent = 'checkout_help' group by 1""")
        checkout_rate = dict(cur.fetchall())
    assert set(cols) == CONTRACT_FORECASTS
    assert set(rows["model"]) == {config.model} and set(rows["interval_level"]) == {0.95}
    per_series = rows.groupby(["metric_name", "segment_dimension", "segment_value", "is_holdout"]).size()
    assert set(per_series) == {config.horizon_days}  # holdout_days == horizon_days == 14
    intents = rows[(rows["segment_dimension"] == "intent")]["segment_value"].unique()
    assert sorted(intents) == sorted(stack["parts"]["intent"].unique())
    assert (rows["yhat_lower"] <= rows["yhat"]).all() and (rows["yhat"] <= rows["yhat_upper"]).all()
    hold = rows[rows["is_holdout"] & (rows["metric_name"] == "conversion_rate") & (rows["segment_value"] == "checkout_help")]
    for day, observed in zip(hold["date_day"], hold["observed"]):
        assert observed == pytest.approx(checkout_rate[day])
    assert rows[~rows["is_holdout"]]["observed"].isna().all()
    assert rows[~rows["is_holdout"]]["date_day"].min() > max(checkout_rate)


def test_experiment_statistics_stored_beside_each_comparison(stack):
    """The pipeline run wrote one row per comparison; its figures are analytics.experiment_stats' on the
    stored comparisons (the demo's main experiment has a planted lift: it must beat control)."""
    with stack["wh"].connect() as conn:
        comparisons, experiments, cuped_moments = insights_store.read_experiment_inputs(conn)
        with conn.cursor() as cur:
            cur.execute("select * from insights.experiment_statistics")
            stored = pd.DataFrame(cur.fetchall(), columns=[d.name for d in cur.description])
    assert len(stored) == len(comparisons) > 0
    expected = {(r["experiment_id"], r["metric_name"], r["variant"]): r for r in
                comparison_statistics(comparisons, experiments, load_experiment_config(), None, cuped_moments)}
    for row in stored.to_dict("records"):
        want = expected[(row["experiment_id"], row["metric_name"], row["variant"])]
        for col in ("p_value", "p_value_holm", "p_value_bh", "always_valid_ci_low", "minimum_detectable_effect",
                    "srm_p_value", "cuped_variance_reduction", "cuped_difference", "cuped_ci_low"):
            # pandas reads a column holding some nulls as NaN: compare missing with missing
            got, wanted = (float("nan") if v is None else v for v in (row[col], want[col]))
            assert got == pytest.approx(wanted, nan_ok=True), col
        if row["p_value"] is not None and row["p_value_holm"] is not None:
            assert row["p_value_holm"] >= row["p_value"] - 1e-12
        assert row["always_valid_ci_low"] is None or row["always_valid_ci_low"] <= comparisons.set_index(
            ["experiment_id", "metric_name", "variant"]).loc[(row["experiment_id"], row["metric_name"], row["variant"]), "ci_low"]


def test_detection_on_the_marts_equals_detection_on_the_parquet(stack):
    on_marts = detect(stack["parts"], LOW_VOLUME_RULES)
    on_parquet = detect(daily_parts(stack["dir"] / "landing"), LOW_VOLUME_RULES)
    assert on_marts, "the low-volume rules should fire somewhere on 180 days"
    key = lambda a: (a["anomaly_id"], round(a["observed"], 12), round(a["expected"], 12), a["top_contributor_value"])  # noqa: E731
    assert sorted(map(key, on_marts)) == sorted(map(key, on_parquet))


def test_sensor_runs_an_anomaly_check_after_each_mart_materialization(stack_env):
    from orchestration.definitions import defs
    from orchestration.defs.insights.sensors import anomaly_check_after_micro_batch

    with dg.DagsterInstance.get() as instance:
        context = dg.build_sensor_context(instance=instance, definitions=defs)
        requests = list(anomaly_check_after_micro_batch(context))
        assert len(requests) == 1
        request = requests[0]
        last_days = load_anomaly_config().check_last_days
        assert request.run_config["ops"]["insights__anomalies"]["config"]["last_days"] == last_days
        # the cursor moved past that materialization: nothing new, no second check
        again = dg.build_sensor_context(instance=instance, definitions=defs, cursor=context.cursor)
        assert [r for r in anomaly_check_after_micro_batch(again) if isinstance(r, dg.RunRequest)] == []

        job = defs.resolve_job_def("insights_anomaly_check")
        result = job.execute_in_process(instance=instance, run_config=request.run_config)
        assert result.success
        event = instance.get_latest_materialization_event(dg.AssetKey(["insights", "anomalies"]))
        assert event.run_id == result.run_id
    with stack_env["wh"].connect() as conn, conn.cursor() as cur:
        cur.execute("select * from insights.anomalies")
        assert {d.name for d in cur.description} == CONTRACT_ANOMALIES
        stored = {r[0] for r in cur.fetchall()}
    # the pipeline run judged every day, the check the last `last_days`; upserts keep both
    every_day = {a["anomaly_id"] for a in detect(stack_env["parts"], load_anomaly_config())}
    recent = {a["anomaly_id"] for a in detect(stack_env["parts"], load_anomaly_config(), last_days=last_days)}
    assert stored == every_day and recent <= stored


class _Receiver(MockServer):
    """Webhook endpoints that take every POST, except that /flaky fails once with a 503."""

    def __init__(self):
        super().__init__()
        self.fail_first = {"/flaky": 1}
        self.received: list[Request] = []  # the requests answered 200

    def answer(self, request: Request) -> Reply:
        with self.lock:
            if self.fail_first.get(request.path, 0) > 0:
                self.fail_first[request.path] -= 1
                return 503, None
            self.received.append(request)
        return 200, None


@pytest.fixture
def receiver():
    with _Receiver() as server:
        yield server


def test_alerts_reach_a_local_receiver_signed_once_per_cooldown(stack_env, receiver):
    url = receiver.url
    secret = "whsec-test-9f8e7d6c5b4a"
    anomalies = detect(stack_env["parts"], LOW_VOLUME_RULES)
    first_day = min(a["date_day"] for a in anomalies)
    todays = [a for a in anomalies if a["date_day"] == first_day]
    with stack_env["wh"].connect() as conn:
        with conn.cursor() as cur:  # the shipped rules' alerts of the pipeline run, pending: no channel yet
            cur.execute("select alert_id from ops.alerts")
            pending = {r[0] for r in cur.fetchall()}
        alert_ids = insights_store.record_anomaly_alerts(conn, todays)
        dq = alert_log.record_alert(conn, source="data_quality", dedup_key="gx|raw.llm_calls|not_null_event_id",
                                    severity="critical", title="raw.llm_calls: event_id has nulls",
                                    payload={"check": "not_null_event_id"}, occurrence="run-1")
        conn.commit()
        alert_delivery.add_webhook(conn, "local-json", url + "/hook", "json", secret)
        alert_delivery.add_webhook(conn, "local-slack", url + "/slack", "slack")
        alert_delivery.add_webhook(conn, "flaky", url + "/flaky", "json", secret)
        conn.commit()
        settings = alert_delivery.DeliverySettings(cooldown=timedelta(hours=1), backoff_s=0.01)
        waits = []
        counts = alert_delivery.deliver(conn, alert_delivery.stored_channels(conn), settings, sleep=waits.append)
        n = len(pending) + len(alert_ids) + 1
        warning_or_worse = n  # both rules' severities are warning or critical
        assert counts == {"delivered": 3 * warning_or_worse, "failed": 0, "suppressed": 0}
        assert waits == [0.01]  # one retry, after the flaky receiver's 503

        hooks = [(r.headers, r.body) for r in receiver.received if r.path == "/hook"]
        assert len(hooks) == n
        sent = {json.loads(b)["alert_id"]: json.loads(b) for _, b in hooks}
        assert set(sent) == pending | set(alert_ids) | {dq}
        assert {p["source"] for p in sent.values()} == {"anomaly", "data_quality"}
        for headers, body in hooks:
            assert alert_delivery.verify_signature(secret, headers, body)
            assert not alert_delivery.verify_signature("wrong-secret", headers, body)
            assert not alert_delivery.verify_signature(secret, headers, body + b" ")
        anomaly_alert = next(p for p in sent.values() if p["source"] == "anomaly")
        assert anomaly_alert["payload"]["contributors"] and anomaly_alert["payload"]["rule"] == "relative_change"
        slack = [r.json() for r in receiver.received if r.path == "/slack"]
        assert len(slack) == n and all(m["text"] and m["blocks"][0]["type"] == "section" for m in slack)

        # the same anomaly again, and the same (metric, segment, rule) on the next day: nothing is sent
        before = len(receiver.received)
        insights_store.record_anomaly_alerts(conn, todays)
        later = [{**a, "date_day": a["date_day"] + timedelta(days=1)} for a in todays]
        new_ids = insights_store.record_anomaly_alerts(conn, later)
        conn.commit()
        assert len(new_ids) == len(todays)
        counts = alert_delivery.deliver(conn, alert_delivery.stored_channels(conn), settings, sleep=waits.append)
        assert counts == {"delivered": 0, "failed": 0, "suppressed": 3 * len(todays)}
        assert len(receiver.received) == before

        with conn.cursor() as cur:
            cur.execute("select channel, attempt, status, http_status from ops.alert_deliveries where channel = 'flaky' order by delivered_at, attempt")
            flaky = cur.fetchall()
            cur.execute("select coalesce(string_agg(coalesce(error, ''), ' '), '') from ops.alert_deliveries")
            errors = cur.fetchone()[0]
            cur.execute("select url_encrypted || coalesce(secret_encrypted, '') from ops.alert_webhooks")
            stored = " ".join(r[0] for r in cur.fetchall())
        assert flaky[:2] == [("flaky", 1, "retrying", 503), ("flaky", 2, "delivered", 200)]
        assert secret not in errors and secret not in stored and "/hook" not in stored
        listed = json.dumps(alert_delivery.list_webhooks(conn, {"webhooks": []}))
        assert secret not in listed and "/hook" not in listed and "set" in listed

    cli = stack_env["cli"]("alerts", "webhooks", "list", check=False)
    assert cli.returncode == 0 and "local-json" in cli.stdout and secret not in cli.stdout + cli.stderr

    # A webhook URL is a credential: asked for (or read from the environment), never taken from argv.
    refused = stack_env["cli"]("alerts", "webhooks", "add", "argv", "--url", url + "/x", "--format", "slack",
                               check=False)
    assert refused.returncode == 2 and "--url" in refused.stderr
    prompted = stack_env["cli"]("alerts", "webhooks", "add", "prompted", "--format", "slack",
                                input=url + "/prompted-path\n")
    assert "/prompted-path" not in prompted.stdout + prompted.stderr
    with stack_env["wh"].connect() as conn:
        assert {c.name: c.url for c in alert_delivery.stored_channels(conn)}["prompted"] == url + "/prompted-path"
