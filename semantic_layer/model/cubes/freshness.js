// marts.source_freshness: per raw table, when its newest row was loaded. The age is computed here,
// at query time, and the cache lives one second: an age read from a cache would be as old as it.
const { measure, dimension, text } = require('../metrics');

cube(`freshness`, {
  sql_table: `marts.source_freshness`,
  public: false,
  title: `Freshness`,
  description: `Per source and raw table: seconds since its newest row was loaded.`,
  refresh_key: { every: `1 second` },

  measures: {
    age_s: {
      type: `max`,
      sql: `EXTRACT(EPOCH FROM (now() - ${CUBE}.newest_loaded_at))`,
      ...measure(`freshness_age_s`),
    },
  },

  dimensions: {
    table_name: { sql: `table_name`, type: `string`, primary_key: true, public: true, ...dimension(`table_name`) },
    source_name: text(`source_name`),
    newest_loaded_at: { sql: `newest_loaded_at`, type: `time`, ...dimension(`newest_loaded_at`) },
  },
});
