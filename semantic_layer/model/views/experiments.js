// Experiment performance: each arm's outcomes from the additive parts, and each variant against
// control with its 95% confidence interval and sample sizes (never a bare ratio).
const access = require('../access');

const { role } = COMPILE_CONTEXT.securityContext || {};

if (access.canSeeView(role, `experiments`)) {
  view(`experiments`, {
    title: `Experiments`,
    description: `Experiment arms on the governed metrics, and each variant against control with a 95% confidence interval.`,
    cubes: [
      {
        join_path: attribution_daily,
        includes: [
          `date_day`,
          `experiment_id`,
          `variant`,
          `prompt_id`,
          `prompt_version`,
          `config_hash`,
          `llm_provider`,
          `llm_model`,
          `intent`,
          `capability`,
          `action`,

          `conversations`,
          `conversions`,
          `conversion_rate`,
          `revenue`,
          `average_order_value`,
          `revenue_per_conversation`,
          `escalation_rate`,
          `deflection_rate`,
          `resolution_time_mean_s`,
          `thumbs_up_rate`,
          `average_rating`,
          `csat`,
          `llm_calls`,
          `latency_mean_ms`,
          `cost`,
          `cost_per_conversation`,
          `cost_per_conversion`,
        ],
      },
      {
        join_path: experiment_comparison,
        prefix: true,
        alias: `comparison`,
        includes: [
          `experiment_id`, `metric_name`, `variant`, `control_variant`, `n_control`, `n_variant`,
          `control_value`, `variant_value`, `difference`, `ci_low`, `ci_high`, `method`,
          `significant`, `underpowered`, `comparisons`, `significant_comparisons`,
          `registration_status`, `variant_registration`,
        ],
      },
      {
        join_path: experiment_registry,
        prefix: true,
        alias: `registry`,
        includes: [
          `experiment_id`, `registration_status`, `experiment_name`, `registered_variants`, `primary_metric`,
          `guardrail_metrics`, `starts_on`, `ends_on`,
        ],
      },
      {
        // Per comparison, so named (and queried) with the comparison's own members.
        join_path: experiment_comparison.experiment_statistics,
        prefix: true,
        alias: `comparison`,
        includes: [
          `p_value`, `p_value_holm`, `p_value_bh`, `chance_to_beat_control`, `expected_loss`,
          `always_valid_ci_low`, `always_valid_ci_high`, `always_valid_significant`,
          `minimum_detectable_effect`, `is_running`, `days_to_detect`, `srm_p_value`,
          `cuped_covariate`, `cuped_units_with_history`, `cuped_variance_reduction`, `cuped_difference`,
          `cuped_ci_low`, `cuped_ci_high`,
        ],
      },
      {
        join_path: experiment_comparison.experiment_srm,
        prefix: true,
        alias: `comparison`,
        includes: [`srm_chi_square`, `srm_critical_value`, `smallest_share`, `expected_split`, `sample_ratio_mismatch`],
      },
    ],
  });
}
