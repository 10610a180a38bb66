import numpy as np
import pandas as pd
import pytest

from analytics.anomalies import VOLUME, anomaly_id, detect
from analytics.config import AnomalyConfig, ConfigError, MetricRules, Rule, governed_metric, load_anomaly_config
from analytics.series import build_series

CONVERSION = governed_metric("conversion_rate")  # conversions / conversations, as the semantic layer sums them
PLANTED = {"intent": "checkout_help", "capability": "checkout_assist", "action": "send_checkout_link"}


def _frame(days, rows):
    """rows: (day index, intent, model, conversations, conversions)."""
    start = pd.Timestamp("2026-01-05")
    return pd.DataFrame(
        [{"date_day": start + pd.Timedelta(days=d), "experiment_id": "e", "variant": "control",
          "prompt_version": "p.v1", "llm_model": m, "intent": i, "capability": "c", "action": "a",
          "conversations": n, "conversions": k} for d, i, m, n, k in rows]
    )


def _rules(**params):
    rule = Rule("relative_change", {"baseline_days": 28, "max_drop": 0.2, "min_z": 3.0, "critical_at": 0.3, **params})
    return AnomalyConfig((MetricRules(CONVERSION, 300, (rule,)),), ("intent",), ("intent", "llm_model"))


def test_relative_drop_against_same_weekday_baseline_by_hand():
    # 5 weeks; intent "a" converts 25 % every day but 15 % on the last day; "b" stays at 20 %.
    rows = []
    for d in range(35):
        rows += [(d, "a", "m1", 500, 75 if d == 34 else 125), (d, "b", "m2", 500, 100)]
    found = detect(_frame(35, rows), _rules())
    by_segment = {(a["segment_dimension"], a["segment_value"]): a for a in found}
    a = by_segment[("intent", "a")]
    assert a["expected"] == pytest.approx(0.25) and a["observed"] == pytest.approx(0.15)
    assert a["lower"] == pytest.approx(0.20) and a["severity"] == "critical"  # −40 % ≥ 30 %
    assert str(a["date_day"]) == "2026-02-08"
    # the whole: 22.5 % → 17.5 %, −22 %: fires too, and intent a carries all of it
    whole = by_segment[("all", "all")]
    assert whole["observed"] == pytest.approx(0.175) and whole["severity"] == "warning"
    top = whole["contributors"][0]
    assert (top["dimension"], top["value"]) == ("intent", "a")
    # contribution n_v (r_v - b_v) / N = 500 × (0.15 − 0.25) / 1000 = −0.05, the whole change
    assert top["contribution"] == pytest.approx(-0.05) and top["share"] == pytest.approx(1.0)
    assert ("intent", "b") not in by_segment
    assert a["anomaly_id"] == anomaly_id("conversion_rate", "intent", "a", "2026-02-08", "relative_change")


def test_thin_segments_and_insignificant_drops_do_not_fire():
    rows = []
    for d in range(35):
        # "thin": 40 % drop on 100 conversations/day, under min_volume 300
        rows += [(d, "thin", "m1", 100, 10 if d == 34 else 25)]
        # "noisy": 24 % drop on 400 conversations at 5 %: z ≈ −1, below min_z 3
        rows += [(d, "noisy", "m1", 400, 15 if d == 34 else 20)]
    found = detect(_frame(35, rows), _rules())
    assert [a for a in found if a["segment_value"] in ("thin", "noisy")] == []
    # without the z gate the noisy one fires: the gate is what keeps it quiet
    ungated = detect(_frame(35, rows), _rules(min_z=None))
    assert {a["segment_value"] for a in ungated} >= {"noisy"}


def test_robust_zscore_rule_by_hand():
    rows = [(d, "a", "m1", 1000 + (10 if d % 2 else -10), 100) for d in range(30)] + [(30, "a", "m1", 1500, 100)]
    count = governed_metric("conversations")
    rule = Rule("robust_zscore", {"window_days": 28, "threshold": 6.0})
    found = detect(_frame(31, rows), AnomalyConfig((MetricRules(count, 0, (rule,)),), (), ("llm_model",)))
    assert [(str(a["date_day"]), a["observed"]) for a in found] == [("2026-02-04", 1500.0)]
    # median 1000 (ties of 990/1010 average), MAD 10 → bounds 1000 ± 6 × 1.4826 × 10
    assert found[0]["expected"] == pytest.approx(1000) and found[0]["upper"] == pytest.approx(1000 + 6 * 14.826)


def test_anomaly_config_errors_name_the_field(tmp_path):
    bad = tmp_path / "a.yaml"
    bad.write_text("metrics: {conversion_rate: {rules: [{rule: ewma}]}}\n")
    with pytest.raises(ConfigError, match=r"metrics.conversion_rate.rules\[0\].rule must be one of"):
        load_anomaly_config(bad)
    bad.write_text("metrics: {conversations: {min_volume: -5, rules: [{rule: robust_zscore}]}}\n")
    with pytest.raises(ConfigError, match="metrics.conversations.min_volume must be a non-negative integer"):
        load_anomaly_config(bad)
    bad.write_text("metrics: {c: {min_volume: 5, rules: [{rule: robust_zscore}]}}\n")
    with pytest.raises(ConfigError, match="metrics.c: the semantic layer's cube 'attribution_daily' defines no"):
        load_anomaly_config(bad)


def test_planted_bad_release_alerts_on_its_first_day_with_the_planted_top_contributor(big_demo):
    _, truth, parts = big_demo
    release = truth["planted_effects"]["bad_release"]
    first = pd.Timestamp(release["start_date"]).date()
    found = detect(parts, load_anomaly_config())
    on_first = [a for a in found if a["date_day"] == first and a["metric_name"] == "conversion_rate"]
    segments = {(a["segment_dimension"], a["segment_value"]) for a in on_first}
    assert ("intent", "checkout_help") in segments
    for a in on_first:
        assert (a["top_contributor_dimension"], a["top_contributor_value"]) == ("intent", "checkout_help"), a
        assert a["observed"] / a["expected"] - 1 < -0.2
    planted = next(a for a in on_first if a["segment_value"] == "checkout_help")
    expected_day = next(d for d in release["daily"] if d["date"] == release["start_date"])
    assert planted["observed"] == pytest.approx(expected_day["conversions"] / expected_day["conversations"])


def test_false_alerts_on_clean_segments_stay_below_one_per_90_series_days(big_demo):
    """Every anomaly counts as false except those on the release's days in the segments that contain
    the planted slice (all, intent checkout_help, capability checkout_assist, action send_checkout_link).
    The weeks after the release (whose baselines contain it) count as clean too."""
    _, truth, parts = big_demo
    release = truth["planted_effects"]["bad_release"]
    bad_days = pd.date_range(release["start_date"], release["end_date"])
    affected = {("all", "all"), *PLANTED.items()}
    config = load_anomaly_config()
    found = detect(parts, config, with_contributors=False)
    false = [a for a in found if not (pd.Timestamp(a["date_day"]) in bad_days and
                                      (a["segment_dimension"], a["segment_value"]) in affected)]
    series_days = 0
    for mr in config.metrics:
        for dim in ("all", *config.segment_dimensions):
            values = ["all"] if dim == "all" else parts[dim].unique()
            for v in values:
                s = build_series(parts, VOLUME, dim, v)
                series_days += int(np.sum(s.numerator[28:] >= mr.min_volume))  # judged days only
    rate = len(false) / series_days * 90
    print(f"false alerts: {len(false)} over {series_days} judged series-days = {rate:.3f} per 90 series-days")
    assert rate <= 1.0
