// Read-only standard reports: headline figures per day (or week, month), experiment, variant and
// intent. Nothing below a segment, nothing about a single conversation or customer.
const access = require('../access');

const { role } = COMPILE_CONTEXT.securityContext || {};

if (access.canSeeView(role, `standard_reports`)) {
  view(`standard_reports`, {
    title: `Standard reports`,
    description: `Headline outcome figures over time by experiment, variant and intent.`,
    cubes: [
      {
        join_path: attribution_daily,
        includes: [
          `date_day`,
          `experiment_id`,
          `variant`,
          `intent`,

          `conversations`,
          `conversions`,
          `conversion_rate`,
          `revenue`,
          `average_order_value`,
          `deflection_rate`,
          `escalation_rate`,
          `resolution_time_mean_s`,
          `thumbs_up_rate`,
          `csat`,
          `cost`,
        ],
      },
    ],
  });
}
