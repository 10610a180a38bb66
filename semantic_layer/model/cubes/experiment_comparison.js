// marts.fct_experiment_comparison: one row per experiment x metric x non-control variant, with the
// difference to control, its 95% confidence interval and the sample sizes (docs/design.md §3: never a
// bare ratio). The figures are computed by dbt; here they are dimensions to read, not to sum. Each row
// carries its experiment's registration status and whether its variant is registered or only seen.
const { measure, text, number, flag } = require('../metrics');

cube(`experiment_comparison`, {
  sql_table: `marts.fct_experiment_comparison`,
  public: false,
  title: `Experiment comparison`,
  description: `Each variant against control per experiment and metric, with a 95% confidence interval.`,

  joins: {
    experiment_statistics: {
      relationship: `one_to_one`,
      sql: `${CUBE}.experiment_id = ${experiment_statistics}.experiment_id
        AND ${CUBE}.metric_name = ${experiment_statistics}.metric_name
        AND ${CUBE}.variant = ${experiment_statistics}.variant`,
    },
    experiment_srm: {
      relationship: `many_to_one`,
      sql: `${CUBE}.experiment_id = ${experiment_srm}.experiment_id`,
    },
  },

  measures: {
    comparisons: { type: `count`, ...measure(`comparisons`) },
    significant_comparisons: {
      type: `count`,
      filters: [{ sql: `${CUBE}.significant` }],
      ...measure(`significant_comparisons`),
    },
  },

  dimensions: {
    comparison_key: {
      sql: `${CUBE}.experiment_id || '|' || ${CUBE}.metric_name || '|' || ${CUBE}.variant`,
      type: `string`,
      primary_key: true,
      public: false,
    },
    experiment_id: text(`experiment_id`),
    metric_name: text(`metric_name`),
    variant: text(`variant`),
    control_variant: text(`control_variant`),
    n_control: number(`n_control`),
    n_variant: number(`n_variant`),
    control_value: number(`control_value`),
    variant_value: number(`variant_value`),
    difference: number(`difference`),
    ci_low: number(`ci_low`),
    ci_high: number(`ci_high`),
    method: text(`method`),
    significant: flag(`significant`),
    underpowered: flag(`underpowered`),
    // what decides whether to trust the row, carried by the row itself (dbt joins them in)
    registration_status: text(`registration_status`),
    variant_registration: text(`variant_registration`),
  },
});
