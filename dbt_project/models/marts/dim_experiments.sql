{#- One row per experiment seen in the data: its arms, control arm, period and size. -#}

with

conversations as (

    select * from {{ ref('int_conversations') }}
    where experiment_id is not null

),

arms as (

    select distinct experiment_id, variant
    from conversations
    where variant is not null

),

arm_lists as (

    select
        experiment_id,
        {{ dbt.listagg('variant', "', '", "order by variant") }} as variants,
        max(case when variant = 'control' then variant end) as control_variant
    from arms
    group by experiment_id

),

sizes as (

    select
        experiment_id,
        count(*) as conversations,
        min(started_at) as first_seen_at,
        max(started_at) as last_seen_at
    from conversations
    group by experiment_id

),

final as (

    select
        sizes.experiment_id,
        {{ to_text('arm_lists.variants') }} as variants,
        {{ to_text('arm_lists.control_variant') }} as control_variant,
        {{ dbt.cast('sizes.conversations', dbt.type_bigint()) }} as conversations,
        sizes.first_seen_at,
        sizes.last_seen_at

    from sizes
    left join arm_lists
        on sizes.experiment_id = arm_lists.experiment_id

)

select * from final
