// Prompt-variant comparison: conversion rate and friends by experiment, variant, prompt version,
// intent and day. Every measure is defined once, in the attribution_daily cube.
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
        `date_day`,

        `conversations`,
        `conversions`,
        `conversion_rate`,
        `revenue`,
        `average_order_value`,
        `revenue_per_conversation`,
        `escalation_rate`,
        `deflection_rate`,
        `thumbs_up_rate`,
        `csat`,
        `llm_calls`,
        `error_rate`,
        `latency_mean_ms`,
        `cost`,
        `cost_per_conversion`,
      ],
    },
  ],
});
