// marts.fct_attribution_daily: additive parts per day x dimension combination (docs/contracts.md).
//
// The governed metrics (docs/design.md §4) are defined here once. Every rate and mean is a ratio of
// sums of parts, so it re-aggregates without bias over any filter or grouping: the conversion
// rate of two days is sum(conversions) / sum(conversations), never the mean of the daily rates.
// ratios.js builds those ratios and names their parts in meta.ratio, which analytics/ reads from
// the compiled model (outcomelens/core/semantic_layer.py) to re-aggregate the same measures for
// forecasts and anomalies; it also builds the conversion rate's 95% Wilson bounds.
// Titles, descriptions and formats come from metrics.js (the wording the dbt docs repeat).
// Members are referenced as ${CUBE.member}: a bare ${conversations} would name the
// `conversations` cube, not this cube's measure.
// `require('../x')` in a model file resolves against the model folder: semantic_layer/x.js.
const { measure, dimension } = require('../metrics');
const { ratioMeasure, wilsonBound } = require('../ratios');
const {
  LATENCY_EDGES_MS, RESOLUTION_EDGES_S, bucketMeasures, percentileMeasure,
} = require('../percentiles');

// Rebuild the rollups whenever dbt rebuilds the mart: a full build swaps in a new relation (new
// oid); an incremental run stamps the days it rebuilt (refreshed_at), even when only a deal's
// credit moved and no count changed.
const MART_VERSION_SQL = `SELECT 'marts.fct_attribution_daily'::regclass::oid::text || ':' || count(*)
  || ':' || COALESCE(sum(conversations), 0) || ':' || COALESCE(sum(llm_calls), 0)
  || ':' || COALESCE(max(refreshed_at)::text, '')
  FROM marts.fct_attribution_daily`;

// The additive parts the rollups carry, so that every ratio and percentile of the views can be
// answered from them (Cube decomposes a `number` measure into the sums it references).
// Two rollups per use: the foundation's parts, and the same with the parts added later (time to
// first token, ratings, cumulative histograms for percentiles). Cube takes the first rollup that
// answers a query, so most queries read the narrow one, and a warehouse whose mart predates the
// histogram columns still gets its outcome queries pre-aggregated.
const CORE_PARTS = [
  'conversations', 'conversions', 'revenue', 'resolved', 'escalated', 'deflected', 'abandoned',
  'resolution_time_s_sum', 'llm_calls', 'llm_errors', 'latency_ms_sum', 'input_tokens',
  'output_tokens', 'cost', 'thumbs_up', 'thumbs_total', 'csat_sum', 'csat_count',
];
const ALL_PARTS = [
  ...CORE_PARTS,
  'ttft_ms_sum', 'cached_input_tokens', 'thumbs_down', 'rating_sum', 'rating_count',
  ...LATENCY_EDGES_MS.map((edge) => `latency_le_${edge}`),
  ...RESOLUTION_EDGES_S.map((edge) => `resolution_le_${edge}`),
];

cube(`attribution_daily`, {
  sql_table: `marts.fct_attribution_daily`,
  public: false,
  title: `Attribution (daily)`,
  description: `Outcomes and LLM usage per day and dimension combination, as additive parts.`,

  measures: {
    conversations: { type: `sum`, sql: `conversations`, ...measure(`conversations`) },
    conversions: { type: `sum`, sql: `conversions`, ...measure(`conversions`) },
    conversion_rate: ratioMeasure(`conversions`, `conversations`, measure(`conversion_rate`)),
    conversion_rate_ci_low: wilsonBound(
      { successes: `conversions`, trials: `conversations`, bound: `lower` },
      measure(`conversion_rate_ci_low`),
    ),
    conversion_rate_ci_high: wilsonBound(
      { successes: `conversions`, trials: `conversations`, bound: `upper` },
      measure(`conversion_rate_ci_high`),
    ),
    revenue: { type: `sum`, sql: `order_value_sum`, ...measure(`revenue`) },
    average_order_value: ratioMeasure(`revenue`, `conversions`, measure(`average_order_value`)),
    revenue_per_conversation: ratioMeasure(`revenue`, `conversations`, measure(`revenue_per_conversation`)),

    resolved: { type: `sum`, sql: `resolved`, ...measure(`resolved`) },
    escalated: { type: `sum`, sql: `escalated`, ...measure(`escalated`) },
    deflected: { type: `sum`, sql: `deflected`, ...measure(`deflected`) },
    abandoned: { type: `sum`, sql: `abandoned`, ...measure(`abandoned`) },
    escalation_rate: ratioMeasure(`escalated`, `conversations`, measure(`escalation_rate`)),
    deflection_rate: ratioMeasure(`deflected`, `conversations`, measure(`deflection_rate`)),

    llm_calls: { type: `sum`, sql: `llm_calls`, ...measure(`llm_calls`) },
    llm_errors: { type: `sum`, sql: `llm_errors`, ...measure(`llm_errors`) },
    error_rate: ratioMeasure(`llm_errors`, `llm_calls`, measure(`error_rate`)),
    latency_ms_sum: { type: `sum`, sql: `latency_ms_sum`, ...measure(`latency_ms_sum`) },
    latency_mean_ms: ratioMeasure(`latency_ms_sum`, `llm_calls`, measure(`latency_mean_ms`)),
    input_tokens: { type: `sum`, sql: `input_tokens`, ...measure(`input_tokens`) },
    output_tokens: { type: `sum`, sql: `output_tokens`, ...measure(`output_tokens`) },
    cost: { type: `sum`, sql: `cost_usd`, ...measure(`cost`) },
    cost_per_conversion: ratioMeasure(`cost`, `conversions`, measure(`cost_per_conversion`)),

    thumbs_up: { type: `sum`, sql: `thumbs_up`, ...measure(`thumbs_up`) },
    thumbs_total: { type: `sum`, sql: `thumbs_total`, ...measure(`thumbs_total`) },
    thumbs_up_rate: ratioMeasure(`thumbs_up`, `thumbs_total`, measure(`thumbs_up_rate`)),
    csat_sum: { type: `sum`, sql: `csat_sum`, ...measure(`csat_sum`) },
    csat_count: { type: `sum`, sql: `csat_count`, ...measure(`csat_count`) },
    csat: ratioMeasure(`csat_sum`, `csat_count`, measure(`csat`)),
    thumbs_down: { type: `sum`, sql: `thumbs_down`, ...measure(`thumbs_down`) },
    rating_sum: { type: `sum`, sql: `rating_sum`, ...measure(`rating_sum`) },
    rating_count: { type: `sum`, sql: `rating_count`, ...measure(`rating_count`) },
    average_rating: ratioMeasure(`rating_sum`, `rating_count`, measure(`average_rating`)),

    resolution_time_s_sum: {
      type: `sum`,
      sql: `resolution_time_s_sum`,
      ...measure(`resolution_time_s_sum`),
    },
    resolution_time_mean_s: ratioMeasure(`resolution_time_s_sum`, `resolved`, measure(`resolution_time_mean_s`)),
    resolution_time_p50_s: {
      ...percentileMeasure({
        prefix: 'resolution', edges: RESOLUTION_EDGES_S, total: 'resolved', q: 0.5,
      }),
      ...measure(`resolution_time_p50_s`),
    },
    resolution_time_p90_s: {
      ...percentileMeasure({
        prefix: 'resolution', edges: RESOLUTION_EDGES_S, total: 'resolved', q: 0.9,
      }),
      ...measure(`resolution_time_p90_s`),
    },
    latency_p50_ms: {
      ...percentileMeasure({
        prefix: 'latency', edges: LATENCY_EDGES_MS, total: 'llm_calls', q: 0.5,
      }),
      ...measure(`latency_p50_ms`),
    },
    latency_p95_ms: {
      ...percentileMeasure({
        prefix: 'latency', edges: LATENCY_EDGES_MS, total: 'llm_calls', q: 0.95,
      }),
      ...measure(`latency_p95_ms`),
    },
    ttft_ms_sum: { type: `sum`, sql: `ttft_ms_sum`, ...measure(`ttft_ms_sum`) },
    ttft_mean_ms: ratioMeasure(`ttft_ms_sum`, `llm_calls`, measure(`ttft_mean_ms`)),
    cached_input_tokens: {
      type: `sum`,
      sql: `cached_input_tokens`,
      ...measure(`cached_input_tokens`),
    },
    total_tokens: {
      type: `number`,
      sql: `${CUBE.input_tokens} + ${CUBE.output_tokens}`,
      ...measure(`total_tokens`),
    },
    cost_per_conversation: ratioMeasure(`cost`, `conversations`, measure(`cost_per_conversation`)),

    // Cumulative histogram counts: the parts of the percentiles above (no view lists them).
    ...bucketMeasures('latency', LATENCY_EDGES_MS),
    ...bucketMeasures('resolution', RESOLUTION_EDGES_S),
  },

  dimensions: {
    experiment_id: { sql: `experiment_id`, type: `string`, ...dimension(`experiment_id`) },
    variant: { sql: `variant`, type: `string`, ...dimension(`variant`) },
    prompt_id: { sql: `prompt_id`, type: `string`, ...dimension(`prompt_id`) },
    prompt_version: { sql: `prompt_version`, type: `string`, ...dimension(`prompt_version`) },
    config_hash: { sql: `config_hash`, type: `string`, ...dimension(`config_hash`) },
    llm_provider: { sql: `llm_provider`, type: `string`, ...dimension(`llm_provider`) },
    llm_model: { sql: `llm_model`, type: `string`, ...dimension(`llm_model`) },
    intent: { sql: `intent`, type: `string`, ...dimension(`intent`) },
    capability: { sql: `capability`, type: `string`, ...dimension(`capability`) },
    action: { sql: `action`, type: `string`, ...dimension(`action`) },
    date_day: { sql: `date_day`, type: `time`, ...dimension(`date_day`) },
  },

  // Kept in the warehouse (external: false: no Cube Store here), built by the refresh worker,
  // shared by every role (contextToOrchestratorId). Queries that need a dimension a rollup lacks
  // read the mart itself, with the same definitions.
  pre_aggregations: {
    overview: {
      type: `rollup`,
      external: false,
      measures: CORE_PARTS.map((name) => CUBE[name]),
      dimensions: [CUBE.experiment_id, CUBE.variant, CUBE.intent],
      time_dimension: CUBE.date_day,
      granularity: `day`,
      refresh_key: { sql: MART_VERSION_SQL },
    },
    experiments: {
      type: `rollup`,
      external: false,
      measures: CORE_PARTS.map((name) => CUBE[name]),
      dimensions: [CUBE.experiment_id, CUBE.variant, CUBE.prompt_version, CUBE.llm_model],
      time_dimension: CUBE.date_day,
      granularity: `day`,
      refresh_key: { sql: MART_VERSION_SQL },
    },
    overview_histograms: {
      type: `rollup`,
      external: false,
      measures: ALL_PARTS.map((name) => CUBE[name]),
      dimensions: [CUBE.experiment_id, CUBE.variant, CUBE.intent],
      time_dimension: CUBE.date_day,
      granularity: `day`,
      refresh_key: { sql: MART_VERSION_SQL },
    },
    experiments_histograms: {
      type: `rollup`,
      external: false,
      measures: ALL_PARTS.map((name) => CUBE[name]),
      dimensions: [CUBE.experiment_id, CUBE.variant, CUBE.prompt_version, CUBE.llm_model],
      time_dimension: CUBE.date_day,
      granularity: `day`,
      refresh_key: { sql: MART_VERSION_SQL },
    },
  },
});
