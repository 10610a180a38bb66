{#-
    Experiment comparison (docs/contracts.md): per experiment × metric × non-control variant, the
    variant's value against the control's, the difference variant − control with a 95% interval,
    sample sizes, significance and power. Computed only from the additive parts of
    fct_attribution_daily (counts, sums, sums of squares), so the semantic layer can compute the
    same numbers over any filter.

    Proportions use Newcombe's hybrid score interval from two Wilson intervals; means use Welch's
    interval (unequal variances, Welch–Satterthwaite degrees of freedom). underpowered: fewer than
    100 units in an arm, or power below 0.8 to detect the observed difference at α = 0.05 (two-sided),
    i.e. |difference| / se < z(0.975) + z(0.8) = 2.80158.
    Latency is compared per call (calls of one conversation are treated as independent).

    Each row also carries what decides whether to trust it: its experiment's registration
    (dim_experiments: registered / unregistered), whether the variant is one the registration lists
    (registered) or was only seen in the data (seen_only), and the experiment's sample ratio mismatch
    (fct_experiment_srm: flag and chi-square; the p-value is in insights.experiment_statistics, as
    Postgres has no chi-square distribution).
-#}

{%- set proportions = [
    {'name': 'conversion_rate', 'x': 'conversions', 'n': 'conversations'},
    {'name': 'escalation_rate', 'x': 'escalated', 'n': 'conversations'},
    {'name': 'deflection_rate', 'x': 'deflected', 'n': 'conversations'},
    {'name': 'thumbs_up_rate', 'x': 'thumbs_up', 'n': 'thumbs_total'},
] -%}
{%- set means = [
    {'name': 'average_order_value', 'n': 'conversions', 'sum': 'order_value_sum', 'sum_sq': 'order_value_sum_sq'},
    {'name': 'csat', 'n': 'csat_count', 'sum': 'csat_sum', 'sum_sq': 'csat_sum_sq'},
    {'name': 'resolution_time_mean_s', 'n': 'resolved', 'sum': 'resolution_time_s_sum', 'sum_sq': 'resolution_time_s_sum_sq'},
    {'name': 'latency_mean_ms', 'n': 'llm_calls', 'sum': 'latency_ms_sum', 'sum_sq': 'latency_ms_sum_sq'},
    {'name': 'cost_per_conversation', 'n': 'conversations', 'sum': 'cost_usd', 'sum_sq': 'cost_usd_sum_sq'},
] -%}
{%- set parts = ['conversations', 'conversions', 'escalated', 'deflected', 'resolved', 'thumbs_up',
                 'thumbs_total', 'csat_count', 'llm_calls', 'order_value_sum', 'order_value_sum_sq',
                 'csat_sum', 'csat_sum_sq', 'resolution_time_s_sum', 'resolution_time_s_sum_sq',
                 'latency_ms_sum', 'latency_ms_sum_sq', 'cost_usd', 'cost_usd_sum_sq'] -%}
{%- set control = 'control' -%}

with

arms as (

    select
        experiment_id,
        variant
        {%- for part in parts %},
        sum({{ part }}) as {{ part }}
        {%- endfor %}

    from {{ ref('fct_attribution_daily') }}
    where experiment_id is not null
        and variant is not null
    group by experiment_id, variant

),

pairs as (

    select
        treated.experiment_id,
        treated.variant,
        control_arm.variant as control_variant
        {%- for part in parts %},
        control_arm.{{ part }} as c_{{ part }},
        treated.{{ part }} as v_{{ part }}
        {%- endfor %}

    from arms as treated
    inner join arms as control_arm
        on treated.experiment_id = control_arm.experiment_id
        and control_arm.variant = '{{ control }}'
    where treated.variant <> '{{ control }}'

),

compared as (

    {%- for m in proportions %}
    {%- set p1 = '(cast(c_' ~ m.x ~ ' as ' ~ dbt.type_float() ~ ') / nullif(c_' ~ m.n ~ ', 0))' %}
    {%- set p2 = '(cast(v_' ~ m.x ~ ' as ' ~ dbt.type_float() ~ ') / nullif(v_' ~ m.n ~ ', 0))' %}

    select
        experiment_id,
        '{{ m.name }}' as metric_name,
        variant,
        control_variant,
        c_{{ m.n }} as n_control,
        v_{{ m.n }} as n_variant,
        {{ p1 }} as control_value,
        {{ p2 }} as variant_value,
        {{ newcombe_bound('c_' ~ m.x, 'c_' ~ m.n, 'v_' ~ m.x, 'v_' ~ m.n, -1) }} as ci_low,
        {{ newcombe_bound('c_' ~ m.x, 'c_' ~ m.n, 'v_' ~ m.x, 'v_' ~ m.n, 1) }} as ci_high,
        sqrt({{ p1 }} * (1 - {{ p1 }}) / nullif(c_{{ m.n }}, 0) + {{ p2 }} * (1 - {{ p2 }}) / nullif(v_{{ m.n }}, 0)) as standard_error,
        'newcombe_wilson' as method

    from pairs

    union all
    {%- endfor %}

    {%- for m in means %}
    {%- set mean1 = '(c_' ~ m.sum ~ ' / nullif(c_' ~ m.n ~ ', 0))' %}
    {%- set mean2 = '(v_' ~ m.sum ~ ' / nullif(v_' ~ m.n ~ ', 0))' %}
    {%- set se1 = '(' ~ sample_variance('c_' ~ m.n, 'c_' ~ m.sum, 'c_' ~ m.sum_sq) ~ ') / nullif(c_' ~ m.n ~ ', 0)' %}
    {%- set se2 = '(' ~ sample_variance('v_' ~ m.n, 'v_' ~ m.sum, 'v_' ~ m.sum_sq) ~ ') / nullif(v_' ~ m.n ~ ', 0)' %}

    select
        experiment_id,
        '{{ m.name }}' as metric_name,
        variant,
        control_variant,
        c_{{ m.n }} as n_control,
        v_{{ m.n }} as n_variant,
        {{ mean1 }} as control_value,
        {{ mean2 }} as variant_value,
        ({{ mean2 }} - {{ mean1 }}) - {{ t_975('welch_df') }} * sqrt(se1_sq + se2_sq) as ci_low,
        ({{ mean2 }} - {{ mean1 }}) + {{ t_975('welch_df') }} * sqrt(se1_sq + se2_sq) as ci_high,
        sqrt(se1_sq + se2_sq) as standard_error,
        'welch' as method

    from (
        select
            with_se.*,
            -- Welch–Satterthwaite degrees of freedom
            power(se1_sq + se2_sq, 2) / nullif(
                power(se1_sq, 2) / nullif(c_{{ m.n }} - 1, 0) + power(se2_sq, 2) / nullif(v_{{ m.n }} - 1, 0), 0
            ) as welch_df
        from (
            select
                pairs.*,
                {{ se1 }} as se1_sq,
                {{ se2 }} as se2_sq
            from pairs
        ) as with_se
    ) as with_df

    {% if not loop.last %}union all{% endif %}
    {%- endfor %}

),

final as (

    select
        compared.experiment_id,
        compared.metric_name,
        compared.variant,
        compared.control_variant,
        {{ dbt.cast('coalesce(n_control, 0)', dbt.type_bigint()) }} as n_control,
        {{ dbt.cast('coalesce(n_variant, 0)', dbt.type_bigint()) }} as n_variant,
        {{ dbt.cast('control_value', dbt.type_float()) }} as control_value,
        {{ dbt.cast('variant_value', dbt.type_float()) }} as variant_value,
        {{ dbt.cast('variant_value - control_value', dbt.type_float()) }} as difference,
        {{ dbt.cast('ci_low', dbt.type_float()) }} as ci_low,
        {{ dbt.cast('ci_high', dbt.type_float()) }} as ci_high,
        {{ dbt.cast('standard_error', dbt.type_float()) }} as standard_error,
        method,
        coalesce(ci_low > 0 or ci_high < 0, false) as significant,
        coalesce(n_control, 0) < 100
            or coalesce(n_variant, 0) < 100
            or coalesce(abs(variant_value - control_value) < 2.80158 * standard_error, true) as underpowered,
        coalesce(experiments.registration_status, 'unregistered') as registration_status,
        case when registered_variants.variant is null then 'seen_only' else 'registered' end as variant_registration,
        coalesce(srm.sample_ratio_mismatch, false) as sample_ratio_mismatch,
        srm.srm_chi_square,
        srm.srm_degrees_of_freedom

    from compared
    left join {{ ref('dim_experiments') }} as experiments
        on compared.experiment_id = experiments.experiment_id
    left join {{ ref('stg_ops__experiment_variants') }} as registered_variants
        on compared.experiment_id = registered_variants.experiment_id
        and compared.variant = registered_variants.variant
    left join {{ ref('fct_experiment_srm') }} as srm
        on compared.experiment_id = srm.experiment_id

)

select * from final
