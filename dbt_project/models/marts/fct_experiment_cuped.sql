{#-
    CUPED's sufficient statistics per experiment × arm × metric (per-conversation proportions only):
    units n, Σy, Σy², Σx, Σx², Σxy with y the unit's outcome (0/1) and x its pre-period covariate
    (int_experiment_unit_covariates.pre_period_conversions). From these alone the experiment_statistics
    asset (analytics/experiment_stats.py, cuped_from_moments) gets θ, the adjusted difference, its
    interval and the variance reduction, exactly as from the units themselves.
-#}

{%- set metrics = [
    {'name': 'conversion_rate', 'y': 'converted'},
    {'name': 'escalation_rate', 'y': 'escalated'},
    {'name': 'deflection_rate', 'y': 'deflected'},
] -%}

with

units as (

    select * from {{ ref('int_experiment_unit_covariates') }}

),

moments as (

    {%- for m in metrics %}
    select
        experiment_id,
        variant,
        '{{ m.name }}' as metric_name,
        count(*) as units,
        sum(case when {{ m.y }} then 1 else 0 end) as y_sum,
        sum(pre_period_conversions) as x_sum,
        sum(pre_period_conversions * pre_period_conversions) as x_sum_sq,
        sum(case when {{ m.y }} then pre_period_conversions else 0 end) as xy_sum,
        sum(case when pre_period_conversions > 0 then 1 else 0 end) as units_with_history

    from units
    group by experiment_id, variant
    {% if not loop.last %}union all{% endif %}
    {%- endfor %}

),

final as (

    select
        experiment_id,
        variant,
        metric_name,
        {{ dbt.cast('units', dbt.type_bigint()) }} as units,
        {{ dbt.cast('y_sum', dbt.type_float()) }} as y_sum,
        -- y is 0/1: Σy² = Σy
        {{ dbt.cast('y_sum', dbt.type_float()) }} as y_sum_sq,
        {{ dbt.cast('x_sum', dbt.type_float()) }} as x_sum,
        {{ dbt.cast('x_sum_sq', dbt.type_float()) }} as x_sum_sq,
        {{ dbt.cast('xy_sum', dbt.type_float()) }} as xy_sum,
        {{ dbt.cast('units_with_history', dbt.type_bigint()) }} as units_with_history

    from moments

)

select * from final
