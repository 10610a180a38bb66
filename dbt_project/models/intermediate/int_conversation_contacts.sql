{#-
    Conversation → HubSpot contact (step 1 of the attribution in int_conversations__outcomes), one
    row per conversation. Its customer_ref matches a contact when it equals the contact id or the
    contact's e-mail, both compared with normalize_text. An id match beats an e-mail match; ties (the
    same e-mail on several contacts) go to the smallest contact id.

    Each key is first reduced to its one winning contact, so the match is two left joins against
    lookups no bigger than the contacts (hash joins) instead of a many-to-many join ranked per
    conversation. A table of its own, analyzed, so int_attribution_candidates joins on a contact_id
    whose statistics the planner can see (normalize_text over views has none: Postgres then guesses
    1/200 per join and, at millions of rows, picks merge joins over billions of estimated rows).
-#}

with

conversations as (

    select
        conversation_id,
        {{ normalize_text('customer_ref') }} as customer_key,
        started_at

    from {{ ref('int_conversations') }}

),

contacts as (

    select * from {{ ref('stg_hubspot__contacts') }}

),

----------  one contact per key: the smallest id among the contacts carrying it

id_keys as (

    select
        {{ normalize_text('contact_id') }} as customer_key,
        min(contact_id) as contact_id

    from contacts
    group by 1

),

email_keys as (

    select
        {{ normalize_text('email') }} as customer_key,
        min(contact_id) as contact_id

    from contacts
    group by 1

),

final as (

    select
        conversations.conversation_id,
        conversations.started_at,
        -- an id match wins over an e-mail match
        coalesce(id_keys.contact_id, email_keys.contact_id) as contact_id

    from conversations
    left join id_keys
        on conversations.customer_key = id_keys.customer_key
    left join email_keys
        on conversations.customer_key = email_keys.customer_key

)

select * from final
