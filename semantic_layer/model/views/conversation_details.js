// Drill-down to single conversations, for the roles whose views include it (access.js).
// Customer-identifying fields are part of it only for the roles that may see customer data.
const access = require('../access');

const { role } = COMPILE_CONTEXT.securityContext || {};
const policy = access.policyFor(role);

if (policy.views.includes('conversation_details')) {
  view(`conversation_details`, {
    title: `Conversation details`,
    description: `Single conversations with their dimensions and outcomes, for troubleshooting.`,
    cubes: [
      {
        join_path: conversations,
        includes: [
          `conversation_id`,
          ...(policy.customerData ? [`customer_ref`, `contact_id`] : []),
          `started_at`,
          `date_day`,
          `experiment_id`,
          `variant`,
          `prompt_version`,
          `llm_model`,
          `intent`,
          `converted`,
          `escalated`,
          `order_value_usd`,
          `resolution_time_s`,

          `count`,
          `conversions`,
          `conversion_rate`,
          `revenue`,
          `resolution_time_mean_s`,
        ],
      },
    ],
  });
}
