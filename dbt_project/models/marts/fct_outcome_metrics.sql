{#- Generic outcome metrics in long form (docs/contracts.md marts.fct_outcome_metrics). `variant`, an
    extra column of some sources (the demo), follows the contracted columns. -#}

with

metrics as (

    select * from {{ ref('stg_outcomelens__outcome_metrics') }}

),

final as (

    select
        event_id,
        occurred_at,
        {{ utc_date('occurred_at') }} as date_day,
        experiment_id,
        metric_name,
        metric_value,
        intent,
        capability,
        action,
        llm_model,
        user_id,
        conversation_id,
        customer_ref,
        source,
        variant

    from metrics

)

select * from final
