// Token checks for the semantic layer.
//
// The decision is the accounts service's (outcomelens/core/tokens.py's TokenVerifier, the one verifier
// every API shares): with OUTCOMELENS_AUTH_URL set, cube.js's checkAuth asks its introspection endpoint
// (RFC 7662) and keeps each answer at most AUTH_CACHE_MAX_S seconds, so a revoked token or a disabled
// user stops working within a minute. Without it (Cube run on its own, as the tests of the model do),
// cube.js applies the same rules it can check without the warehouse: signature, expiry, audience and
// maximum lifetime; revocation needs the accounts service.
// gate.js uses only `preCheck` (signature, expiry, audience): a cheap filter before any body is read.
'use strict';

const crypto = require('crypto');
const jwt = require('jsonwebtoken');

const API_AUDIENCE = 'outcomelens-api';
const ACCESS_USE = 'access';
const MAX_ACCESS_TTL_S = 3600;
const MAX_SERVICE_TTL_S = 24 * 3600;
const AUTH_CACHE_MAX_S = 30;
const INTROSPECT_TIMEOUT_MS = 5000;
const CACHE_MAX_ENTRIES = 10000;

class TokenError extends Error {
  constructor(message, status = 401) {
    super(message);
    this.status = status;
  }
}

function preCheck(token, secret) {
  if (!token) {
    throw new TokenError('Authorization header is missing: send "Authorization: Bearer <JWT>"');
  }
  let claims;
  try {
    claims = jwt.verify(token, secret, { algorithms: ['HS256'] });
  } catch (e) {
    if (e instanceof jwt.TokenExpiredError) throw new TokenError('Token expired');
    if (e instanceof jwt.NotBeforeError) throw new TokenError('Token not active yet');
    throw new TokenError('Invalid token: it must be a JWT signed with HS256 and the API secret');
  }
  if (typeof claims !== 'object' || claims === null || typeof claims.exp !== 'number') {
    throw new TokenError('Invalid token: it must carry an expiry (exp claim)');
  }
  // Checked here, not by jwt.verify: a token without aud is invalid (401), one for another API is a
  // genuine token that may not be used here (403), as TokenVerifier decides.
  const audiences = [].concat(claims.aud === undefined ? [] : claims.aud);
  if (!audiences.length) throw new TokenError('Invalid token: it must carry an audience (aud claim)');
  if (!audiences.includes(API_AUDIENCE)) throw new TokenError(`Token not meant for ${API_AUDIENCE}`, 403);
  return claims;
}

// The rules of TokenVerifier that need no warehouse: preCheck, plus iat and the maximum lifetime
// (long-lived service tokens are registered in the warehouse, so only the accounts service admits them).
function verifyToken(token, secret) {
  const claims = preCheck(token, secret);
  if (typeof claims.iat !== 'number') throw new TokenError('Invalid token: it must carry iat');
  const max = claims.token_use === ACCESS_USE ? MAX_ACCESS_TTL_S : MAX_SERVICE_TTL_S;
  if (claims.exp - claims.iat > max) throw new TokenError('Token lifetime exceeds the maximum (exp - iat)');
  return claims;
}

// Whether a token claims to be ours (iss "outcomelens", as outcomelens.core.tokens mints them); any
// other issuer's token (a Supabase project's) only the accounts service can verify.
function issuedByUs(token) {
  const claims = jwt.decode(token);
  return !claims || typeof claims !== 'object' || claims.iss === undefined || claims.iss === 'outcomelens';
}

// "Bearer <token>" or a bare token, as Cube's own gateway accepts.
function bearerToken(header) {
  if (typeof header !== 'string') return undefined;
  const parts = header.trim().split(/\s+/, 2);
  return parts.length === 1 ? parts[0] : parts[1];
}

function cacheSeconds() {
  const asked = Number(process.env.OUTCOMELENS_AUTH_CACHE_S);
  return Number.isFinite(asked) && asked >= 0 ? Math.min(asked, AUTH_CACHE_MAX_S) : AUTH_CACHE_MAX_S;
}

// Asks `${authUrl}/v1/auth/introspect`; answers are cached by the token's sha256, never past its exp.
function introspector(authUrl) {
  const endpoint = `${authUrl.replace(/\/+$/, '')}/v1/auth/introspect`;
  const cache = new Map();
  const ttlMs = cacheSeconds() * 1000;

  async function ask(token) {
    const response = await fetch(endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token }).toString(),
      signal: AbortSignal.timeout(INTROSPECT_TIMEOUT_MS),
    });
    if (!response.ok) throw new Error(`introspection answered ${response.status}`);
    return response.json();
  }

  function remember(key, answer) {
    if (cache.size >= CACHE_MAX_ENTRIES) cache.delete(cache.keys().next().value);
    const until = Date.now() + ttlMs;
    const expires = answer.active && typeof answer.exp === 'number' ? answer.exp * 1000 : until;
    cache.set(key, { answer, until: Math.min(until, expires) });
  }

  return async function claimsOf(token) {
    if (!token) throw new TokenError('Authorization header is missing: send "Authorization: Bearer <JWT>"');
    const key = crypto.createHash('sha256').update(token).digest('hex');
    const hit = cache.get(key);
    let answer = hit && hit.until > Date.now() ? hit.answer : undefined;
    if (!answer) {
      answer = await ask(token);
      remember(key, answer);
    }
    if (!answer.active) throw new TokenError(`Token refused: ${answer.reason || 'not active'}`, answer.status || 401);
    return answer;
  };
}

module.exports = {
  TokenError, preCheck, verifyToken, bearerToken, introspector, issuedByUs, API_AUDIENCE, AUTH_CACHE_MAX_S,
};
