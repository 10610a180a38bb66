{#-
    One row per unit of an experiment — a conversation with an experiment and a variant — with its
    outcomes and CUPED's pre-period covariate: how often its contact converted (closedwon HubSpot
    deals, whatever channel) in the var('cuped_pre_period_days') days before the experiment started.
    The experiment starts on its registered starts_on, else on the day of its first conversation
    (dim_experiments). History before the start cannot depend on the arm, which is what lets CUPED
    (analytics/experiment_stats.py) remove its share of the variance without biasing the difference.
    A conversation with no matched contact has no known history: 0.
-#}

with

experiments as (

    select
        experiment_id,
        -- midnight UTC of the start day, whatever the session's time zone
        coalesce(
            cast(starts_on as timestamp) at time zone 'UTC',
            date_trunc('day', first_seen_at at time zone 'UTC') at time zone 'UTC'
        ) as experiment_started_at

    from {{ ref('dim_experiments') }}

),

units as (

    select
        conversations.conversation_id,
        conversations.experiment_id,
        conversations.variant,
        conversations.contact_id,
        conversations.converted,
        conversations.escalated,
        conversations.deflected,
        experiments.experiment_started_at

    from {{ ref('fct_conversations') }} as conversations
    inner join experiments
        on conversations.experiment_id = experiments.experiment_id
    where conversations.variant is not null

),

purchases as (

    select
        deal_contacts.contact_id,
        deals.closed_at

    from {{ ref('stg_hubspot__deals') }} as deals
    inner join {{ ref('stg_hubspot__deal_contacts') }} as deal_contacts
        on deals.deal_id = deal_contacts.deal_id
    where deals.is_closed_won
        and deals.closed_at is not null

),

history as (

    select
        units.conversation_id,
        count(*) as pre_period_conversions

    from units
    inner join purchases
        on units.contact_id = purchases.contact_id
        and purchases.closed_at < units.experiment_started_at
        and purchases.closed_at >= {{ dbt.dateadd('day', -var('cuped_pre_period_days'), 'units.experiment_started_at') }}
    group by units.conversation_id

),

final as (

    select
        units.conversation_id,
        units.experiment_id,
        units.variant,
        units.contact_id,
        units.converted,
        units.escalated,
        units.deflected,
        units.experiment_started_at,
        {{ dbt.cast('coalesce(history.pre_period_conversions, 0)', dbt.type_bigint()) }} as pre_period_conversions

    from units
    left join history
        on units.conversation_id = history.conversation_id

)

select * from final
