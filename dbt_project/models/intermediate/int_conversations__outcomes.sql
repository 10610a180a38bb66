{#-
    Conversion attribution (docs/contracts.md, DESIGN.md §3).

    1. Each conversation is linked to a HubSpot contact: its customer_ref equals the contact id, or
       lower(trim(customer_ref)) equals lower(trim(email)). An id match beats an e-mail match; ties
       (the same e-mail on several contacts) go to the smallest contact id.
    2. A closedwon deal associated with that contact is a candidate for the conversation when it
       closed within [started_at, started_at + attribution_window_days days].
    3. Last touch: each deal goes to the latest candidate conversation (across all of the deal's
       contacts), so it is credited at most once.
    4. A conversation keeps at most one deal (one row per conversation): the first to close. Further
       deals landing on the same conversation stay uncredited rather than double-counting it.
-#}

{%- set window_hours = var('attribution_window_days') | int * 24 %}

with

conversations as (

    select
        conversation_id,
        customer_ref,
        {{ normalize_text('customer_ref') }} as customer_key,
        started_at

    from {{ ref('int_conversations') }}

),

contacts as (

    select * from {{ ref('stg_hubspot__contacts') }}

),

deals as (

    select * from {{ ref('stg_hubspot__deals') }}

),

deal_contacts as (

    select * from {{ ref('stg_hubspot__deal_contacts') }}

),

----------  conversation → contact

contact_keys as (

    select
        contact_id,
        {{ normalize_text('contact_id') }} as customer_key,
        1 as key_priority

    from contacts

    union all

    select
        contact_id,
        {{ normalize_text('email') }} as customer_key,
        2 as key_priority

    from contacts

),

contact_matches as (

    select
        conversations.conversation_id,
        contact_keys.contact_id,
        row_number() over (
            partition by conversations.conversation_id
            order by contact_keys.key_priority, contact_keys.contact_id
        ) as match_rank

    from conversations
    inner join contact_keys
        on conversations.customer_key = contact_keys.customer_key

),

conversation_contacts as (

    select
        conversations.conversation_id,
        conversations.started_at,
        contact_matches.contact_id

    from conversations
    left join contact_matches
        on conversations.conversation_id = contact_matches.conversation_id
        and contact_matches.match_rank = 1

),

----------  deal → conversation (last touch within the window)

won_deals as (

    select
        deal_id,
        closed_at,
        amount_usd

    from deals
    where is_closed_won
        and closed_at is not null

),

candidates as (

    select distinct
        won_deals.deal_id,
        won_deals.closed_at,
        won_deals.amount_usd,
        conversation_contacts.conversation_id,
        conversation_contacts.started_at

    from won_deals
    inner join deal_contacts
        on won_deals.deal_id = deal_contacts.deal_id
    inner join conversation_contacts
        on deal_contacts.contact_id = conversation_contacts.contact_id
    where won_deals.closed_at >= conversation_contacts.started_at
        and won_deals.closed_at <= {{ dbt.dateadd('hour', window_hours, 'conversation_contacts.started_at') }}

),

last_touch as (

    select
        *,
        row_number() over (
            partition by deal_id
            order by started_at desc, conversation_id desc
        ) as touch_rank

    from candidates

),

credited as (

    select
        *,
        row_number() over (
            partition by conversation_id
            order by closed_at, deal_id
        ) as deal_rank

    from last_touch
    where touch_rank = 1

),

final as (

    select
        conversation_contacts.conversation_id,
        conversation_contacts.contact_id,
        credited.deal_id,
        credited.closed_at as deal_closed_at,
        credited.amount_usd as order_value_usd,
        credited.deal_id is not null as converted

    from conversation_contacts
    left join credited
        on conversation_contacts.conversation_id = credited.conversation_id
        and credited.deal_rank = 1

)

select * from final
