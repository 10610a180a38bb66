{{ config(meta={'dagster': {'ref': {'name': 'fct_conversations'}}}) }}
-- Every credited deal is closedwon, associated with the conversation's contact, and closed within
-- [started_at, started_at + attribution_window_days days].
{%- set window_hours = var('attribution_window_days') | int * 24 %}

with

credited as (

    select
        conversation_id,
        contact_id,
        deal_id,
        started_at
    from {{ ref('fct_conversations') }}
    where deal_id is not null

)

select
    credited.*,
    deals.deal_stage,
    deals.closed_at
from credited
left join {{ ref('stg_hubspot__deals') }} as deals
    on credited.deal_id = deals.deal_id
left join {{ ref('stg_hubspot__deal_contacts') }} as deal_contacts
    on credited.deal_id = deal_contacts.deal_id
    and credited.contact_id = deal_contacts.contact_id
where deals.deal_id is null
    or not deals.is_closed_won
    or deal_contacts.deal_id is null
    or deals.closed_at is null
    or deals.closed_at < credited.started_at
    or deals.closed_at > {{ dbt.dateadd('hour', window_hours, 'credited.started_at') }}
