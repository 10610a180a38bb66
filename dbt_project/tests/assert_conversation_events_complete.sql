{{ config(severity='warn') }}
-- Contract: every conversation has exactly one `started` and exactly one terminal event.
-- A warning, not an error: open conversations are normal for a few minutes after they start.
select
    conversation_id,
    sum(case when kind = 'started' then 1 else 0 end) as started_events,
    sum(case when is_terminal then 1 else 0 end) as terminal_events
from {{ ref('stg_outcomelens__conversation_events') }}
group by conversation_id
having sum(case when kind = 'started' then 1 else 0 end) <> 1
    or sum(case when is_terminal then 1 else 0 end) <> 1
