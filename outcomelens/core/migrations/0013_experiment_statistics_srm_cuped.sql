-- Beside each comparison (analytics/experiment_stats.py, written by the experiment_statistics asset):
-- the experiment's sample ratio mismatch p-value, and CUPED on the pre-period covariate (the contact's
-- conversions before the experiment started, marts.fct_experiment_cuped): the covariate's name, the
-- units with history, θ, the variance reduction achieved and the adjusted difference with its 95 %
-- interval. Null where the metric has no covariate.
alter table insights.experiment_statistics
    add column if not exists srm_p_value double precision,
    add column if not exists cuped_covariate text,
    add column if not exists cuped_units_with_history bigint,
    add column if not exists cuped_theta double precision,
    add column if not exists cuped_variance_reduction double precision,
    add column if not exists cuped_difference double precision,
    add column if not exists cuped_ci_low double precision,
    add column if not exists cuped_ci_high double precision;
