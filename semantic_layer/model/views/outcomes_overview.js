// Business outcomes at a glance, by day, experiment, variant, intent, capability and action.
view(`outcomes_overview`, {
  title: `Outcomes overview`,
  description: `Conversion, order value, deflection, escalation and satisfaction over time and by segment.`,
  cubes: [
    {
      join_path: attribution_daily,
      includes: [
        `date_day`,
        `experiment_id`,
        `variant`,
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
        `thumbs_up_rate`,
        `csat`,
        `cost`,
        `cost_per_conversion`,
      ],
    },
  ],
});
