// Prints, as JSON, what the semantic layer restates of the contract: the histogram edges of
// percentiles.js and, per cube, its table and dimension names in declaration order.
// Usage: node cube_members.js <semantic_layer dir>. Read by outcomelens/contract/drift.py.
//
// Cube compiles model files with its own globals (cube, view, CUBE, COMPILE_CONTEXT, and every cube
// name as a reference); here each file runs with stand-ins that only record what is declared.
const fs = require('fs');
const path = require('path');
const { createRequire } = require('module');

const semanticLayer = path.resolve(process.argv[2]);
const modelDir = path.join(semanticLayer, 'model');
// Cube resolves `require('../x')` in a model file against the model folder.
const modelRequire = createRequire(path.join(modelDir, 'index.js'));

// A reference such as CUBE, ${feedback} or CUBE.conversations: renders as its name in templates.
function reference(name) {
  return new Proxy(function stub() {}, {
    get: (target, key) => (key === Symbol.toPrimitive || key === 'toString' ? () => name : reference(`${name}.${String(key)}`)),
  });
}

const cubes = {};
const globals = {
  require: modelRequire,
  cube: (name, definition) => {
    cubes[name] = { sql_table: definition.sql_table || null, dimensions: Object.keys(definition.dimensions || {}) };
  },
  view: () => {},
  // The widest schema: customer-identifying dimensions exist only for roles that may see them.
  COMPILE_CONTEXT: { securityContext: { role: 'admin' } },
};
const scope = new Proxy(globals, {
  has: (target, key) => key in target || (typeof key === 'string' && !(key in globalThis)),
  get: (target, key) => {
    if (key === Symbol.unscopables) return undefined; // `with` asks it first; nothing is hidden
    return key in target ? target[key] : reference(String(key));
  },
});

for (const file of fs.readdirSync(path.join(modelDir, 'cubes')).sort()) {
  const source = fs.readFileSync(path.join(modelDir, 'cubes', file), 'utf8');
  // `with` needs sloppy mode, which the Function constructor gives.
  new Function('scope', `with (scope) {\n${source}\n}`)(scope);
}

const percentiles = require(path.join(semanticLayer, 'percentiles.js'));
process.stdout.write(JSON.stringify({
  latency_edges_ms: percentiles.LATENCY_EDGES_MS,
  resolution_edges_s: percentiles.RESOLUTION_EDGES_S,
  cubes,
}));
