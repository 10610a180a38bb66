// Token verification for the semantic layer: used by cube.js's checkAuth and by gate.js, which
// refuses unauthenticated requests before their body is read. One function, one set of rules.
'use strict';

const jwt = require('jsonwebtoken');

class TokenError extends Error {}

function verifyToken(token, secret) {
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
  return claims;
}

// "Bearer <token>" or a bare token, as Cube's own gateway accepts.
function bearerToken(header) {
  if (typeof header !== 'string') return undefined;
  const parts = header.trim().split(/\s+/, 2);
  return parts.length === 1 ? parts[0] : parts[1];
}

module.exports = { TokenError, verifyToken, bearerToken };
