// Cube configuration for OutcomeLens (Cube 0.33, production mode; see serve.js for the entrypoint).
//
// - Every API request carries a query token (a JWT signed with HS256 and CUBEJS_API_SECRET, audience
//   outcomelens-api). With OUTCOMELENS_AUTH_URL set, the accounts service decides (the one verifier of
//   every API: revocation, disabled users, maximum lifetime), asked through its introspection endpoint
//   and cached at most 30 s (auth.js); without it, the rules that need no warehouse are applied here.
//   No token, a bad signature, an expired, revoked or over-lifetime token: 401. A token for another
//   audience or whose role is not one of ours: 403.
// - The role (`role`, or Supabase's `app_metadata.role`; the verifier's rule) selects a per-role
//   compiled schema (contextToAppId + COMPILE_CONTEXT in the model files).
// - queryRewrite checks every member of every query against access.js: only public views the role
//   may see, and customer-identifying fields only for the roles that may see customer data.
//   A forbidden query gets a 403 with a message, never an empty result.
// - Every answered query is recorded in ops.engagement_events (engagement.js): user, role, views,
//   response time.
// - Error bodies carry no stack traces.
'use strict';

const { CubejsHandlerError } = require('@cubejs-backend/api-gateway');
const { prodLogger } = require('@cubejs-backend/server-core/dist/src/core/logger');
const access = require('./access');
const engagement = require('./engagement');
const { queryMembers } = require('./members');
const { TokenError, bearerToken, introspector, verifyToken } = require('./auth');

const API_SECRET = process.env.CUBEJS_API_SECRET;
if (!API_SECRET) {
  throw new Error('CUBEJS_API_SECRET is not set: the semantic layer refuses to start without it');
}

const APP_ID_PREFIX = 'outcomelens_';
const AUTH_URL = process.env.OUTCOMELENS_AUTH_URL;
const introspect = AUTH_URL ? introspector(AUTH_URL) : undefined;

function unauthorized(message) {
  return new CubejsHandlerError(401, 'Unauthorized', message);
}

function forbidden(message) {
  const error = new CubejsHandlerError(403, 'Forbidden', message);
  // Cube copies `stack` into the response body for handler errors; the message says it all.
  error.stack = undefined;
  return error;
}

function describe(value) {
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return text === undefined ? 'none' : JSON.stringify(text.slice(0, 64));
}

function unavailable(message) {
  const error = new CubejsHandlerError(503, 'Service Unavailable', message);
  error.stack = undefined;
  return error;
}

// The claims the accounts service vouches for, or (without one) the local checks' claims.
async function verifiedClaims(token) {
  if (!introspect) return verifyToken(token, API_SECRET);
  try {
    return await introspect(token);
  } catch (e) {
    if (e instanceof TokenError) throw e;
    throw unavailable('The accounts service cannot be reached to verify the token; try again shortly');
  }
}

async function checkAuth(req, auth) {
  let claims;
  try {
    claims = await verifiedClaims(bearerToken(auth));
  } catch (e) {
    if (e instanceof TokenError) throw e.status === 403 ? forbidden(e.message) : unauthorized(e.message);
    throw e;
  }
  const role = access.roleFromClaims(claims);
  if (!access.isKnownRole(role)) {
    throw forbidden(
      `Unknown role ${describe(role)}: the token's role (claim "role" or "app_metadata.role") `
      + `must be one of ${access.ROLES.join(', ')}`,
    );
  }
  // Only what the semantic layer needs: Cube logs the security context with every query.
  req.securityContext = { role, sub: typeof claims.sub === 'string' ? claims.sub : undefined };
}

function roleOf(context) {
  return context && context.securityContext ? context.securityContext.role : undefined;
}

function queryRewrite(query, context) {
  const role = roleOf(context);
  if (!access.isKnownRole(role)) {
    throw forbidden(`Unknown role ${describe(role)}: expected one of ${access.ROLES.join(', ')}`);
  }
  const policy = access.policyFor(role);
  queryMembers(query).forEach((member) => {
    if (typeof member !== 'string') {
      throw forbidden('Member expressions are not allowed: query the members of a view by name');
    }
    const [view, field] = member.split('.');
    if (!field || !policy.views.includes(view)) {
      throw forbidden(
        `Role "${role}" may not query ${describe(member)}: its views are ${policy.views.join(', ')}`,
      );
    }
    if (!policy.customerData && access.isCustomerField(member)) {
      throw forbidden(`Role "${role}" may not see customer-identifying fields such as "${member}"`);
    }
  });
  return query;
}

// Cube puts `stack` into JSON error bodies (handler errors, user errors, internal errors, bodies
// that are not JSON). Every JSON response of the app goes through its response prototype, whatever
// the order of the middlewares, so the stack is dropped there.
function stripStacks(app) {
  const { json } = app.response;
  // eslint-disable-next-line no-param-reassign
  app.response.json = function jsonWithoutStack(body) {
    if (body && typeof body === 'object' && !Array.isArray(body) && 'stack' in body) {
      const { stack, ...rest } = body;
      return json.call(this, rest);
    }
    return json.call(this, body);
  };
}

// Cube logs every refused request with the bearer token it carried; tokens never reach a log.
const SECRET_KEYS = new Set(['token', 'authorization', 'apiSecret']);
function redactingLogger(level) {
  const log = prodLogger(level);
  return (message, params) => {
    if (message === 'Load Request Success') engagement.recordQuery(params, log);
    const safe = {};
    Object.entries(params || {}).forEach(([key, value]) => {
      safe[key] = SECRET_KEYS.has(key) ? '[redacted]' : value;
    });
    log(message, safe);
  };
}

// Browsers may call the API only from the origins listed (comma-separated); none by default.
function corsOrigins() {
  const listed = (process.env.OUTCOMELENS_CORS_ORIGINS || '').split(',').map((o) => o.trim());
  const origins = listed.filter(Boolean);
  return origins.length ? origins : false;
}

module.exports = {
  schemaPath: 'model',
  dbType: 'postgres',
  apiSecret: API_SECRET,
  telemetry: false,
  logger: redactingLogger(process.env.CUBEJS_LOG_LEVEL),
  http: { cors: { origin: corsOrigins(), allowedHeaders: 'authorization,content-type,x-request-id' } },
  checkAuth,
  queryRewrite,
  contextToAppId: (context) => {
    const role = roleOf(context);
    return `${APP_ID_PREFIX}${access.isKnownRole(role) ? role : 'none'}`;
  },
  // One orchestrator (one connection pool, one set of pre-aggregation tables) for all roles.
  contextToOrchestratorId: () => 'outcomelens',
  scheduledRefreshContexts: async () => access.ROLES.map((role) => ({ securityContext: { role } })),
  initApp: (app) => {
    stripStacks(app);
  },
};
