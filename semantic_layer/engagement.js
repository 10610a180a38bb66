// Every query Cube answers, recorded in ops.engagement_events (the migrations' table): the user and
// role of the verified token, each view it read, and the response time. Fed from Cube's logger
// ("Load Request Success" carries the query, its duration and the security context), written after
// the answer has been sent and never in its way: a failed insert is logged, not raised.
'use strict';

const { Pool } = require('pg');
const { queryMembers } = require('./members');

const INSERT = 'insert into ops.engagement_events (kind, user_sub, role, view_name, response_ms)'
  + " select 'api_query', $1, $2, unnest($3::text[]), $4";
let pool;
let failures = 0;

// Cube's own connection settings (node-postgres takes a host starting with "/" as a socket directory).
function warehouse() {
  if (!pool) {
    pool = new Pool({
      host: process.env.CUBEJS_DB_HOST,
      port: Number(process.env.CUBEJS_DB_PORT || 5432),
      database: process.env.CUBEJS_DB_NAME,
      user: process.env.CUBEJS_DB_USER,
      password: process.env.CUBEJS_DB_PASS || undefined,
      max: 2,
      idleTimeoutMillis: 10000,
      connectionTimeoutMillis: 5000,
    });
    pool.on('error', () => {}); // an idle connection dropped: the next insert opens another
  }
  return pool;
}

function parsed(query) {
  if (typeof query !== 'string') return query;
  try {
    return JSON.parse(query);
  } catch (e) {
    return undefined;
  }
}

// The views a query (or a multi-query's queries) read: the part of each member before the dot.
function viewsOf(query) {
  const found = parsed(query);
  const views = new Set();
  (Array.isArray(found) ? found : [found]).forEach((one) => {
    if (!one || typeof one !== 'object') return;
    queryMembers(one).forEach((member) => {
      if (typeof member === 'string' && member.includes('.')) views.add(member.split('.')[0]);
    });
  });
  return [...views].sort();
}

function recordQuery(params, log) {
  const { role, sub } = (params && params.securityContext) || {};
  if (typeof role !== 'string' || typeof sub !== 'string') return; // scheduled refreshes: no user
  const views = viewsOf(params.query);
  if (!views.length) return;
  warehouse().query(INSERT, [sub, role, views, Number(params.duration) || 0]).catch((e) => {
    failures += 1;
    if (failures === 1 || failures % 100 === 0) log('Engagement Not Recorded', { error: e.message, failures });
  });
}

module.exports = { recordQuery, viewsOf };
