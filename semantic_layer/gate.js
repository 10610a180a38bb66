// The gate in front of Cube's routes: what a client of the semantic layer may reach at all.
//
// Cube 0.33 serves more than its clients need (pre-aggregation and job routes, a root page, the
// playground's helpers), and one of them ends the process on a malformed body
// (POST /cubejs-api/v1/pre-aggregations/can-use with {}). It also parses bodies up to 50 MB before
// authenticating. The gate runs before Cube's body parser (serve.js puts it there) and
//   - answers 404 for every route not listed below, the root page included;
//   - refuses a request to the API without a validly signed, unexpired query token with 401 (403 for
//     another audience), before reading its body: a cheap local filter, the full decision (revocation,
//     lifetime, users' status) is checkAuth's in cube.js;
//     With an accounts service (OUTCOMELENS_AUTH_URL), a token of another issuer (Supabase) is asked
//     about there (cached) instead, as it cannot be checked locally;
//   - refuses a body over MAX_BODY_BYTES with 413 (by its Content-Length, and while reading).
'use strict';

const { TokenError, bearerToken, issuedByUs, preCheck } = require('./auth');

const MAX_BODY_BYTES = 1024 * 1024;

// Method and path of each route the dashboard, notebooks, alerts and BI clients use.
const PUBLIC_ROUTES = new Set(['GET /readyz', 'GET /livez']);
const API_ROUTES = new Set([
  'GET /cubejs-api/v1/load', 'POST /cubejs-api/v1/load',
  'GET /cubejs-api/v1/meta',
  'GET /cubejs-api/v1/sql', 'POST /cubejs-api/v1/sql',
  'GET /cubejs-api/v1/dry-run', 'POST /cubejs-api/v1/dry-run',
  'GET /cubejs-api/graphql', 'POST /cubejs-api/graphql',
]);

function routeOf(req) {
  const path = req.path.length > 1 ? req.path.replace(/\/+$/, '') : req.path;
  return `${req.method} ${path}`;
}

function refuse(res, status, message) {
  res.status(status).json({ error: message });
}

function gate(secret, introspect) {
  return function admit(req, res, next) {
    const route = routeOf(req);
    if (PUBLIC_ROUTES.has(route)) return next();
    if (!API_ROUTES.has(route)) return refuse(res, 404, 'Not found');
    const length = Number(req.headers['content-length'] || 0);
    const token = bearerToken(req.headers.authorization);
    const pass = () => (length > MAX_BODY_BYTES
      ? refuse(res, 413, `Body too large: at most ${MAX_BODY_BYTES} bytes`) : next());
    const refused = (e) => {
      if (e instanceof TokenError) return refuse(res, e.status, e.message);
      return refuse(res, 503, 'The accounts service cannot be reached to verify the token; try again shortly');
    };
    // Another issuer's token (Supabase) cannot be checked here: the accounts service decides it first.
    if (introspect && token && !issuedByUs(token)) return introspect(token).then(pass, refused);
    try {
      preCheck(token, secret);
    } catch (e) {
      if (e instanceof TokenError) return refused(e);
      throw e;
    }
    return pass();
  };
}

module.exports = { gate, MAX_BODY_BYTES, API_ROUTES, PUBLIC_ROUTES };
