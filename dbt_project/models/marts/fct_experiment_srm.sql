{#-
    Sample ratio mismatch per experiment: the observed conversations per arm against the expected
    split — the registered shares (ops.experiment_variants) when the experiment is registered, else an
    equal split over the arms seen — by Pearson's chi-square sum((observed − expected)² / expected)
    with arms − 1 degrees of freedom, flagged when p < 0.001, i.e. above the seed's critical value
    (Postgres has no chi-square distribution; scipy wrote the seed). An arm seen in the data that the
    registration does not have is a mismatch by itself. A mismatch means assignment or logging lost
    units in some arm: the comparison of that experiment is not to be trusted.
-#}

with

observed as (

    select
        experiment_id,
        variant,
        sum(conversations) as conversations

    from {{ ref('fct_attribution_daily') }}
    where experiment_id is not null
        and variant is not null
    group by experiment_id, variant

),

registered as (

    select variants.*
    from {{ ref('stg_ops__experiment_variants') }} as variants
    where variants.experiment_id in (select experiment_id from observed)

),

arms as (

    select
        coalesce(observed.experiment_id, registered.experiment_id) as experiment_id,
        coalesce(observed.variant, registered.variant) as variant,
        coalesce(observed.conversations, 0) as conversations,
        registered.expected_share,
        coalesce(observed.experiment_id, registered.experiment_id) in (select experiment_id from registered)
            as is_registered

    from observed
    full outer join registered
        on observed.experiment_id = registered.experiment_id
        and observed.variant = registered.variant

),

totals as (

    select
        experiment_id,
        count(*) as arm_count,
        sum(conversations) as conversations,
        bool_or(is_registered) as uses_registered_split,
        bool_or(is_registered and expected_share is null and conversations > 0) as has_unregistered_arm,
        min(conversations) as smallest_arm,
        max(conversations) as largest_arm

    from arms
    group by experiment_id

),

expected as (

    select
        arms.experiment_id,
        arms.conversations,
        totals.conversations * case
            when totals.uses_registered_split then arms.expected_share
            else 1.0 / totals.arm_count
        end as expected_conversations

    from arms
    inner join totals on arms.experiment_id = totals.experiment_id

),

statistic as (

    select
        experiment_id,
        sum(power(conversations - expected_conversations, 2) / nullif(expected_conversations, 0)) as chi_square

    from expected
    group by experiment_id

),

final as (

    select
        totals.experiment_id,
        {{ dbt.cast('totals.arm_count', dbt.type_bigint()) }} as arm_count,
        {{ dbt.cast('totals.conversations', dbt.type_bigint()) }} as conversations,
        case when totals.uses_registered_split then 'registered' else 'equal' end as expected_split,
        {{ dbt.cast('totals.smallest_arm / nullif(cast(totals.conversations as ' ~ dbt.type_float() ~ '), 0)', dbt.type_float()) }} as smallest_share,
        {{ dbt.cast('totals.largest_arm / nullif(cast(totals.conversations as ' ~ dbt.type_float() ~ '), 0)', dbt.type_float()) }} as largest_share,
        {{ dbt.cast('statistic.chi_square', dbt.type_float()) }} as srm_chi_square,
        {{ dbt.cast('totals.arm_count - 1', dbt.type_bigint()) }} as srm_degrees_of_freedom,
        {{ dbt.cast('critical.critical_value', dbt.type_float()) }} as srm_critical_value,
        coalesce(totals.has_unregistered_arm, false)
            or coalesce(statistic.chi_square > critical.critical_value, false) as sample_ratio_mismatch

    from totals
    inner join statistic on totals.experiment_id = statistic.experiment_id
    left join {{ ref('chi_square_critical_values') }} as critical
        on critical.degrees_of_freedom = totals.arm_count - 1
        and critical.alpha = 0.001

)

select * from final
