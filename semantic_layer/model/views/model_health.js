// Model health: latency, errors, tokens and cost per provider and model over time, with the
// anomalies detected in the governed metrics, and how fresh each source is.
const access = require('../access');

const { role } = COMPILE_CONTEXT.securityContext || {};

if (access.canSeeView(role, `model_health`)) {
  view(`model_health`, {
    title: `Model health`,
    description: `LLM latency, errors, tokens and cost per provider and model, and the anomalies detected.`,
    cubes: [
      {
        join_path: attribution_daily,
        includes: [
          `date_day`,
          `llm_provider`,
          `llm_model`,
          `config_hash`,
          `prompt_version`,
          `experiment_id`,
          `variant`,
          `intent`,
          `capability`,
          `action`,

          `conversations`,
          `llm_calls`,
          `llm_errors`,
          `error_rate`,
          `latency_mean_ms`,
          `latency_p50_ms`,
          `latency_p95_ms`,
          `ttft_mean_ms`,
          `input_tokens`,
          `output_tokens`,
          `cached_input_tokens`,
          `total_tokens`,
          `cost`,
          `cost_per_conversation`,
        ],
      },
      {
        join_path: anomalies,
        prefix: true,
        alias: `anomaly`,
        includes: [
          `anomaly_id`, `detected_at`, `date_day`, `metric_name`, `segment_dimension`,
          `segment_value`, `observed`, `expected`, `lower`, `upper`, `rule`, `severity`, `volume`,
          `contributors`, `top_contributor_dimension`, `top_contributor_value`, `count`, `critical`,
        ],
      },
      {
        // Not joined to the rest: the providers' own usage per day and model beside the logged calls.
        join_path: provider_reconciliation,
        prefix: true,
        alias: `reconciliation`,
        includes: [
          `date_day`, `llm_provider`, `llm_model`,
          `provider_requests`, `provider_input_tokens`, `provider_output_tokens`, `provider_cost`,
          `llm_calls`, `input_tokens`, `output_tokens`, `cost`,
          `requests_difference`, `input_tokens_difference`, `output_tokens_difference`, `cost_difference`,
        ],
      },
      {
        // Not joined to the rest: queried alone, it says how current everything else here is.
        join_path: freshness,
        prefix: true,
        includes: [`source_name`, `table_name`, `newest_loaded_at`, `age_s`],
      },
    ],
  });
}
