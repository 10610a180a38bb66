// Percentiles that re-aggregate over any filter, from cumulative histogram counts
// (docs/contracts.md, marts.fct_attribution_daily: `latency_le_<edge>`, `resolution_le_<edge>`).
//
// Averaging daily percentiles is wrong; summing cumulative counts is not. The percentile q is read
// from the summed counts: the smallest bucket whose cumulative count reaches q x total, with linear
// interpolation inside it (the first bucket starts at 0). Above the last edge the answer is the
// last edge, a lower bound, because the histogram says nothing more.
'use strict';

// The contract's edges (outcomelens/contract/segments.py, also dbt's macros/contract.sql);
// tests/unit/test_contract.py fails when these differ from it.
const LATENCY_EDGES_MS = Object.freeze(
  [100, 250, 500, 750, 1000, 1250, 1500, 1750, 2000, 2500, 3000, 4000, 5000, 7500, 10000, 20000, 60000],
);
const RESOLUTION_EDGES_S = Object.freeze(
  [30, 60, 120, 180, 300, 450, 600, 900, 1200, 1800, 2700, 3600, 7200, 14400, 86400],
);

const bucketName = (prefix, edge) => `${prefix}_le_${edge}`;

// `ref(name)` gives the SQL of the summed measure `name` (so the expression works over the raw
// table and over a rollup alike); `total` is the measure counting everything the histogram covers.
function percentileSql(ref, { prefix, edges, total, q }) {
  if (!(q > 0 && q < 1)) throw new Error(`percentile ${q} must lie strictly between 0 and 1`);
  const target = `(${q} * ${ref(total)})`;
  const branches = edges.map((edge, i) => {
    const lowerEdge = i === 0 ? 0 : edges[i - 1];
    const lowerCount = i === 0 ? '0' : ref(bucketName(prefix, edges[i - 1]));
    const upperCount = ref(bucketName(prefix, edge));
    return `WHEN ${upperCount} >= ${target} THEN ${lowerEdge} + ${edge - lowerEdge} * `
      + `(${target} - ${lowerCount}) / NULLIF(${upperCount} - ${lowerCount}, 0)`;
  });
  return `CASE WHEN COALESCE(${ref(total)}, 0) = 0 THEN NULL ${branches.join(' ')} `
    + `ELSE ${edges[edges.length - 1]} END`;
}

// A \`number\` measure for the percentile q. Built here, outside the model files, because Cube's
// transpiler wraps functions written in a model file's \`sql\` once more.
function percentileMeasure({ prefix, edges, total, q }) {
  return {
    type: 'number',
    sql: (CUBE) => percentileSql((name) => CUBE[name], { prefix, edges, total, q }),
  };
}

// Summed measures for every bucket column, to spread into a cube's measures (parts: no view lists them).
function bucketMeasures(prefix, edges) {
  return Object.fromEntries(edges.map((edge) => [
    bucketName(prefix, edge),
    { type: 'sum', sql: () => bucketName(prefix, edge) },
  ]));
}

module.exports = {
  LATENCY_EDGES_MS,
  RESOLUTION_EDGES_S,
  bucketName,
  bucketMeasures,
  percentileSql,
  percentileMeasure,
};
