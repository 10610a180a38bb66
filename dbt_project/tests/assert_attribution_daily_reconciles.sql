{{ config(meta={'dagster': {'ref': {'name': 'fct_attribution_daily'}}}) }}
-- The daily additive mart and the conversation mart tell the same story: every total agrees
-- (conversations = count of fct_conversations, conversions, revenue, calls, tokens, cost, feedback).
-- Counts exactly; sums of floats to a relative tolerance, since Postgres adds them in whatever
-- order its (parallel) plan reads the rows: at 10M calls the latency sum is ~1e10 ms, and two
-- orders differ in the 5th decimal (an absolute 0.001 failed one build and passed the next).
with

daily as (

    select
        sum(conversations) as conversations,
        sum(conversions) as conversions,
        sum(order_value_sum) as order_value_sum,
        sum(resolved) as resolved,
        sum(escalated) as escalated,
        sum(deflected) as deflected,
        sum(abandoned) as abandoned,
        sum(resolution_time_s_sum) as resolution_time_s_sum,
        sum(llm_calls) as llm_calls,
        sum(llm_errors) as llm_errors,
        sum(latency_ms_sum) as latency_ms_sum,
        sum(input_tokens) as input_tokens,
        sum(output_tokens) as output_tokens,
        sum(cost_usd) as cost_usd,
        sum(thumbs_up) as thumbs_up,
        sum(thumbs_total) as thumbs_total,
        sum(csat_sum) as csat_sum,
        sum(csat_count) as csat_count
    from {{ ref('fct_attribution_daily') }}

),

conversations as (

    select
        count(*) as conversations,
        sum(case when converted then 1 else 0 end) as conversions,
        coalesce(sum(order_value_usd), 0) as order_value_sum,
        sum(case when resolved then 1 else 0 end) as resolved,
        sum(case when escalated then 1 else 0 end) as escalated,
        sum(case when deflected then 1 else 0 end) as deflected,
        sum(case when abandoned then 1 else 0 end) as abandoned,
        coalesce(sum(resolution_time_s), 0) as resolution_time_s_sum,
        sum(llm_calls) as llm_calls,
        sum(llm_errors) as llm_errors,
        sum(latency_ms_sum) as latency_ms_sum,
        sum(input_tokens) as input_tokens,
        sum(output_tokens) as output_tokens,
        sum(cost_usd) as cost_usd,
        sum(thumbs_up) as thumbs_up,
        sum(thumbs_up + thumbs_down) as thumbs_total,
        coalesce(sum(csat), 0) as csat_sum,
        count(csat) as csat_count
    from {{ ref('fct_conversations') }}

)

select
    daily.*
from daily
cross join conversations
where coalesce(daily.conversations, 0) <> conversations.conversations
    or coalesce(daily.conversions, 0) <> coalesce(conversations.conversions, 0)
    or {{ floats_differ('coalesce(daily.order_value_sum, 0)', 'coalesce(conversations.order_value_sum, 0)') }}
    or coalesce(daily.resolved, 0) <> coalesce(conversations.resolved, 0)
    or coalesce(daily.escalated, 0) <> coalesce(conversations.escalated, 0)
    or coalesce(daily.deflected, 0) <> coalesce(conversations.deflected, 0)
    or coalesce(daily.abandoned, 0) <> coalesce(conversations.abandoned, 0)
    or {{ floats_differ('coalesce(daily.resolution_time_s_sum, 0)', 'coalesce(conversations.resolution_time_s_sum, 0)') }}
    or coalesce(daily.llm_calls, 0) <> coalesce(conversations.llm_calls, 0)
    or coalesce(daily.llm_errors, 0) <> coalesce(conversations.llm_errors, 0)
    or {{ floats_differ('coalesce(daily.latency_ms_sum, 0)', 'coalesce(conversations.latency_ms_sum, 0)') }}
    or coalesce(daily.input_tokens, 0) <> coalesce(conversations.input_tokens, 0)
    or coalesce(daily.output_tokens, 0) <> coalesce(conversations.output_tokens, 0)
    or {{ floats_differ('coalesce(daily.cost_usd, 0)', 'coalesce(conversations.cost_usd, 0)') }}
    or coalesce(daily.thumbs_up, 0) <> coalesce(conversations.thumbs_up, 0)
    or coalesce(daily.thumbs_total, 0) <> coalesce(conversations.thumbs_total, 0)
    or {{ floats_differ('coalesce(daily.csat_sum, 0)', 'coalesce(conversations.csat_sum, 0)') }}
    or coalesce(daily.csat_count, 0) <> conversations.csat_count
