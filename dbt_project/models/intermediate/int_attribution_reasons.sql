{#-
    Why each conversation has, or has not, a credited deal (the audit trail of the attribution in
    int_conversations__outcomes), one row per conversation. The first that holds:

      credited                          a deal is credited to it (last touch, `converted`)
      no_contact                        its customer_ref matched no HubSpot contact
      credited_to_later_conversation    a closedwon deal of its contact closed within its window,
                                        but went to a later conversation (last touch)
      outside_window                    its contact has closedwon deals, none closed within
                                        [started_at, started_at + attribution_window_days days]
      no_deal                           its contact has no closedwon deal

    Only the credited conversation of a deal can hold it, so a conversation with a candidate
    deal but no credit lost every one of them to a later touch (a second deal landing on an already
    credited conversation leaves that conversation `credited`).
-#}

with

conversation_contacts as (

    select * from {{ ref('int_conversation_contacts') }}

),

candidates as (

    select * from {{ ref('int_attribution_candidates') }}

),

outcomes as (

    select * from {{ ref('int_conversations__outcomes') }}

),

deals as (

    select * from {{ ref('stg_hubspot__deals') }}

),

deal_contacts as (

    select * from {{ ref('stg_hubspot__deal_contacts') }}

),

contacts_with_won_deals as (

    select distinct deal_contacts.contact_id

    from deals
    inner join deal_contacts
        on deals.deal_id = deal_contacts.deal_id
    where deals.is_closed_won
        and deals.closed_at is not null

),

conversations_with_candidates as (

    select distinct conversation_id
    from candidates

),

final as (

    select
        conversation_contacts.conversation_id,
        case
            when outcomes.converted then 'credited'
            when conversation_contacts.contact_id is null then 'no_contact'
            when conversations_with_candidates.conversation_id is not null
                then 'credited_to_later_conversation'
            when contacts_with_won_deals.contact_id is not null then 'outside_window'
            else 'no_deal'
        end as attribution_reason

    from conversation_contacts
    left join outcomes
        on conversation_contacts.conversation_id = outcomes.conversation_id
    left join conversations_with_candidates
        on conversation_contacts.conversation_id = conversations_with_candidates.conversation_id
    left join contacts_with_won_deals
        on conversation_contacts.contact_id = contacts_with_won_deals.contact_id

)

select * from final
