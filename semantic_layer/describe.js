// `node describe.js` (run in semantic_layer/): the cubes of model/ as JSON, compiled by Cube's own
// compiler (the pinned @cubejs-backend/schema-compiler that serves them), without a server or a
// warehouse connection. For every cube: its table and each measure's type, meta, and the column it
// reads when its SQL is a bare column. Read by outcomelens/core/semantic_layer.py, so that code
// running before Cube is up (the Dagster insights assets) names the measures Cube serves.
'use strict';

const { compile } = require('@cubejs-backend/schema-compiler');
const { FileRepository } = require('@cubejs-backend/shared');

const BARE_COLUMN = /^[A-Za-z_][A-Za-z0-9_]*$/;

// A member's SQL without references to other members is a function of no arguments.
function plainSql(fn) {
  return typeof fn === 'function' && fn.length === 0 ? fn() : null;
}

function describeMeasure(measure) {
  const sql = plainSql(measure.sql);
  return {
    type: measure.type,
    column: sql !== null && BARE_COLUMN.test(sql) ? sql : null,
    meta: measure.meta || {},
  };
}

async function describe() {
  // No role: the model files then define the (private) cubes and none of the per-role views.
  const { cubeEvaluator } = await compile(new FileRepository('model'), {
    allowNodeRequire: true,
    compileContext: { securityContext: {} },
  });
  const cubes = {};
  for (const name of Object.keys(cubeEvaluator.evaluatedCubes).sort()) {
    const cube = cubeEvaluator.cubeFromPath(name);
    const measures = Object.entries(cube.measures || {});
    cubes[name] = {
      sql_table: plainSql(cube.sqlTable),
      measures: Object.fromEntries(measures.map(([member, m]) => [member, describeMeasure(m)])),
    };
  }
  return { cubes };
}

describe().then(
  (catalogue) => process.stdout.write(JSON.stringify(catalogue)),
  (error) => {
    process.stderr.write(`${error.messages || error.stack || error}\n`);
    process.exit(1);
  },
);
