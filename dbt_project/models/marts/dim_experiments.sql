{#- One row per experiment seen in the data or registered (ops.experiments): its arms, control arm,
    period and size as seen, and its registration — arms with expected shares and prompt versions,
    primary and guardrail metrics, start and end. Seen but not registered: registration_status
    'unregistered'; registered but not seen yet: conversations 0. -#}

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

registered as (

    select * from {{ ref('stg_ops__experiments') }}

),

registered_arms as (

    select
        experiment_id,
        {{ dbt.listagg("variant || ' ' || cast(trim_scale(round(cast(expected_share as numeric), 4)) as text) || coalesce(' (' || prompt_version || ')', '')", "', '", "order by not is_control, variant") }} as registered_variants,
        max(case when is_control then variant end) as registered_control
    from {{ ref('stg_ops__experiment_variants') }}
    group by experiment_id

),

final as (

    select
        coalesce(sizes.experiment_id, registered.experiment_id) as experiment_id,
        {{ to_text('arm_lists.variants') }} as variants,
        {{ to_text('coalesce(registered_arms.registered_control, arm_lists.control_variant)') }} as control_variant,
        {{ dbt.cast('coalesce(sizes.conversations, 0)', dbt.type_bigint()) }} as conversations,
        sizes.first_seen_at,
        sizes.last_seen_at,
        registered.experiment_id is not null as is_registered,
        case when registered.experiment_id is null then 'unregistered' else 'registered' end as registration_status,
        registered.experiment_name,
        registered.hypothesis,
        {{ to_text('registered_arms.registered_variants') }} as registered_variants,
        registered.primary_metric,
        registered.guardrail_metrics,
        registered.starts_on,
        registered.ends_on

    from sizes
    left join arm_lists
        on sizes.experiment_id = arm_lists.experiment_id
    full outer join registered
        on sizes.experiment_id = registered.experiment_id
    left join registered_arms
        on registered.experiment_id = registered_arms.experiment_id

)

select * from final
