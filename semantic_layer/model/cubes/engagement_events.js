// marts.fct_engagement_events: dashboard page views and answered Cube queries, one row each, with
// the user and role of the verified token. Active users are distinct token subjects; no member
// names a user, so the view shows how roles use the product, never what one person did.
const { measure, dimension } = require('../metrics');

cube(`engagement_events`, {
  sql_table: `marts.fct_engagement_events`,
  public: false,
  title: `Engagement`,
  description: `Dashboard page views and semantic-layer queries by role, page and view.`,

  measures: {
    page_views: { type: `count`, filters: [{ sql: `${CUBE}.kind = 'page_view'` }], ...measure(`page_views`) },
    api_queries: { type: `count`, filters: [{ sql: `${CUBE}.kind = 'api_query'` }], ...measure(`api_queries`) },
    active_users: { type: `count_distinct`, sql: `user_id`, ...measure(`active_users`) },
    response_ms_mean: { type: `avg`, sql: `response_ms`, ...measure(`response_ms_mean`) },
  },

  dimensions: {
    event_id: { sql: `event_id`, type: `number`, primary_key: true, ...dimension(`event_id`) },
    engaged_at: { sql: `occurred_at`, type: `time`, ...dimension(`engaged_at`) },
    kind: { sql: `kind`, type: `string`, ...dimension(`engagement_kind`) },
    role: { sql: `role`, type: `string`, ...dimension(`role`) },
    page: { sql: `page`, type: `string`, ...dimension(`page`) },
    view_name: { sql: `view_name`, type: `string`, ...dimension(`view_name`) },
  },
});
