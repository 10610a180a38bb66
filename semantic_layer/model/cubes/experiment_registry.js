// marts.dim_experiments: one row per experiment seen in the data or registered (ops.experiments), with
// its registration (expected split, prompt versions, primary and guardrail metrics, period) or the mark
// "unregistered". Its own root in the experiments view, so every experiment is listed, compared or not.
const { dimension, text } = require('../metrics');

// The registered period as ISO dates (text), not time dimensions: Cube 0.33's GraphQL declares a time
// dimension's granularities non-nullable, so a running experiment's empty end date would fail every
// GraphQL query that selects it.
const day = (name) => ({ sql: () => `to_char(${name}, 'YYYY-MM-DD')`, type: `string`, ...dimension(name) });

cube(`experiment_registry`, {
  sql_table: `marts.dim_experiments`,
  public: false,
  title: `Experiment registry`,
  description: `Every experiment seen or registered, with its registration or marked unregistered.`,

  dimensions: {
    experiment_id: { sql: `experiment_id`, type: `string`, primary_key: true, ...dimension(`experiment_id`) },
    registration_status: text(`registration_status`),
    experiment_name: text(`experiment_name`),
    registered_variants: text(`registered_variants`),
    primary_metric: text(`primary_metric`),
    guardrail_metrics: text(`guardrail_metrics`),
    starts_on: day(`starts_on`),
    ends_on: day(`ends_on`),
  },
});
