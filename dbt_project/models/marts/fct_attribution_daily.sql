{#-
    Additive parts per day × dimension combination (docs/contracts.md, DESIGN.md §3): every rate and
    mean re-aggregates over any filter as a ratio of sums, e.g. conversion rate =
    sum(conversions) / sum(conversations). Built from the same intermediate models as
    fct_conversations; the test assert_attribution_daily_reconciles checks the two agree.
-#}

with

conversations as (

    select * from {{ ref('int_conversations') }}

),

outcomes as (

    select * from {{ ref('int_conversations__outcomes') }}

),

joined as (

    select
        conversations.*,
        coalesce(outcomes.converted, false) as converted,
        outcomes.order_value_usd

    from conversations
    left join outcomes
        on conversations.conversation_id = outcomes.conversation_id

),

final as (

    select
        ----------  grain
        date_day,
        experiment_id,
        variant,
        prompt_id,
        prompt_version,
        config_hash,
        llm_provider,
        llm_model,
        intent,
        capability,
        action,

        ----------  conversion
        {{ dbt.cast('count(*)', dbt.type_bigint()) }} as conversations,
        {{ dbt.cast('sum(case when converted then 1 else 0 end)', dbt.type_bigint()) }} as conversions,
        {{ dbt.cast('coalesce(sum(order_value_usd), 0)', dbt.type_float()) }} as order_value_sum,
        {{ dbt.cast('coalesce(sum(order_value_usd * order_value_usd), 0)', dbt.type_float()) }} as order_value_sum_sq,

        ----------  service outcomes
        {{ dbt.cast('sum(case when resolved then 1 else 0 end)', dbt.type_bigint()) }} as resolved,
        {{ dbt.cast('sum(case when escalated then 1 else 0 end)', dbt.type_bigint()) }} as escalated,
        {{ dbt.cast('sum(case when deflected then 1 else 0 end)', dbt.type_bigint()) }} as deflected,
        {{ dbt.cast('sum(case when abandoned then 1 else 0 end)', dbt.type_bigint()) }} as abandoned,
        {{ dbt.cast('coalesce(sum(resolution_time_s), 0)', dbt.type_float()) }} as resolution_time_s_sum,

        ----------  LLM calls
        {{ dbt.cast('sum(llm_calls)', dbt.type_bigint()) }} as llm_calls,
        {{ dbt.cast('sum(llm_errors)', dbt.type_bigint()) }} as llm_errors,
        {{ dbt.cast('sum(latency_ms_sum)', dbt.type_float()) }} as latency_ms_sum,
        {{ dbt.cast('sum(latency_ms_sum_sq)', dbt.type_float()) }} as latency_ms_sum_sq,
        {{ dbt.cast('sum(input_tokens)', dbt.type_bigint()) }} as input_tokens,
        {{ dbt.cast('sum(output_tokens)', dbt.type_bigint()) }} as output_tokens,
        {{ dbt.cast('sum(cost_usd)', dbt.type_float()) }} as cost_usd,

        ----------  feedback
        {{ dbt.cast('sum(thumbs_up)', dbt.type_bigint()) }} as thumbs_up,
        {{ dbt.cast('sum(thumbs_up + thumbs_down)', dbt.type_bigint()) }} as thumbs_total,
        {{ dbt.cast('coalesce(sum(csat), 0)', dbt.type_float()) }} as csat_sum,
        {{ dbt.cast('count(csat)', dbt.type_bigint()) }} as csat_count

    from joined
    group by
        date_day,
        experiment_id,
        variant,
        prompt_id,
        prompt_version,
        config_hash,
        llm_provider,
        llm_model,
        intent,
        capability,
        action

)

select * from final
