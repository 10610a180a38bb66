// The wording of every governed metric and dimension (docs/design.md §4): title, description, format.
//
// The model files take their titles and descriptions from here, so one metric has one wording
// wherever it appears (cubes, views, and the dbt docs, which read this file:
// `node -e "console.log(JSON.stringify(require('./metrics').catalogue()))"`).
// Cube 0.33 views keep a member's description and meta but drop its title and format, so both
// are repeated in `meta` (meta.title, meta.format) for clients that read views.
'use strict';

const MEASURES = {
  conversations: {
    title: 'Conversations',
    description: 'Number of conversations started.',
  },
  conversions: {
    title: 'Conversions',
    description: 'Conversations credited with a closed-won deal of their contact within the attribution window (7 days, last touch).',
  },
  conversion_rate: {
    title: 'Conversion rate',
    format: 'percent',
    description: 'Conversions divided by conversations (sum of conversions / sum of conversations), as a fraction between 0 and 1.',
  },
  conversion_rate_ci_low: {
    title: 'Conversion rate, 95% CI low',
    format: 'percent',
    description: 'Lower end of the 95% Wilson score interval of the conversion rate (from sum of conversions and sum of conversations).',
  },
  conversion_rate_ci_high: {
    title: 'Conversion rate, 95% CI high',
    format: 'percent',
    description: 'Upper end of the 95% Wilson score interval of the conversion rate (from sum of conversions and sum of conversations).',
  },
  revenue: {
    title: 'Revenue',
    format: 'currency',
    description: 'Sum of the amounts (USD) of the deals credited to these conversations.',
  },
  average_order_value: {
    title: 'Average order value',
    format: 'currency',
    description: 'Revenue divided by conversions (USD per converted conversation).',
  },
  revenue_per_conversation: {
    title: 'Revenue per conversation',
    format: 'currency',
    description: 'Revenue divided by conversations (USD per conversation, converted or not).',
  },
  resolved: {
    title: 'Resolved conversations',
    description: 'Conversations whose terminal event is "resolved".',
  },
  escalated: {
    title: 'Escalated conversations',
    description: 'Conversations whose terminal event is "escalated" (handed to a human).',
  },
  deflected: {
    title: 'Deflected conversations',
    description: 'Conversations resolved without escalation.',
  },
  abandoned: {
    title: 'Abandoned conversations',
    description: 'Conversations whose terminal event is "abandoned".',
  },
  escalation_rate: {
    title: 'Escalation rate',
    format: 'percent',
    description: 'Escalated conversations divided by conversations, as a fraction between 0 and 1.',
  },
  deflection_rate: {
    title: 'Deflection rate',
    format: 'percent',
    description: 'Deflected conversations (resolved without escalation) divided by conversations, as a fraction between 0 and 1.',
  },
  llm_calls: {
    title: 'LLM calls',
    description: 'Number of LLM calls made in these conversations.',
  },
  llm_errors: {
    title: 'LLM errors',
    description: 'Number of LLM calls that ended with status "error".',
  },
  error_rate: {
    title: 'LLM error rate',
    format: 'percent',
    description: 'LLM calls with status "error" divided by LLM calls, as a fraction between 0 and 1.',
  },
  latency_ms_sum: {
    title: 'LLM latency, total (ms)',
    description: 'Sum of the latencies of the LLM calls in milliseconds (a part of the mean).',
  },
  latency_mean_ms: {
    title: 'LLM latency, mean (ms)',
    format: 'number',
    description: 'Mean latency of an LLM call in milliseconds (sum of latencies / LLM calls).',
  },
  input_tokens: {
    title: 'Input tokens',
    description: 'Prompt tokens sent to the LLMs.',
  },
  output_tokens: {
    title: 'Output tokens',
    description: 'Completion tokens returned by the LLMs.',
  },
  cost: {
    title: 'LLM cost',
    format: 'currency',
    description: 'Cost of the LLM calls in USD (reported by the provider, or computed from the price table).',
  },
  cost_per_conversion: {
    title: 'Cost per conversion',
    format: 'currency',
    description: 'LLM cost divided by conversions (USD of LLM spend per converted conversation).',
  },
  thumbs_up: {
    title: 'Thumbs up',
    description: 'Thumb votes "up".',
  },
  thumbs_total: {
    title: 'Thumb votes',
    description: 'Thumb votes given, up or down.',
  },
  thumbs_up_rate: {
    title: 'Thumbs-up rate',
    format: 'percent',
    description: 'Thumbs up divided by all thumb votes, as a fraction between 0 and 1.',
  },
  csat_sum: {
    title: 'CSAT, total',
    description: 'Sum of the CSAT scores given (a part of the mean).',
  },
  csat_count: {
    title: 'CSAT responses',
    description: 'Number of CSAT scores given.',
  },
  csat: {
    title: 'CSAT',
    format: 'number',
    description: 'Mean CSAT score (1-5) over the conversations that have one.',
  },
  resolution_time_mean_s: {
    title: 'Resolution time, mean (s)',
    format: 'number',
    description: 'Mean time to resolve a conversation in seconds (sum of resolution times of resolved conversations / resolved conversations).',
  },
  resolution_time_p50_s: {
    title: 'Resolution time, median (s)',
    format: 'number',
    description: 'Median time to resolve a conversation in seconds, re-aggregated from the cumulative resolution-time histogram (bucket edges 30 s to 1 day, linear interpolation inside the bucket; above the last edge reported as the last edge).',
  },
  resolution_time_p90_s: {
    title: 'Resolution time, p90 (s)',
    format: 'number',
    description: '90th percentile of the time to resolve a conversation in seconds, re-aggregated from the cumulative resolution-time histogram (linear interpolation inside the bucket).',
  },
  latency_p50_ms: {
    title: 'LLM latency, median (ms)',
    format: 'number',
    description: 'Median latency of an LLM call in milliseconds, re-aggregated from the cumulative latency histogram (bucket edges 100 ms to 60 s, linear interpolation inside the bucket; above the last edge reported as the last edge).',
  },
  latency_p95_ms: {
    title: 'LLM latency, p95 (ms)',
    format: 'number',
    description: '95th percentile of the latency of an LLM call in milliseconds, re-aggregated from the cumulative latency histogram (linear interpolation inside the bucket).',
  },
  latency_p95_exact_ms: {
    title: 'LLM latency, p95 exact (ms)',
    format: 'number',
    description: '95th percentile of the latency of the LLM calls selected, computed exactly over single calls (percentile_cont); for drill-down, not re-aggregable.',
  },
  ttft_ms_sum: {
    title: 'Time to first token, total (ms)',
    description: 'Sum of the times to first token of the LLM calls in milliseconds (a part of the mean).',
  },
  ttft_mean_ms: {
    title: 'Time to first token, mean (ms)',
    format: 'number',
    description: 'Mean time from sending an LLM call to its first token, in milliseconds (sum / LLM calls).',
  },
  cached_input_tokens: {
    title: 'Cached input tokens',
    description: 'Prompt tokens served from the provider\'s prompt cache.',
  },
  total_tokens: {
    title: 'Tokens',
    description: 'Input plus output tokens.',
  },
  cost_per_conversation: {
    title: 'Cost per conversation',
    format: 'currency',
    description: 'LLM cost divided by conversations (USD of LLM spend per conversation).',
  },
  thumbs_down: {
    title: 'Thumbs down',
    description: 'Thumb votes "down".',
  },
  rating_sum: {
    title: 'Ratings, total',
    description: 'Sum of the ratings (1-5) given (a part of the mean).',
  },
  rating_count: {
    title: 'Ratings',
    description: 'Number of ratings (1-5) given.',
  },
  average_rating: {
    title: 'Average rating',
    format: 'number',
    description: 'Mean rating (1-5) over all ratings given (sum of ratings / number of ratings).',
  },
  resolution_time_s_sum: {
    title: 'Resolution time, total (s)',
    description: 'Sum of the resolution times of the resolved conversations in seconds (a part of the mean).',
  },
  calls_from_price_table: {
    title: 'Calls priced from the price table',
    description: 'LLM calls whose cost was computed from the model price table because the provider reported none.',
  },
  outcome_events: {
    title: 'Outcome metric events',
    description: 'Number of outcome metric values recorded (CSV upload, API or CRM).',
  },
  outcome_value_sum: {
    title: 'Outcome metric, total',
    description: 'Sum of the outcome metric values recorded; meaningful for one metric_name at a time.',
  },
  outcome_value_mean: {
    title: 'Outcome metric, mean',
    format: 'number',
    description: 'Mean of the outcome metric values recorded (sum / events); meaningful for one metric_name at a time.',
  },
  comparisons: {
    title: 'Comparisons',
    description: 'Number of variant-versus-control comparisons (experiment x metric x variant).',
  },
  significant_comparisons: {
    title: 'Significant comparisons',
    description: 'Comparisons whose 95% confidence interval of the difference excludes 0.',
  },
  forecast_points: {
    title: 'Forecast points',
    description: 'Number of forecast days (metric x segment x day).',
  },
  forecast_yhat: {
    title: 'Forecast',
    format: 'number',
    description: 'The forecast value of the metric for the day (for one metric and segment; summed when several are selected).',
  },
  forecast_yhat_lower: {
    title: 'Forecast, lower bound',
    format: 'number',
    description: 'Lower bound of the 95% prediction interval of the forecast.',
  },
  forecast_yhat_upper: {
    title: 'Forecast, upper bound',
    format: 'number',
    description: 'Upper bound of the 95% prediction interval of the forecast.',
  },
  anomalies: {
    title: 'Anomalies',
    description: 'Number of anomalies detected (metric x segment x day x rule).',
  },
  critical_anomalies: {
    title: 'Critical anomalies',
    description: 'Anomalies of severity "critical".',
  },
  page_views: {
    title: 'Page views',
    description: 'Dashboard pages viewed by signed-in users.',
  },
  api_queries: {
    title: 'API queries',
    description: 'Views read by queries answered by the semantic layer (one per view a query read).',
  },
  active_users: {
    title: 'Active users',
    description: 'Distinct users (token subjects) who viewed a page or queried a view.',
  },
  response_ms_mean: {
    title: 'Mean response time (ms)',
    description: 'Mean time to answer a page view or a query, in milliseconds.',
  },
  provider_requests: {
    title: 'Provider requests',
    format: 'number',
    description: 'Requests the provider counted in its usage API (OpenAI only).',
  },
  provider_input_tokens: {
    title: 'Provider input tokens',
    format: 'number',
    description: 'Input tokens the provider counted in its usage API, cached ones included.',
  },
  provider_output_tokens: {
    title: 'Provider output tokens',
    format: 'number',
    description: 'Output tokens the provider counted in its usage API.',
  },
  provider_cost: {
    title: 'Provider cost (USD)',
    format: 'currency',
    description: "The provider's counted tokens priced from the price table (its usage APIs report no money).",
  },
  requests_difference: {
    title: 'Calls minus provider requests',
    format: 'number',
    description: 'Logged calls minus the requests the provider counted; negative: calls never logged.',
  },
  input_tokens_difference: {
    title: 'Input tokens difference',
    format: 'number',
    description: "Logged calls' input tokens minus the provider's count.",
  },
  output_tokens_difference: {
    title: 'Output tokens difference',
    format: 'number',
    description: "Logged calls' output tokens minus the provider's count.",
  },
  cost_difference: {
    title: 'Cost difference (USD)',
    format: 'currency',
    description: "Logged calls' cost minus the provider's tokens at the price table.",
  },
  freshness_age_s: {
    title: 'Seconds since newest row',
    format: 'number',
    description: 'Seconds since the newest row of a source was loaded into the warehouse (the oldest of the selected sources when several are selected); null while a source is empty.',
  },
};

const DIMENSIONS = {
  experiment_id: {
    title: 'Experiment',
    description: 'The experiment the conversation ran in, e.g. exp_sales_prompt.',
  },
  variant: {
    title: 'Variant',
    description: 'The experiment arm: control or treatment.',
  },
  prompt_id: {
    title: 'Prompt',
    description: 'The prompt across its versions, e.g. sales_agent.',
  },
  prompt_version: {
    title: 'Prompt version',
    description: 'The globally unique prompt version, e.g. sales_agent.v1.',
  },
  config_hash: {
    title: 'Config hash',
    description: "First 12 hex digits of the sha256 of the model configuration's canonical JSON.",
  },
  llm_provider: {
    title: 'LLM provider',
    description: 'openai, anthropic or google.',
  },
  llm_model: {
    title: 'LLM model',
    description: 'The model that answered.',
  },
  intent: {
    title: 'Intent',
    description: "The customer's intent.",
  },
  capability: {
    title: 'Capability',
    description: 'The agent capability used.',
  },
  action: {
    title: 'Action',
    description: 'The action the agent took.',
  },
  date_day: {
    title: 'Day',
    description: 'The day (UTC) the conversation started.',
  },
  conversation_id: {
    title: 'Conversation',
    format: 'id',
    description: 'The conversation id given by the application.',
  },
  project: {
    title: 'Project',
    description: 'The project of the ingestion key the records were sent with (`demo` for the demo data).',
  },
  customer_ref: {
    title: 'Customer reference',
    customerData: true,
    description: 'The customer as the application named them: a HubSpot contact id or an e-mail address. Customer-identifying.',
  },
  contact_id: {
    title: 'HubSpot contact',
    customerData: true,
    description: 'The HubSpot contact the conversation was linked to. Customer-identifying.',
  },
  started_at: {
    title: 'Started at',
    description: 'When the conversation started.',
  },
  converted: {
    title: 'Converted',
    description: 'Whether a closed-won deal was credited to this conversation.',
  },
  attribution_reason: {
    title: 'Attribution reason',
    description: 'Why a deal is credited to the conversation, or why none is (last touch): credited, '
      + 'no_contact (no HubSpot contact matched), credited_to_later_conversation (the deal went to a '
      + 'later conversation of the contact), outside_window (no closed-won deal of the contact closed '
      + 'within the attribution window) or no_deal (the contact has no closed-won deal).',
  },
  escalated: {
    title: 'Escalated',
    description: 'Whether the conversation was handed to a human.',
  },
  order_value_usd: {
    title: 'Order value',
    format: 'currency',
    description: 'The amount (USD) of the deal credited to this conversation, if any.',
  },
  resolution_time_s: {
    title: 'Resolution time (s)',
    description: 'Time from the start of the conversation to its terminal event, in seconds.',
  },
  event_id: {
    title: 'Event',
    format: 'id',
    description: 'The idempotency key of the record.',
  },
  occurred_at: {
    title: 'Occurred at',
    description: 'When the LLM call started (or the outcome was recorded).',
  },
  status: {
    title: 'Status',
    description: 'ok or error.',
  },
  error_type: {
    title: 'Error type',
    description: 'The kind of error of a failed LLM call (empty when ok).',
  },
  latency_ms: {
    title: 'Latency (ms)',
    description: 'Latency of the LLM call in milliseconds.',
  },
  time_to_first_token_ms: {
    title: 'Time to first token (ms)',
    description: 'Time from sending the LLM call to its first token, in milliseconds.',
  },
  deal_id: {
    title: 'HubSpot deal',
    customerData: true,
    description: 'The closed-won HubSpot deal credited to the conversation. Customer-identifying.',
  },
  user_id: {
    title: 'User',
    customerData: true,
    description: 'The user an outcome metric was recorded for. Customer-identifying.',
  },
  resolved: {
    title: 'Resolved',
    description: 'Whether the conversation ended resolved.',
  },
  deflected: {
    title: 'Deflected',
    description: 'Whether the conversation was resolved without escalation.',
  },
  thumbs_up: {
    title: 'Thumbs up (conversation)',
    description: 'Thumb votes "up" given in the conversation.',
  },
  thumbs_down: {
    title: 'Thumbs down (conversation)',
    description: 'Thumb votes "down" given in the conversation.',
  },
  rating_mean: {
    title: 'Rating (conversation)',
    description: 'Mean rating (1-5) given in the conversation, if any.',
  },
  csat: {
    title: 'CSAT (conversation)',
    description: 'The CSAT score (1-5) given for the conversation, if any.',
  },
  metric_name: {
    title: 'Metric',
    description: 'The name of the metric (outcome metric, compared metric, forecast or anomaly).',
  },
  metric_value: {
    title: 'Metric value',
    description: 'The value of one outcome metric record.',
  },
  source: {
    title: 'Source',
    description: 'Where an outcome metric came from: csv, api or demo.',
  },
  control_variant: {
    title: 'Control variant',
    description: 'The arm the variant is compared with.',
  },
  n_control: { title: 'Sample size, control', description: 'Units in the control arm.' },
  n_variant: { title: 'Sample size, variant', description: 'Units in the compared arm.' },
  control_value: { title: 'Control value', description: 'The metric in the control arm.' },
  variant_value: { title: 'Variant value', description: 'The metric in the compared arm.' },
  difference: { title: 'Difference', description: 'Variant value minus control value.' },
  ci_low: { title: 'CI low (95%)', description: 'Lower end of the 95% confidence interval of the difference.' },
  ci_high: { title: 'CI high (95%)', description: 'Upper end of the 95% confidence interval of the difference.' },
  method: {
    title: 'Method',
    description: 'How the interval was computed: newcombe_wilson (proportions) or welch (means).',
  },
  significant: { title: 'Significant', description: 'Whether the 95% interval of the difference excludes 0.' },
  underpowered: {
    title: 'Underpowered',
    description: 'Power below 0.8 to detect the observed difference, or fewer than 100 units per arm.',
  },
  p_value: { title: 'p-value', description: 'Two-sided p-value of the fixed-horizon z test of the difference.' },
  p_value_holm: {
    title: 'p-value (Holm)',
    description: "The p-value adjusted by Holm's method across the experiment's variants x metrics.",
  },
  p_value_bh: {
    title: 'p-value (BH)',
    description: 'The p-value adjusted by Benjamini-Hochberg (false discovery rate) across the variants x metrics.',
  },
  chance_to_beat_control: {
    title: 'Chance to beat control',
    description: 'Posterior probability that the variant is better than control (Beta posteriors for rates, normal for means).',
  },
  expected_loss: {
    title: 'Expected loss',
    description: 'Posterior expected shortfall of the variant against control, in the metric\'s units, if it is shipped.',
  },
  always_valid_ci_low: {
    title: 'Always-valid CI low (95%)',
    description: 'Lower end of the always-valid 95% interval of the difference (mixture SPRT): valid however often it is looked at.',
  },
  always_valid_ci_high: {
    title: 'Always-valid CI high (95%)',
    description: 'Upper end of the always-valid 95% interval of the difference (mixture SPRT).',
  },
  always_valid_significant: {
    title: 'Significant (always valid)',
    description: 'Whether the always-valid interval excludes 0: safe to act on at any look.',
  },
  minimum_detectable_effect: {
    title: 'Minimum detectable effect',
    description: 'The difference detectable at the current sample sizes (alpha 0.05 two-sided, power 0.8).',
  },
  is_running: { title: 'Running', description: 'Whether the experiment has no registered end before the last day of data.' },
  days_to_detect: {
    title: 'Days to detect',
    description: 'For running experiments: more days, at the traffic so far, until the target effect is detectable.',
  },
  registration_status: {
    title: 'Registration',
    description: 'registered (in the experiment registry) or unregistered (seen in the data only).',
  },
  variant_registration: {
    title: 'Variant registration',
    description: 'registered (the registry lists this variant) or seen_only (seen in the data, not registered).',
  },
  srm_p_value: {
    title: 'SRM p-value',
    description: "p-value of the experiment's sample ratio mismatch chi-square test; below 0.001 the split is flagged.",
  },
  cuped_covariate: {
    title: 'CUPED covariate',
    description: "The pre-period covariate CUPED adjusts by: pre_period_conversions, the unit's contact's conversions in the 90 days before the experiment started.",
  },
  cuped_units_with_history: {
    title: 'Units with pre-period history',
    description: 'Units of the two arms whose contact converted in the pre-period window.',
  },
  cuped_variance_reduction: {
    title: 'CUPED variance reduction',
    description: "Share of the metric's within-arm variance removed by CUPED (1 - var(adjusted) / var(raw)).",
  },
  cuped_difference: {
    title: 'Difference (CUPED)',
    description: 'Variant minus control of the CUPED-adjusted metric.',
  },
  cuped_ci_low: { title: 'CUPED CI low (95%)', description: 'Lower end of the 95% interval of the CUPED-adjusted difference.' },
  cuped_ci_high: { title: 'CUPED CI high (95%)', description: 'Upper end of the 95% interval of the CUPED-adjusted difference.' },
  experiment_name: { title: 'Experiment name', description: 'The registered display name of the experiment.' },
  registered_variants: {
    title: 'Registered arms',
    description: 'The registered arms, control first, each with its expected share and prompt version.',
  },
  primary_metric: { title: 'Primary metric', description: 'The registered primary metric (a measure of this view).' },
  guardrail_metrics: { title: 'Guardrail metrics', description: 'The registered guardrail metrics, comma-separated.' },
  starts_on: { title: 'Starts on', description: 'The registered first day of the experiment.' },
  ends_on: { title: 'Ends on', description: 'The registered last day of the experiment (empty while open).' },
  expected_split: {
    title: 'Expected split',
    description: 'What the SRM test expects: registered (the registry\'s shares) or equal (1 / arms seen).',
  },
  srm_chi_square: {
    title: 'SRM chi-square',
    description: "Pearson's chi-square of the experiment's conversations per arm against an equal split.",
  },
  srm_critical_value: {
    title: 'SRM critical value',
    description: 'The chi-square above which p < 0.001 (arms - 1 degrees of freedom).',
  },
  smallest_share: { title: 'Smallest arm share', description: "The smallest arm's share of the experiment's conversations." },
  sample_ratio_mismatch: {
    title: 'Sample ratio mismatch',
    description: 'The observed split differs from the expected one at p < 0.001 (chi-square): the comparison is not to be trusted.',
  },
  segment_dimension: {
    title: 'Segment dimension',
    description: 'The dimension a forecast or anomaly series is cut by, or "all".',
  },
  segment_value: {
    title: 'Segment value',
    description: 'The value of the segment dimension, or "all".',
  },
  forecast_model: { title: 'Forecast model', description: 'auto_arima, statsforecast_autoarima or seasonal_naive.' },
  is_holdout: { title: 'Holdout', description: 'Whether the day was held out to check the forecast against what happened.' },
  observed: { title: 'Observed', description: 'The value that was observed for the day.' },
  expected: { title: 'Expected', description: 'The value the anomaly rule expected for the day.' },
  lower: { title: 'Lower bound', description: 'Lower bound of the expected range.' },
  upper: { title: 'Upper bound', description: 'Upper bound of the expected range.' },
  generated_at: { title: 'Generated at', description: 'When the forecast was computed.' },
  anomaly_id: { title: 'Anomaly', format: 'id', description: 'Stable id of the anomaly (metric, segment, day, rule).' },
  detected_at: { title: 'Detected at', description: 'When the anomaly was detected.' },
  rule: { title: 'Rule', description: 'The anomaly rule that fired: relative_change, forecast_interval or robust_zscore.' },
  severity: { title: 'Severity', description: 'info, warning or critical.' },
  volume: { title: 'Volume', description: 'The number of units behind the observed value.' },
  contributors: {
    title: 'Contributors',
    description: 'JSON list of the dimension slices that contributed most to the change.',
  },
  top_contributor_dimension: {
    title: 'Top contributor dimension',
    description: 'The dimension of the slice that contributed most to the change.',
  },
  top_contributor_value: {
    title: 'Top contributor value',
    description: 'The slice that contributed most to the change.',
  },
  role: { title: 'Role', description: 'The role of the signed-in user (one of the six).' },
  page: { title: 'Page', description: 'The dashboard page viewed.' },
  view_name: { title: 'View', description: 'The semantic-layer view queried, or the one a page showed.' },
  engaged_at: { title: 'When', description: 'When the page was viewed or the query answered (by day or week).' },
  engagement_kind: { title: 'Kind', description: 'page_view (a dashboard page) or api_query (a view queried).' },
  reconciliation_key: {
    title: 'Reconciliation row',
    description: 'Day, provider and model of a reconciliation row.',
  },
  source_name: {
    title: 'Source',
    description: 'The dbt source a raw table belongs to: outcomelens (the collector), hubspot.',
  },
  table_name: {
    title: 'Raw table',
    description: 'The raw table, e.g. llm_calls.',
  },
  newest_loaded_at: {
    title: 'Newest row loaded at',
    description: 'When the newest row of the raw table was loaded.',
  },
};

function docs(table, kind, name) {
  const entry = table[name];
  if (!entry) {
    throw new Error(`metrics.js has no ${kind} "${name}": add its title and description there`);
  }
  const meta = { title: entry.title };
  if (entry.format) meta.format = entry.format;
  if (entry.customerData) meta.customer_data = true;
  const result = { title: entry.title, description: entry.description, meta };
  if (entry.format) result.format = entry.format;
  return result;
}

// Spread into a measure or dimension: { title, description, format?, meta }.
const measure = (name) => docs(MEASURES, 'measure', name);
const dimension = (name) => docs(DIMENSIONS, 'dimension', name);

// A dimension that is one column of the cube's table, named as in metrics.js.
const columnDimension = (type) => (name) => ({ sql: () => name, type, ...dimension(name) });
const text = columnDimension(`string`);
const number = columnDimension(`number`);
const flag = columnDimension(`boolean`);

function catalogue() {
  return { measures: MEASURES, dimensions: DIMENSIONS };
}

module.exports = { MEASURES, DIMENSIONS, measure, dimension, text, number, flag, catalogue };
