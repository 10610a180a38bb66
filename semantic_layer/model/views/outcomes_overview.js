// Business outcomes at a glance: over time and by segment, with forecasts and the generic outcome
// metrics next to them. Every measure is defined once, in its cube.
const access = require('../access');

const { role } = COMPILE_CONTEXT.securityContext || {};

if (access.canSeeView(role, `outcomes_overview`)) {
  view(`outcomes_overview`, {
    title: `Outcomes overview`,
    description: `Conversion, order value, deflection, escalation, resolution time and satisfaction over time and by segment.`,
    cubes: [
      {
        join_path: attribution_daily,
        includes: [
          `date_day`,
          `experiment_id`,
          `variant`,
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
          `resolved`,
          `escalated`,
          `deflected`,
          `abandoned`,
          `escalation_rate`,
          `deflection_rate`,
          `resolution_time_mean_s`,
          `resolution_time_p50_s`,
          `resolution_time_p90_s`,
          `thumbs_up_rate`,
          `average_rating`,
          `csat`,
          `cost`,
          `cost_per_conversion`,
        ],
      },
      {
        join_path: forecasts,
        prefix: true,
        alias: `forecast`,
        includes: [
          `metric_name`, `segment_dimension`, `segment_value`, `date_day`, `model`, `is_holdout`,
          `observed`, `generated_at`, `points`, `yhat`, `yhat_lower`, `yhat_upper`,
        ],
      },
      {
        join_path: outcome_metrics,
        prefix: true,
        alias: `outcome`,
        includes: [
          `metric_name`, `date_day`, `experiment_id`, `intent`, `capability`, `action`,
          `llm_model`, `source`, `events`, `value_sum`, `value_mean`,
        ],
      },
    ],
  });
}
