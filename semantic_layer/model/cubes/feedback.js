// Feedback per conversation (thumbs, rating, CSAT), over marts.fct_conversations: there is no
// separate feedback mart. The governed feedback rates over time live in attribution_daily; this
// cube serves drill-down next to the conversation (joined one-to-one from `conversations`).
const { measure, dimension } = require('../metrics');

cube(`feedback`, {
  sql_table: `marts.fct_conversations`,
  public: false,
  title: `Feedback`,
  description: `Thumbs, ratings and CSAT given in each conversation.`,

  measures: {
    // Measure names differ from the per-conversation dimensions of the same columns.
    thumbs_up_count: { type: `sum`, sql: `thumbs_up`, ...measure(`thumbs_up`) },
    thumbs_down_count: { type: `sum`, sql: `thumbs_down`, ...measure(`thumbs_down`) },
    thumbs_up_rate: {
      type: `number`,
      sql: `1.0 * ${CUBE.thumbs_up_count} / NULLIF(${CUBE.thumbs_up_count} + ${CUBE.thumbs_down_count}, 0)`,
      ...measure(`thumbs_up_rate`),
    },
    csat_count: { type: `count`, sql: `csat`, ...measure(`csat_count`) },
    csat_sum: { type: `sum`, sql: `csat`, ...measure(`csat_sum`) },
    csat_mean: {
      type: `number`,
      sql: `1.0 * ${CUBE.csat_sum} / NULLIF(${CUBE.csat_count}, 0)`,
      ...measure(`csat`),
    },
  },

  dimensions: {
    conversation_id: {
      sql: `conversation_id`,
      type: `string`,
      primary_key: true,
      ...dimension(`conversation_id`),
    },
    thumbs_up: { sql: `thumbs_up`, type: `number`, ...dimension(`thumbs_up`) },
    thumbs_down: { sql: `thumbs_down`, type: `number`, ...dimension(`thumbs_down`) },
    rating_mean: { sql: `rating_mean`, type: `number`, ...dimension(`rating_mean`) },
    csat: { sql: `csat`, type: `number`, ...dimension(`csat`) },
  },
});
