-- Who uses the product, how often and how fast: one row per page view or answered Cube query.
-- Active users, views per page and per day or week are aggregated by the semantic layer (engagement).

select
    event_id,
    occurred_at,
    kind,
    user_id,
    role,
    page,
    view_name,
    response_ms
from {{ ref('stg_ops__engagement_events') }}
