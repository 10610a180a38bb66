// Who may see what in the semantic layer: the one place where roles are decided.
//
// Read by cube.js (authentication, contextToAppId, queryRewrite) and by the model files (which
// compile a separate schema per role through COMPILE_CONTEXT). DESIGN.md §5 is the source; this is
// the foundation cut, and the full role matrix refines VIEWS_BY_ROLE / CUSTOMER_DATA_ROLES here.

const ROLES = Object.freeze([
  'admin',
  'product_manager',
  'prompt_engineer',
  'operations',
  'engineer',
  'enablement',
]);

// Public views each role may query. Cubes are private: nobody queries a cube directly.
const VIEWS_BY_ROLE = Object.freeze({
  admin: ['prompt_variants', 'outcomes_overview', 'conversation_details'],
  product_manager: ['prompt_variants', 'outcomes_overview'],
  prompt_engineer: ['prompt_variants', 'outcomes_overview', 'conversation_details'],
  operations: ['prompt_variants', 'outcomes_overview', 'conversation_details'],
  engineer: ['prompt_variants', 'outcomes_overview', 'conversation_details'],
  // Read-only standard reports, no drill-down to single conversations.
  enablement: ['prompt_variants', 'outcomes_overview'],
});

// Customer-identifying fields (e-mail, names, CRM ids) are visible only to these roles.
const CUSTOMER_DATA_ROLES = Object.freeze(['admin', 'operations']);

// Member names (the part after "view.") that identify a customer, wherever they appear.
const CUSTOMER_FIELDS = Object.freeze([
  'customer_ref',
  'contact_id',
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
  const field = String(member).split('.')[1];
  return CUSTOMER_FIELDS.includes(field);
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
};
