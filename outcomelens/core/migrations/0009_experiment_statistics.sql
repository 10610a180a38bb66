-- Statistics beside each experiment comparison (analytics/experiment_stats.py, written by the
-- experiment_statistics asset; columns in docs/contracts.md): p-values raw and adjusted (Holm, BH),
-- a Bayesian chance to beat control and expected loss, the always-valid (peeking-safe) 95 % interval,
-- and for running experiments the minimum detectable effect and the days to detect the target effect.
create table if not exists insights.experiment_statistics (
    experiment_id text not null, metric_name text not null, variant text not null,
    p_value double precision, p_value_holm double precision, p_value_bh double precision,
    chance_to_beat_control double precision, expected_loss double precision,
    always_valid_ci_low double precision, always_valid_ci_high double precision,
    always_valid_significant boolean not null, minimum_detectable_effect double precision,
    is_running boolean not null, days_run double precision, days_to_detect double precision,
    computed_at timestamptz not null,
    primary key (experiment_id, metric_name, variant)
);
