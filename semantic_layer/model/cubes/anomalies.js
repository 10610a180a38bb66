// insights.anomalies, written by the anomalies asset: each anomaly with its baseline, the observed
// value and the dimension slices that contributed most to the change.
const { measure, dimension, text, number } = require('../metrics');

cube(`anomalies`, {
  sql_table: `insights.anomalies`,
  public: false,
  title: `Anomalies`,
  description: `Anomalies detected in the governed metrics, with baselines and contributors.`,

  measures: {
    count: { type: `count`, ...measure(`anomalies`) },
    critical: {
      type: `count`,
      filters: [{ sql: `${CUBE}.severity = 'critical'` }],
      ...measure(`critical_anomalies`),
    },
  },

  dimensions: {
    anomaly_id: { sql: `anomaly_id`, type: `string`, primary_key: true, public: true, ...dimension(`anomaly_id`) },
    detected_at: { sql: `detected_at`, type: `time`, ...dimension(`detected_at`) },
    date_day: { sql: `date_day`, type: `time`, ...dimension(`date_day`) },
    metric_name: text(`metric_name`),
    segment_dimension: text(`segment_dimension`),
    segment_value: text(`segment_value`),
    observed: number(`observed`),
    expected: number(`expected`),
    lower: number(`lower`),
    upper: number(`upper`),
    rule: text(`rule`),
    severity: text(`severity`),
    volume: number(`volume`),
    contributors: { sql: `contributors::text`, type: `string`, ...dimension(`contributors`) },
    top_contributor_dimension: text(`top_contributor_dimension`),
    top_contributor_value: text(`top_contributor_value`),
  },
});
