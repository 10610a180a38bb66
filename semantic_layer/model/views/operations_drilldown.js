// Drill-down for troubleshooting: single conversations with their feedback and their LLM calls,
// and single outcome metric records. Customer-identifying fields are part of it only for the
// roles that may see customer data (the cubes do not even define them for the others).
const access = require('../access');

const { role } = COMPILE_CONTEXT.securityContext || {};
const { customerData } = access.policyFor(role);

if (access.canSeeView(role, `operations_drilldown`)) {
  view(`operations_drilldown`, {
    title: `Operations drill-down`,
    description: `Single conversations, their feedback and their LLM calls, for troubleshooting.`,
    cubes: [
      {
        join_path: conversations,
        includes: [
          `conversation_id`,
          `project`,
          ...(customerData ? [`customer_ref`, `contact_id`, `deal_id`] : []),
          `started_at`,
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
          `converted`,
          `attribution_reason`,
          `resolved`,
          `escalated`,
          `deflected`,
          `order_value_usd`,
          `resolution_time_s`,

          `count`,
          `conversions`,
          `conversion_rate`,
          `revenue`,
          `resolved_count`,
          `escalated_count`,
          `deflected_count`,
          `resolution_time_mean_s`,
        ],
      },
      {
        join_path: feedback,
        prefix: true,
        includes: [
          `thumbs_up`, `thumbs_down`, `rating_mean`, `csat`,
          `thumbs_up_count`, `thumbs_down_count`, `thumbs_up_rate`, `csat_count`, `csat_mean`,
        ],
      },
      {
        join_path: llm_calls,
        prefix: true,
        alias: `call`,
        includes: [
          `event_id`,
          `project`,
          ...(customerData ? [`customer_ref`] : []),
          `occurred_at`, `status`, `error_type`, `latency_ms`, `time_to_first_token_ms`,
          `count`, `errors`, `error_rate`, `latency_mean_ms`, `latency_p95_exact_ms`,
          `ttft_mean_ms`, `input_tokens`, `output_tokens`, `cached_input_tokens`, `cost`,
          `calls_from_price_table`,
        ],
      },
      {
        join_path: outcome_metrics,
        prefix: true,
        alias: `outcome`,
        includes: [
          `event_id`,
          ...(customerData ? [`customer_ref`, `user_id`] : []),
          `occurred_at`, `metric_name`, `metric_value`, `conversation_id`, `source`, `events`,
          `value_mean`,
        ],
      },
    ],
  });
}
