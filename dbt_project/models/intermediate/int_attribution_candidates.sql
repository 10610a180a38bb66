{#-
    Deal × conversation pairs eligible for attribution (step 2 of int_conversations__outcomes): a
    closedwon deal associated with the conversation's contact (int_conversation_contacts) that closed
    within [started_at, started_at + attribution_window_days days].

    A table of its own, analyzed, so the ranking in int_conversations__outcomes starts from real row
    counts rather than a guess multiplied through three joins.
-#}

{%- set window_hours = var('attribution_window_days') | int * 24 %}

with

conversation_contacts as (

    select * from {{ ref('int_conversation_contacts') }}

),

deals as (

    select * from {{ ref('stg_hubspot__deals') }}

),

deal_contacts as (

    select * from {{ ref('stg_hubspot__deal_contacts') }}

),

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

)

select * from candidates
