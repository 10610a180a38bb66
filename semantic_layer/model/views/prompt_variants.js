// Prompt-variant comparison: outcomes, latency, errors and cost by experiment, variant, prompt
// version, config and model. Every measure is defined once, in the attribution_daily cube.
const access = require('../access');

const { role } = COMPILE_CONTEXT.securityContext || {};

if (access.canSeeView(role, `prompt_variants`)) {
  view(`prompt_variants`, {
    title: `Prompt variants`,
    description: `Compare experiment variants and prompt versions on outcomes, latency, errors and cost.`,
    cubes: [
      {
        join_path: attribution_daily,
        includes: [
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
          `date_day`,

          `conversations`,
          `conversions`,
          `conversion_rate`,
          `conversion_rate_ci_low`,
          `conversion_rate_ci_high`,
          `revenue`,
          `average_order_value`,
          `revenue_per_conversation`,
          `escalation_rate`,
          `deflection_rate`,
          `resolution_time_mean_s`,
          `resolution_time_p50_s`,
          `resolution_time_p90_s`,
          `thumbs_up_rate`,
          `average_rating`,
          `csat`,
          `llm_calls`,
          `error_rate`,
          `latency_mean_ms`,
          `latency_p50_ms`,
          `latency_p95_ms`,
          `ttft_mean_ms`,
          `total_tokens`,
          `cost`,
          `cost_per_conversation`,
          `cost_per_conversion`,
        ],
      },
    ],
  });
}
