// marts.fct_outcome_metrics: generic outcome metrics in long form (CSV upload, API, CRM).
// Sums and means are meaningful per metric_name: views expose metric_name to cut by.
const access = require('../access');
const { measure, dimension, text } = require('../metrics');

const { role } = COMPILE_CONTEXT.securityContext || {};
const SEES_CUSTOMER_DATA = access.policyFor(role).customerData;

cube(`outcome_metrics`, {
  sql_table: `marts.fct_outcome_metrics`,
  public: false,
  title: `Outcome metrics`,
  description: `Outcome metric values recorded per event, in long form.`,

  measures: {
    events: { type: `count`, ...measure(`outcome_events`) },
    value_sum: { type: `sum`, sql: `metric_value`, ...measure(`outcome_value_sum`) },
    value_mean: {
      type: `number`,
      sql: `1.0 * ${CUBE.value_sum} / NULLIF(${CUBE.events}, 0)`,
      ...measure(`outcome_value_mean`),
    },
  },

  dimensions: {
    event_id: { sql: `event_id`, type: `string`, primary_key: true, public: true, ...dimension(`event_id`) },
    ...(SEES_CUSTOMER_DATA ? {
      customer_ref: text(`customer_ref`),
      user_id: text(`user_id`),
    } : {}),
    occurred_at: { sql: `occurred_at`, type: `time`, ...dimension(`occurred_at`) },
    date_day: { sql: `date_day`, type: `time`, ...dimension(`date_day`) },
    experiment_id: text(`experiment_id`),
    metric_name: text(`metric_name`),
    metric_value: { sql: `metric_value`, type: `number`, ...dimension(`metric_value`) },
    intent: text(`intent`),
    capability: text(`capability`),
    action: text(`action`),
    llm_model: text(`llm_model`),
    conversation_id: text(`conversation_id`),
    source: text(`source`),
  },
});
