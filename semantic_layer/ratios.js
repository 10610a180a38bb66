// Ratios of summed parts, and the Wilson interval of a proportion, as Cube measures.
//
// A ratio is the sum of its numerator over the sum of its denominator, never a mean of rates, so it
// re-aggregates over any filter or grouping. Its parts (measures of the same cube) are named in
// `meta.ratio`, which /meta serves and outcomelens/core/semantic_layer.py reads from the compiled
// model without a Cube server: analytics/ re-aggregates the measure Cube serves instead of
// redefining it. Built here, outside the model files, because Cube's transpiler wraps functions
// written in a model file's `sql` once more (percentiles.js does the same).
'use strict';

const Z_95 = 1.959963984540054; // the 0.975 quantile of the standard normal, as in dbt's z_95()

// `docs` is metrics.js's measure(name): its meta is kept and the ratio's parts added to it.
function ratioMeasure(numerator, denominator, docs) {
  return {
    ...docs,
    type: 'number',
    sql: (CUBE) => `1.0 * ${CUBE[numerator]} / NULLIF(${CUBE[denominator]}, 0)`,
    meta: { ...docs.meta, ratio: { numerator, denominator } },
  };
}

// The Wilson score bound for x successes in n trials: (x + z²/2 ∓ z·√(x(n−x)/n + z²/4)) / (n + z²),
// the textbook form multiplied through by n so that it reads the summed parts directly. NULL without
// trials, or when the parts contradict each other (x outside [0, n]); kept inside [0, 1] against
// rounding.
function wilsonSql(x, n, bound) {
  const sign = bound === 'lower' ? '-' : '+';
  const clamp = bound === 'lower' ? 'GREATEST(0.0, ' : 'LEAST(1.0, ';
  const half = `${Z_95} * SQRT(1.0 * ${x} * (${n} - ${x}) / ${n} + ${(Z_95 * Z_95) / 4})`;
  return `CASE WHEN ${n} > 0 AND ${x} BETWEEN 0 AND ${n} THEN `
    + `${clamp}(${x} + ${(Z_95 * Z_95) / 2} ${sign} ${half}) / (${n} + ${Z_95 * Z_95})) END`;
}

// A `number` measure for one bound of the 95% Wilson interval of successes / trials (both summed
// measures of the same cube); `bound` is 'lower' or 'upper'.
function wilsonBound({ successes, trials, bound }, docs) {
  if (bound !== 'lower' && bound !== 'upper') throw new Error(`bound must be lower or upper, got ${bound}`);
  return {
    ...docs,
    type: 'number',
    sql: (CUBE) => wilsonSql(CUBE[successes], CUBE[trials], bound),
    meta: { ...docs.meta, interval: { method: 'wilson', level: 0.95, bound, successes, trials } },
  };
}

module.exports = { Z_95, ratioMeasure, wilsonBound, wilsonSql };
