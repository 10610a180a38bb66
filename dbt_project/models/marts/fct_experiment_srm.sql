{#-
    Sample ratio mismatch per experiment: the observed conversations per arm against an equal split
    (every arm expected to get 1 / arms of the traffic), Pearson's chi-square statistic
    sum((observed − expected)² / expected) with arms − 1 degrees of freedom, flagged when p < 0.001,
    i.e. above the seed's critical value (Postgres has no chi-square distribution; scipy wrote the
    seed). A mismatch means assignment or logging lost units in some arm: the comparison of that
    experiment is not to be trusted.
-#}

with

arms as (

    select
        experiment_id,
        variant,
        sum(conversations) as conversations

    from {{ ref('fct_attribution_daily') }}
    where experiment_id is not null
        and variant is not null
    group by experiment_id, variant

),

totals as (

    select
        experiment_id,
        count(*) as arm_count,
        sum(conversations) as conversations,
        min(conversations) as smallest_arm,
        max(conversations) as largest_arm

    from arms
    group by experiment_id

),

statistic as (

    select
        arms.experiment_id,
        sum(
            power(arms.conversations - totals.conversations / cast(totals.arm_count as {{ dbt.type_float() }}), 2)
            / nullif(totals.conversations / cast(totals.arm_count as {{ dbt.type_float() }}), 0)
        ) as chi_square

    from arms
    inner join totals on arms.experiment_id = totals.experiment_id
    group by arms.experiment_id

),

final as (

    select
        totals.experiment_id,
        {{ dbt.cast('totals.arm_count', dbt.type_bigint()) }} as arm_count,
        {{ dbt.cast('totals.conversations', dbt.type_bigint()) }} as conversations,
        {{ dbt.cast('1.0 / totals.arm_count', dbt.type_float()) }} as expected_share,
        {{ dbt.cast('totals.smallest_arm / nullif(cast(totals.conversations as ' ~ dbt.type_float() ~ '), 0)', dbt.type_float()) }} as smallest_share,
        {{ dbt.cast('totals.largest_arm / nullif(cast(totals.conversations as ' ~ dbt.type_float() ~ '), 0)', dbt.type_float()) }} as largest_share,
        {{ dbt.cast('statistic.chi_square', dbt.type_float()) }} as srm_chi_square,
        {{ dbt.cast('totals.arm_count - 1', dbt.type_bigint()) }} as srm_degrees_of_freedom,
        {{ dbt.cast('critical.critical_value', dbt.type_float()) }} as srm_critical_value,
        coalesce(statistic.chi_square > critical.critical_value, false) as sample_ratio_mismatch

    from totals
    inner join statistic on totals.experiment_id = statistic.experiment_id
    left join {{ ref('chi_square_critical_values') }} as critical
        on critical.degrees_of_freedom = totals.arm_count - 1
        and critical.alpha = 0.001

)

select * from final
