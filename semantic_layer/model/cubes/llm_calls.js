// marts.live_llm_calls (fct_llm_calls and the newest calls): one row per LLM call (docs/contracts.md), the call log for drill-down.
// Rates over time for dashboards come from attribution_daily (additive parts, same wording);
// here the latency percentile is exact (percentile_cont) because single calls are at hand.
const access = require('../access');
const { measure, dimension, text, number } = require('../metrics');

const { role } = COMPILE_CONTEXT.securityContext || {};
const SEES_CUSTOMER_DATA = access.policyFor(role).customerData;

cube(`llm_calls`, {
  // The lambda view (docs/live.md): the mart plus the calls loaded since its last run, each once.
  sql_table: `marts.live_llm_calls`,
  // A new load of calls (the loader commits one every ~2 s while calls arrive; max over an index)
  // invalidates the cache; the key is checked every 2 s. A mart run changes the answer only for calls
  // older than the view's recent hours, so the mart's write counter (statistics, flushed within
  // seconds) is enough for those.
  refresh_key: {
    every: `2 second`,
    sql: `SELECT concat((SELECT max(_dlt_load_id) FROM raw.llm_calls), ':', (SELECT n_tup_ins + n_tup_del
      FROM pg_stat_user_tables WHERE relid = to_regclass('marts.fct_llm_calls')))`,
  },
  public: false,
  title: `LLM calls`,
  description: `One row per LLM call with its latency, tokens, cost and status.`,

  measures: {
    count: { type: `count`, ...measure(`llm_calls`) },
    errors: {
      type: `count`,
      filters: [{ sql: `${CUBE}.is_error` }],
      ...measure(`llm_errors`),
    },
    error_rate: {
      type: `number`,
      sql: `1.0 * ${CUBE.errors} / NULLIF(${CUBE.count}, 0)`,
      ...measure(`error_rate`),
    },
    latency_ms_sum: { type: `sum`, sql: `latency_ms`, ...measure(`latency_ms_sum`) },
    latency_mean_ms: {
      type: `number`,
      sql: `1.0 * ${CUBE.latency_ms_sum} / NULLIF(${CUBE.count}, 0)`,
      ...measure(`latency_mean_ms`),
    },
    latency_p95_exact_ms: {
      type: `number`,
      sql: `percentile_cont(0.95) WITHIN GROUP (ORDER BY ${CUBE.latency_ms})`,
      ...measure(`latency_p95_exact_ms`),
    },
    ttft_ms_sum: { type: `sum`, sql: `time_to_first_token_ms`, ...measure(`ttft_ms_sum`) },
    ttft_mean_ms: {
      type: `number`,
      sql: `1.0 * ${CUBE.ttft_ms_sum} / NULLIF(${CUBE.count}, 0)`,
      ...measure(`ttft_mean_ms`),
    },
    input_tokens: { type: `sum`, sql: `input_tokens`, ...measure(`input_tokens`) },
    output_tokens: { type: `sum`, sql: `output_tokens`, ...measure(`output_tokens`) },
    cached_input_tokens: {
      type: `sum`,
      sql: `cached_input_tokens`,
      ...measure(`cached_input_tokens`),
    },
    cost: { type: `sum`, sql: `cost_usd`, ...measure(`cost`) },
    calls_from_price_table: {
      type: `count`,
      filters: [{ sql: `${CUBE}.cost_from_price_table` }],
      ...measure(`calls_from_price_table`),
    },
  },

  dimensions: {
    // A call is one (project, event_id): the same event_id sent by two projects is two calls.
    call_key: { sql: `${CUBE}.project || '/' || ${CUBE}.event_id`, type: `string`, primary_key: true, public: false },
    event_id: text(`event_id`),
    project: text(`project`),
    ...(SEES_CUSTOMER_DATA ? { customer_ref: text(`customer_ref`) } : {}),
    occurred_at: { sql: `occurred_at`, type: `time`, ...dimension(`occurred_at`) },
    date_day: { sql: `date_day`, type: `time`, ...dimension(`date_day`) },
    conversation_id: text(`conversation_id`),
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
    status: text(`status`),
    error_type: text(`error_type`),
    latency_ms: number(`latency_ms`),
    time_to_first_token_ms: number(`time_to_first_token_ms`),
  },
});
