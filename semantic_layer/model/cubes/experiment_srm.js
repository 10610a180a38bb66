// marts.fct_experiment_srm: one row per experiment, the sample-ratio-mismatch test of its observed split
// (chi-square against an equal split, flagged below p = 0.001). Joined to each comparison: an SRM makes
// that comparison untrustworthy, so it is shown beside it.
const { dimension, number } = require('../metrics');

cube(`experiment_srm`, {
  sql_table: `marts.fct_experiment_srm`,
  public: false,
  title: `Sample ratio mismatch`,
  description: `Each experiment's observed split against the expected one (chi-square, flagged below p = 0.001).`,

  dimensions: {
    experiment_id: { sql: `experiment_id`, type: `string`, primary_key: true, public: false },
    srm_chi_square: number(`srm_chi_square`),
    srm_critical_value: number(`srm_critical_value`),
    smallest_share: number(`smallest_share`),
    expected_split: { sql: `expected_split`, type: `string`, ...dimension(`expected_split`) },
    sample_ratio_mismatch: { sql: `sample_ratio_mismatch`, type: `boolean`, ...dimension(`sample_ratio_mismatch`) },
  },
});
