// marts.fct_conversations: one row per conversation (docs/contracts.md), for drill-down.
//
// Compiled once per role (COMPILE_CONTEXT, see contextToAppId in cube.js): customer-identifying
// dimensions exist only in the schemas of the roles that may see customer data (access.js).
// `require('../x')` in a model file resolves against the model folder: semantic_layer/x.js.
const access = require('../access');
const { measure, dimension } = require('../metrics');

const { role } = COMPILE_CONTEXT.securityContext || {};
const SEES_CUSTOMER_DATA = access.policyFor(role).customerData;

cube(`conversations`, {
  sql_table: `marts.fct_conversations`,
  public: false,
  title: `Conversations`,
  description: `One row per conversation with its dimensions and outcomes.`,

  measures: {
    count: { type: `count`, ...measure(`conversations`) },
    conversions: {
      type: `count`,
      filters: [{ sql: `${CUBE}.converted` }],
      ...measure(`conversions`),
    },
    conversion_rate: {
      type: `number`,
      sql: `1.0 * ${CUBE.conversions} / NULLIF(${CUBE.count}, 0)`,
      ...measure(`conversion_rate`),
    },
    revenue: { type: `sum`, sql: `order_value_usd`, ...measure(`revenue`) },
    resolution_time_mean_s: {
      type: `avg`,
      sql: `resolution_time_s`,
      ...measure(`resolution_time_mean_s`),
    },
  },

  dimensions: {
    conversation_id: {
      sql: `conversation_id`,
      type: `string`,
      primary_key: true,
      public: true,
      ...dimension(`conversation_id`),
    },
    // Customer-identifying: only in the schemas of the roles that may see customer data.
    ...(SEES_CUSTOMER_DATA ? {
      customer_ref: { sql: `customer_ref`, type: `string`, ...dimension(`customer_ref`) },
      contact_id: { sql: `contact_id`, type: `string`, ...dimension(`contact_id`) },
    } : {}),
    started_at: { sql: `started_at`, type: `time`, ...dimension(`started_at`) },
    date_day: { sql: `date_day`, type: `time`, ...dimension(`date_day`) },
    experiment_id: { sql: `experiment_id`, type: `string`, ...dimension(`experiment_id`) },
    variant: { sql: `variant`, type: `string`, ...dimension(`variant`) },
    prompt_version: { sql: `prompt_version`, type: `string`, ...dimension(`prompt_version`) },
    llm_model: { sql: `llm_model`, type: `string`, ...dimension(`llm_model`) },
    intent: { sql: `intent`, type: `string`, ...dimension(`intent`) },
    converted: { sql: `converted`, type: `boolean`, ...dimension(`converted`) },
    escalated: { sql: `escalated`, type: `boolean`, ...dimension(`escalated`) },
    order_value_usd: { sql: `order_value_usd`, type: `number`, ...dimension(`order_value_usd`) },
    resolution_time_s: {
      sql: `resolution_time_s`,
      type: `number`,
      ...dimension(`resolution_time_s`),
    },
  },
});
