// The wording of every governed metric and dimension (DESIGN.md §4): title, description, format.
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
    description: 'Mean time from the start of a conversation to its terminal event, in seconds.',
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

function catalogue() {
  return { measures: MEASURES, dimensions: DIMENSIONS };
}

module.exports = { MEASURES, DIMENSIONS, measure, dimension, catalogue };
