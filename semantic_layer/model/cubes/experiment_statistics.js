// insights.experiment_statistics (analytics/experiment_stats.py): per comparison, p-values raw and
// adjusted (Holm, Benjamini-Hochberg), the Bayesian chance to beat control and expected loss, the
// always-valid (peeking-safe) 95% interval, and for running experiments the MDE and days to detect;
// the experiment's SRM p-value; CUPED on the pre-period covariate (variance reduction, adjusted
// difference and interval).
const { text, number, flag } = require('../metrics');

cube(`experiment_statistics`, {
  sql_table: `insights.experiment_statistics`,
  public: false,
  title: `Experiment statistics`,
  description: `Adjusted p-values, Bayesian and always-valid results beside each comparison.`,

  dimensions: {
    statistics_key: {
      sql: `${CUBE}.experiment_id || '|' || ${CUBE}.metric_name || '|' || ${CUBE}.variant`,
      type: `string`,
      primary_key: true,
      public: false,
    },
    p_value: number(`p_value`),
    p_value_holm: number(`p_value_holm`),
    p_value_bh: number(`p_value_bh`),
    chance_to_beat_control: number(`chance_to_beat_control`),
    expected_loss: number(`expected_loss`),
    always_valid_ci_low: number(`always_valid_ci_low`),
    always_valid_ci_high: number(`always_valid_ci_high`),
    always_valid_significant: flag(`always_valid_significant`),
    minimum_detectable_effect: number(`minimum_detectable_effect`),
    is_running: flag(`is_running`),
    days_to_detect: number(`days_to_detect`),
    srm_p_value: number(`srm_p_value`),
    cuped_covariate: text(`cuped_covariate`),
    cuped_units_with_history: number(`cuped_units_with_history`),
    cuped_variance_reduction: number(`cuped_variance_reduction`),
    cuped_difference: number(`cuped_difference`),
    cuped_ci_low: number(`cuped_ci_low`),
    cuped_ci_high: number(`cuped_ci_high`),
  },
});
