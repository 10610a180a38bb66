{{ config(meta={'dagster': {'ref': {'name': 'fct_conversations'}}}) }}
-- Last touch: no conversation of any of the deal's contacts started after the credited one and
-- still at or before the deal closed.
with

credited as (

    select
        fct.conversation_id,
        fct.started_at,
        fct.deal_id,
        deals.closed_at
    from {{ ref('fct_conversations') }} as fct
    inner join {{ ref('stg_hubspot__deals') }} as deals
        on fct.deal_id = deals.deal_id

)

select
    credited.deal_id,
    credited.conversation_id as credited_conversation_id,
    later.conversation_id as later_conversation_id
from credited
inner join {{ ref('stg_hubspot__deal_contacts') }} as deal_contacts
    on credited.deal_id = deal_contacts.deal_id
inner join {{ ref('fct_conversations') }} as later
    on deal_contacts.contact_id = later.contact_id
where later.conversation_id <> credited.conversation_id
    and later.started_at <= credited.closed_at
    and (
        later.started_at > credited.started_at
        or (later.started_at = credited.started_at and later.conversation_id > credited.conversation_id)
    )
