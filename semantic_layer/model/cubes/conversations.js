// marts.fct_conversations: one row per conversation (docs/contracts.md), for drill-down.
//
// Compiled once per role (COMPILE_CONTEXT, see contextToAppId in cube.js): customer-identifying
// dimensions exist only in the schemas of the roles that may see customer data (access.js).
// Its measures are per-conversation counts; the governed rates for dashboards live in
// attribution_daily (same definitions, additive parts).
// `require('../x')` in a model file resolves against the model folder: semantic_layer/x.js.
const access = require('../access');
const { measure, dimension, text, flag } = require('../metrics');

const { role } = COMPILE_CONTEXT.securityContext || {};
const SEES_CUSTOMER_DATA = access.policyFor(role).customerData;

cube(`conversations`, {
  sql_table: `marts.fct_conversations`,
  public: false,
  title: `Conversations`,
  description: `One row per conversation with its dimensions and outcomes.`,

  joins: {
    feedback: {
      relationship: `one_to_one`,
      sql: `${CUBE}.conversation_id = ${feedback}.conversation_id`,
    },
    llm_calls: {
      relationship: `one_to_many`,
      sql: `${CUBE}.conversation_id = ${llm_calls}.conversation_id`,
    },
  },

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
    resolved_count: {
      type: `count`,
      filters: [{ sql: `${CUBE}.resolved` }],
      ...measure(`resolved`),
    },
    escalated_count: {
      type: `count`,
      filters: [{ sql: `${CUBE}.escalated` }],
      ...measure(`escalated`),
    },
    deflected_count: {
      type: `count`,
      filters: [{ sql: `${CUBE}.deflected` }],
      ...measure(`deflected`),
    },
    resolution_time_mean_s: {
      type: `avg`,
      sql: `resolution_time_s`,
      ...measure(`resolution_time_mean_s`),
    },
    llm_calls: { type: `sum`, sql: `llm_calls`, ...measure(`llm_calls`) },
    llm_errors: { type: `sum`, sql: `llm_errors`, ...measure(`llm_errors`) },
    cost: { type: `sum`, sql: `cost_usd`, ...measure(`cost`) },
  },

  dimensions: {
    conversation_id: {
      sql: `conversation_id`,
      type: `string`,
      primary_key: true,
      public: true,
      ...dimension(`conversation_id`),
    },
    project: text(`project`),
    // Customer-identifying: only in the schemas of the roles that may see customer data.
    ...(SEES_CUSTOMER_DATA ? {
      customer_ref: text(`customer_ref`),
      contact_id: text(`contact_id`),
      deal_id: text(`deal_id`),
    } : {}),
    started_at: { sql: `started_at`, type: `time`, ...dimension(`started_at`) },
    date_day: { sql: `date_day`, type: `time`, ...dimension(`date_day`) },
    experiment_id: text(`experiment_id`),
    variant: text(`variant`),
    prompt_id: text(`prompt_id`),
    prompt_version: text(`prompt_version`),
    config_hash: text(`config_hash`),
    llm_provider: text(`llm_provider`),
    llm_model: text(`llm_model`),
    intent: text(`intent`),
    capability: text(`capability`),
    action: text(`action`),
    converted: flag(`converted`),
    attribution_reason: text(`attribution_reason`),
    resolved: flag(`resolved`),
    escalated: flag(`escalated`),
    deflected: flag(`deflected`),
    order_value_usd: { sql: `order_value_usd`, type: `number`, ...dimension(`order_value_usd`) },
    resolution_time_s: {
      sql: `resolution_time_s`,
      type: `number`,
      ...dimension(`resolution_time_s`),
    },
  },
});
