// How the product is used (the PRD's "User Engagement"): active users by role, page views per page,
// queries per view, per day or week. For admin and enablement only (access.js).
const access = require('../access');

const { role } = COMPILE_CONTEXT.securityContext || {};

if (access.canSeeView(role, `engagement`)) {
  view(`engagement`, {
    title: `Engagement`,
    description: `Active users by role, page views per page and queries per view, per day or week.`,
    cubes: [
      {
        join_path: engagement_events,
        includes: [`engaged_at`, `kind`, `role`, `page`, `view_name`,
          `page_views`, `api_queries`, `active_users`, `response_ms_mean`],
      },
    ],
  });
}
