{#-
    Conversion attribution (docs/contracts.md, docs/design.md §3).

    1. Each conversation is linked to a HubSpot contact: its customer_ref equals the contact id, or
       lower(trim(customer_ref)) equals lower(trim(email)). An id match beats an e-mail match; ties
       (the same e-mail on several contacts) go to the smallest contact id. (int_conversation_contacts)
    2. A closedwon deal associated with that contact is a candidate for the conversation when it
       closed within [started_at, started_at + attribution_window_days days]. (int_attribution_candidates)
    3. Last touch: each deal goes to the latest candidate conversation (across all of the deal's
       contacts), so it is credited at most once.
    4. A conversation keeps at most one deal (one row per conversation): the first to close. Further
       deals landing on the same conversation stay uncredited rather than double-counting it.
    5. conversion_credit / attributed_order_value follow the var attribution_model: last_touch (the
       same deal as `converted`), first_touch (the earliest conversation in the deal's window, again
       at most one deal per conversation) or linear (each conversation in the window gets 1/k of the
       deal and of its amount). `converted` stays the last-touch boolean under every model, so the
       contracted columns never change meaning; a deal's credits sum to at most 1 under every model.

    Steps 1 and 2 are analyzed tables of their own so Postgres plans on real statistics: as one CTE
    query this model took 8 s at 385k conversations and was cancelled after 10 min at 1M (a Nested
    Loop of deals × conversations); split, 6.7 s and 12 s for all three (dbt_project/README.md).
-#}

{%- set attribution_model = var('attribution_model') %}
{%- if attribution_model not in ('last_touch', 'first_touch', 'linear') %}
    {{ exceptions.raise_compiler_error(
        "var attribution_model must be last_touch, first_touch or linear, got '" ~ attribution_model ~ "'") }}
{%- endif %}

with

conversation_contacts as (

    select * from {{ ref('int_conversation_contacts') }}

),

candidates as (

    select * from {{ ref('int_attribution_candidates') }}

),

----------  deal → conversation (last touch within the window)

last_touch as (

    select
        *,
        row_number() over (
            partition by deal_id
            order by started_at desc, conversation_id desc
        ) as touch_rank,
        row_number() over (
            partition by deal_id
            order by started_at, conversation_id
        ) as first_touch_rank,
        count(*) over (partition by deal_id) as touches

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

----------  credit under the chosen attribution model (each deal's credits sum to at most 1)

{% if attribution_model == 'linear' %}
model_credit as (

    -- every conversation in the deal's window gets an equal share of the deal and its amount
    select
        conversation_id,
        sum(1.0 / touches) as conversion_credit,
        sum(amount_usd / touches) as attributed_order_value

    from last_touch
    group by conversation_id

),
{% elif attribution_model == 'first_touch' %}
first_touch_credited as (

    select
        *,
        row_number() over (
            partition by conversation_id
            order by closed_at, deal_id
        ) as deal_rank

    from last_touch
    where first_touch_rank = 1

),

model_credit as (

    select
        conversation_id,
        1.0 as conversion_credit,
        amount_usd as attributed_order_value

    from first_touch_credited
    where deal_rank = 1

),
{% else %}
model_credit as (

    select
        conversation_id,
        1.0 as conversion_credit,
        amount_usd as attributed_order_value

    from credited
    where deal_rank = 1

),
{% endif %}

final as (

    select
        conversation_contacts.conversation_id,
        conversation_contacts.contact_id,
        credited.deal_id,
        credited.closed_at as deal_closed_at,
        credited.amount_usd as order_value_usd,
        credited.deal_id is not null as converted,
        {{ dbt.cast('coalesce(model_credit.conversion_credit, 0)', dbt.type_float()) }} as conversion_credit,
        {{ dbt.cast('model_credit.attributed_order_value', dbt.type_float()) }} as attributed_order_value

    from conversation_contacts
    left join credited
        on conversation_contacts.conversation_id = credited.conversation_id
        and credited.deal_rank = 1
    left join model_credit
        on conversation_contacts.conversation_id = model_credit.conversation_id

)

select * from final
