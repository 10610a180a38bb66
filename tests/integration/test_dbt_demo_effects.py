"""Every planted effect of the demo (truth.json "planted_effects") is recovered by the marts with the
right sign and inside the reported 95% interval.

One module-scoped run: the demo generator (30,000 conversations over 60 days, so that three days of a
bad release carry enough conversations), a real dlt load into a throwaway database on the local
Postgres, `dbt seed` + `dbt build`. The intervals are computed by the marts' SQL
(fct_experiment_comparison) and checked against an independent Python implementation; per-segment
effects use the same Newcombe / Welch formulas over the additive parts of the marts.
"""

from __future__ import annotations

import math
import shutil
import time
from datetime import date

import pytest
from scipy import stats

from ingestion.demo.generate import generate
from tests.integration.support import NEEDS_DBT, dlt_load, query

SIZE = 30_000
DAYS = 60
SEED = 11

pytestmark = NEEDS_DBT


def newcombe(x_control: int, n_control: int, x_variant: int, n_variant: int) -> tuple[float, float, float]:
    """Difference p_variant − p_control with Newcombe's hybrid score 95% interval."""
    p1, p2 = x_control / n_control, x_variant / n_variant
    l1, u1 = stats.binomtest(x_control, n_control).proportion_ci(method="wilson")
    l2, u2 = stats.binomtest(x_variant, n_variant).proportion_ci(method="wilson")
    d = p2 - p1
    return d, d - math.sqrt((p2 - l2) ** 2 + (u1 - p1) ** 2), d + math.sqrt((u2 - p2) ** 2 + (p1 - l1) ** 2)


def welch(n1: int, mean1: float, var1: float, n2: int, mean2: float, var2: float) -> tuple[float, float, float]:
    """Difference mean2 − mean1 with Welch's 95% interval (exact t quantile)."""
    a, b = var1 / n1, var2 / n2
    df = (a + b) ** 2 / (a**2 / (n1 - 1) + b**2 / (n2 - 1))
    half = stats.t.ppf(0.975, df) * math.sqrt(a + b)
    d = mean2 - mean1
    return d, d - half, d + half


@pytest.fixture(scope="module")
def demo(warehouse_db, dbt, tmp_path_factory):
    workdir = tmp_path_factory.mktemp("demo_effects")
    timings = {}
    started = time.monotonic()
    truth = generate(workdir / "landing", conversations=SIZE, seed=SEED, days=DAYS, end_date=date(2026, 11, 1))
    timings["generate"] = time.monotonic() - started
    started = time.monotonic()
    dlt_load(workdir / "landing", warehouse_db, workdir / "dlt")
    timings["dlt load"] = time.monotonic() - started
    dbt("seed")
    build = dbt("build")
    timings.update(dbt.timings)
    yield warehouse_db, truth, build, timings
    shutil.rmtree(workdir, ignore_errors=True)


def test_build_is_green_and_timed(demo):
    _, truth, build, timings = demo
    assert "ERROR=0" in build.stdout, build.stdout[-3000:]
    print("timings (s):", {k: round(v, 1) for k, v in timings.items()})
    assert truth["conversations"] == SIZE


def test_prompt_uplift_recovered_on_its_intent(demo):
    wh, truth, _, _ = demo
    eff = truth["planted_effects"]["prompt_uplift"]
    arms = {
        version: (int(n), int(x))
        for version, n, x in query(wh, """
            select prompt_version, sum(conversations), sum(conversions)
            from marts.fct_attribution_daily
            where experiment_id = %s and intent = %s
            group by prompt_version
        """, (eff["experiment_id"], eff["intent"]))
    }
    # the marts count exactly what the generator realised under the contract's attribution rule
    for version, realized in eff["realized"].items():
        assert arms[version] == (realized["conversations"], realized["conversions"]), version
    n1, x1 = arms[eff["baseline_prompt_version"]]
    n2, x2 = arms[eff["prompt_version"]]
    difference, low, high = newcombe(x1, n1, x2, n2)
    assert difference > 0
    print("prompt uplift", difference, low, high)
    assert low <= eff["absolute_uplift"] <= high, (difference, low, high)


def test_experiment_comparison_sql_matches_independent_intervals(demo):
    wh, truth, _, _ = demo
    rows = {
        (experiment, metric): rest
        for experiment, metric, *rest in query(wh, """
            select experiment_id, metric_name, n_control, n_variant, control_value, variant_value,
                   difference, ci_low, ci_high, method, significant, underpowered
            from marts.fct_experiment_comparison where variant = 'treatment'
        """)
    }
    assert len(rows) == 2 * 9
    for experiment in truth["experiments"]:
        parts = {
            variant: (int(n), int(x))
            for variant, n, x in query(wh, """
                select variant, sum(conversations), sum(conversions) from marts.fct_attribution_daily
                where experiment_id = %s group by variant
            """, (experiment,))
        }
        (n1, x1), (n2, x2) = parts["control"], parts["treatment"]
        d, low, high = newcombe(x1, n1, x2, n2)
        n_c, n_v, _, _, diff, ci_low, ci_high, method, significant, _ = rows[(experiment, "conversion_rate")]
        assert (n_c, n_v, method) == (n1, n2, "newcombe_wilson")
        assert (diff, ci_low, ci_high) == pytest.approx((d, low, high), abs=1e-12)
        assert significant == (low > 0 or high < 0)

        # Welch on latency from the call-level mart, with scipy's exact t quantile
        (m1, v1, k1), (m2, v2, k2) = [
            query(wh, """select avg(latency_ms), var_samp(latency_ms), count(*) from marts.fct_llm_calls
                           where experiment_id = %s and variant = %s""", (experiment, variant))[0]
            for variant in ("control", "treatment")
        ]
        d, low, high = welch(k1, m1, v1, k2, m2, v2)
        n_c, n_v, _, _, diff, ci_low, ci_high, method, _, _ = rows[(experiment, "latency_mean_ms")]
        assert (n_c, n_v, method) == (k1, k2, "welch")
        assert diff == pytest.approx(d, rel=1e-9)
        # the SQL t quantile is a Cornish–Fisher expansion: equal to scipy's to well under 0.1%
        assert ci_low == pytest.approx(low, rel=1e-3) and ci_high == pytest.approx(high, rel=1e-3)

    # exp_temperature has no planted conversion effect: its interval covers 0
    _, _, _, _, _, ci_low, ci_high, _, _, _ = rows[("exp_temperature", "conversion_rate")]
    assert ci_low <= 0 <= ci_high


def test_slower_model_latency_recovered(demo):
    wh, truth, _, _ = demo
    eff = truth["planted_effects"]["model_latency"]
    (slow,), (rest,) = (
        query(wh, f"""select count(*), avg(latency_ms), var_samp(latency_ms) from marts.fct_llm_calls
                        where llm_model {op} %s""", (eff["llm_model"],))
        for op in ("=", "<>")
    )
    assert slow[0] == eff["by_model"][eff["llm_model"]]["calls"]
    difference, low, high = welch(rest[0], rest[1], rest[2], slow[0], slow[1], slow[2])
    assert difference > 0
    print("latency", difference, low, high)
    assert low <= eff["added_latency_ms"] <= high, (difference, low, high)


def test_bad_release_recovered_from_daily_rates(demo):
    wh, truth, _, _ = demo
    eff = truth["planted_effects"]["bad_release"]
    daily = {
        day.isoformat(): (int(n), int(x))
        for day, n, x in query(wh, """
            select date_day, sum(conversations), sum(conversions) from marts.fct_attribution_daily
            where intent = %s group by date_day
        """, (eff["intent"],))
    }
    for row in eff["daily"]:
        assert daily.get(row["date"], (0, 0)) == (row["conversations"], row["conversions"]), row["date"]
    # before the release (later days lose deals that would close after the period's end)
    before = [v for d, v in daily.items() if d < eff["start_date"]]
    window = [v for d, v in daily.items() if eff["start_date"] <= d <= eff["end_date"]]
    assert len(window) == eff["days"]
    n1, x1 = sum(n for n, _ in before), sum(x for _, x in before)
    n2, x2 = sum(n for n, _ in window), sum(x for _, x in window)
    difference, low, high = newcombe(x1, n1, x2, n2)
    planted = eff["expected_window_conversion_rate"] - eff["baseline_daily_conversion_rate"]
    print("bad release", difference, low, high, planted)
    assert difference < 0 and high < 0
    assert low <= planted <= high, (difference, low, high, planted)


def test_capability_escalation_recovered(demo):
    wh, truth, _, _ = demo
    eff = truth["planted_effects"]["capability_escalation"]
    parts = dict(
        (is_cap, (int(n), int(x)))
        for is_cap, n, x in query(wh, """
            select capability = %s, sum(conversations), sum(escalated) from marts.fct_attribution_daily
            group by 1
        """, (eff["capability"],))
    )
    cap = truth["escalation_by_capability"][eff["capability"]]
    assert parts[True] == (cap["conversations"], cap["escalated"])
    (n1, x1), (n2, x2) = parts[False], parts[True]
    difference, low, high = newcombe(x1, n1, x2, n2)
    planted = eff["planted_escalation_probability"] - eff["baseline_escalation_probability"]
    assert difference > 0
    assert low <= planted <= high, (difference, low, high)
    # and as a ratio: the planted ×3 lies inside a 95% interval of the risk ratio (log method)
    ratio = (x2 / n2) / (x1 / n1)
    se = math.sqrt(1 / x2 - 1 / n2 + 1 / x1 - 1 / n1)
    assert ratio * math.exp(-1.96 * se) <= eff["multiplier"] <= ratio * math.exp(1.96 * se)


def test_demo_outcome_metrics_reach_the_mart(demo):
    wh, truth, _, _ = demo
    by_metric = dict(query(wh, """
        select metric_name, count(*) from marts.fct_outcome_metrics where source = 'demo' group by 1
    """))
    assert by_metric == {m: truth["outcome_metrics"][m]["rows"] for m in ("refund_rate", "nps")}
    (bad,) = query(wh, """select count(*) from marts.fct_outcome_metrics
                            where variant is null or experiment_id is null or intent is null""")[0]
    assert bad == 0


def test_sample_ratio_mismatch_beside_each_experiment(demo):
    """The demo splits every experiment 50/50: no SRM, and the mart's chi-square is scipy's on the same
    counts. The planted mismatch (5,000 vs 4,500) is the dbt unit test of fct_experiment_srm, run by the build."""
    wh, _, build, _ = demo
    assert "srm_planted_mismatch_flagged_clean_split_not" in build.stdout
    arms: dict[str, list[int]] = {}
    for experiment, n in query(wh, """
        select experiment_id, sum(conversations) from marts.fct_attribution_daily
        where experiment_id is not null and variant is not null group by experiment_id, variant
    """):
        arms.setdefault(experiment, []).append(int(n))
    srm = {e: (chi, flag) for e, chi, flag in query(
        wh, "select experiment_id, srm_chi_square, sample_ratio_mismatch from marts.fct_experiment_srm")}
    assert set(srm) == set(arms)
    for experiment, counts in arms.items():
        expected = stats.chisquare(counts)
        assert srm[experiment][0] == pytest.approx(expected.statistic), experiment
        assert expected.pvalue >= 0.001 and srm[experiment][1] is False, (experiment, counts, expected.pvalue)
    # and every comparison row carries its experiment's flag, chi-square and registration
    for experiment, chi, flag, status, variant_status in query(wh, """
        select experiment_id, srm_chi_square, sample_ratio_mismatch, registration_status, variant_registration
        from marts.fct_experiment_comparison
    """):
        assert (chi, flag) == srm[experiment]
        assert (status, variant_status) == ("unregistered", "seen_only")  # nothing registered in this database


def test_cuped_on_the_pre_period_covariate_matches_the_truth(demo):
    """The generator plants returning customers whose earlier purchases follow the same readiness to buy
    as their conversions in the experiment; truth.json has CUPED computed by hand (numpy) on the plan.
    dbt's covariate (the contact's closedwon deals in the 90 days before the experiment started) and
    the stored statistics' CUPED from the per-arm sums must give the same θ, variance reduction and
    adjusted difference, and the adjusted interval must be narrower and still cover the planted effect."""
    from analytics.experiment_stats import ArmMoments, cuped_from_moments

    wh, truth, _, _ = demo
    rows = query(wh, """
        select experiment_id, variant, units, y_sum, y_sum_sq, x_sum, x_sum_sq, xy_sum, units_with_history
        from marts.fct_experiment_cuped where metric_name = 'conversion_rate'
    """)
    arms = {(e, v): ArmMoments(float(n), y, yy, x, xx, xy) for e, v, n, y, yy, x, xx, xy, _ in rows}
    history = {}
    for e, _, _, _, _, _, _, _, h in rows:
        history[e] = history.get(e, 0) + h
    for experiment, want in truth["pre_period"]["cuped_conversion_rate"].items():
        got = cuped_from_moments(arms[(experiment, "control")], arms[(experiment, "treatment")])
        assert history[experiment] == want["units_with_history"] > 0
        assert got.theta == pytest.approx(want["theta"], rel=1e-9)
        assert got.variance_reduction == pytest.approx(want["variance_reduction"], rel=1e-9)
        assert got.difference == pytest.approx(want["adjusted_difference"], abs=1e-12)
        assert 0.02 < got.variance_reduction < 0.2 and got.se < got.unadjusted_se
        print(experiment, f"variance reduction {got.variance_reduction:.4f}, se {got.unadjusted_se:.5f} → {got.se:.5f}")
