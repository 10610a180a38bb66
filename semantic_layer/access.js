// Who may see what in the semantic layer: the one place where roles are decided.
//
// Read by cube.js (authentication, contextToAppId, queryRewrite) and by the model files (which
// compile a separate schema per role through COMPILE_CONTEXT). docs/design.md §5 is the source; the
// README's API guide shows the same matrix as a table, and the tests check it independently.

const ROLES = Object.freeze([
  'admin',
  'product_manager',
  'prompt_engineer',
  'operations',
  'engineer',
  'enablement',
]);

// Public views each role may query (docs/design.md §5). Cubes are private: nobody queries a cube.
//   outcomes_overview    business outcomes over time and by segment (+ forecasts, outcome metrics)
//   experiments          experiment arms and their comparison with a 95% interval
//   prompt_variants      prompt versions, configs and models on outcomes, latency, errors, cost
//   model_health         LLM latency, errors, tokens, cost per model (+ anomalies)
//   operations_drilldown single conversations, their feedback and their LLM calls
//   standard_reports     read-only headline figures, nothing below a segment
//   engagement           how roles use the product: active users, page views, queries (no person)
const VIEWS_BY_ROLE = Object.freeze({
  admin: ['outcomes_overview', 'experiments', 'prompt_variants', 'model_health',
    'operations_drilldown', 'standard_reports', 'engagement'],
  // Outcome metrics, experiment performance, high-level dashboards.
  product_manager: ['outcomes_overview', 'experiments', 'prompt_variants', 'standard_reports'],
  // Prompt-variant comparisons, latency, error rates, detailed experiment data.
  prompt_engineer: ['experiments', 'prompt_variants', 'model_health', 'standard_reports'],
  // Real-time health, anomaly alerts, drill-down to conversations and calls.
  operations: ['outcomes_overview', 'model_health', 'operations_drilldown', 'standard_reports'],
  // Model performance, API usage and cost, call logs.
  engineer: ['model_health', 'operations_drilldown', 'standard_reports'],
  // Read-only standard reports; no drill-down to single conversations, no customer data.
  // Enablement also sees how the product is used (engagement: adoption by role and page).
  enablement: ['standard_reports', 'engagement'],
});

// Customer-identifying fields (e-mail, names, CRM ids) are visible only to these roles.
const CUSTOMER_DATA_ROLES = Object.freeze(['admin', 'operations']);

// Member names (the part after "view.", or its end after a view's prefix such as "call_") that
// identify a customer, wherever they appear.
const CUSTOMER_FIELDS = Object.freeze([
  'customer_ref',
  'contact_id',
  'deal_id',
  'user_id',
  'email',
  'firstname',
  'lastname',
  'deal_name',
  'dealname',
]);

function isKnownRole(role) {
  return typeof role === 'string' && ROLES.includes(role);
}

// The role claim: a top-level `role`, or Supabase's `app_metadata.role`. Supabase also puts a
// top-level `role` of "authenticated"/"anon" into its tokens, which is not one of ours, so the
// app_metadata role wins whenever it is present.
function roleFromClaims(claims) {
  if (!claims || typeof claims !== 'object') return undefined;
  const appMetadata = claims.app_metadata;
  if (appMetadata && typeof appMetadata === 'object' && typeof appMetadata.role === 'string') {
    return appMetadata.role;
  }
  return typeof claims.role === 'string' ? claims.role : undefined;
}

function policyFor(role) {
  if (!isKnownRole(role)) {
    return { role, views: [], customerData: false };
  }
  return {
    role,
    views: VIEWS_BY_ROLE[role].slice(),
    customerData: CUSTOMER_DATA_ROLES.includes(role),
  };
}

function isCustomerField(member) {
  const field = String(member).split('.')[1] || '';
  return CUSTOMER_FIELDS.some((name) => field === name || field.endsWith(`_${name}`));
}

function canSeeView(role, view) {
  return policyFor(role).views.includes(view);
}

module.exports = {
  ROLES,
  VIEWS_BY_ROLE,
  CUSTOMER_DATA_ROLES,
  CUSTOMER_FIELDS,
  isKnownRole,
  roleFromClaims,
  policyFor,
  isCustomerField,
  canSeeView,
};
