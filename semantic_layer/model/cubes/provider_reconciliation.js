// marts.fct_provider_reconciliation: per day × provider × model, the providers' own usage beside
// the logged calls' totals; the differences are logged minus provider (a negative one: calls the
// provider served that were never logged).
const { measure, dimension } = require('../metrics');

const sum = (column, name) => ({ type: `sum`, sql: () => column, ...measure(name) });

cube(`provider_reconciliation`, {
  sql_table: `marts.fct_provider_reconciliation`,
  public: false,
  title: `Provider reconciliation`,
  description: `Providers' own usage and its cost beside the logged calls' totals, per day and model.`,

  measures: {
    provider_requests: sum(`provider_requests`, `provider_requests`),
    provider_input_tokens: sum(`provider_input_tokens`, `provider_input_tokens`),
    provider_output_tokens: sum(`provider_output_tokens`, `provider_output_tokens`),
    provider_cost: sum(`provider_cost_usd`, `provider_cost`),
    llm_calls: sum(`logged_calls`, `llm_calls`),
    input_tokens: sum(`logged_input_tokens`, `input_tokens`),
    output_tokens: sum(`logged_output_tokens`, `output_tokens`),
    cost: sum(`logged_cost_usd`, `cost`),
    requests_difference: sum(`requests_difference`, `requests_difference`),
    input_tokens_difference: sum(`input_tokens_difference`, `input_tokens_difference`),
    output_tokens_difference: sum(`output_tokens_difference`, `output_tokens_difference`),
    cost_difference: sum(`cost_usd_difference`, `cost_difference`),
  },

  dimensions: {
    key: {
      sql: `date_day || ':' || llm_provider || ':' || llm_model`, type: `string`, primary_key: true,
      ...dimension(`reconciliation_key`),
    },
    date_day: { sql: `date_day`, type: `time`, ...dimension(`date_day`) },
    llm_provider: { sql: `llm_provider`, type: `string`, ...dimension(`llm_provider`) },
    llm_model: { sql: `llm_model`, type: `string`, ...dimension(`llm_model`) },
  },
});
