{#-
    Additive parts per day × dimension combination (docs/contracts.md, docs/design.md §3): every rate and
    mean re-aggregates over any filter as a ratio of sums, e.g. conversion rate =
    sum(conversions) / sum(conversations). Built from the same intermediate models as
    fct_conversations; the test assert_attribution_daily_reconciles checks the two agree.

    Incremental by day: a run rebuilds (delete+insert on date_day) the days of the conversations
    fct_conversations rewrote since this table's last run (refreshed_at), and the days those
    conversations moved away from (replaced_date_day); a micro-batch of today's calls rebuilds
    today, not years of days. A full build reads every conversation. A day every conversation
    left keeps its old row until a full refresh (the delete only reaches days the run writes).
-#}

-- depends_on: {{ ref('fct_conversations') }}

{{
    config(
        materialized='incremental',
        unique_key='date_day',
        incremental_strategy='delete+insert',
        on_schema_change='append_new_columns'
    )
}}

{%- set rebuild_changed_days = is_incremental() and not stored_columns_missing() %}

{#- Dimensions and histogram edges come from the contract (macros/contract.sql). -#}
{%- set latency_edges = latency_edges_ms() -%}
{%- set resolution_edges = resolution_edges_s() -%}

with

{% if rebuild_changed_days %}
rewritten as (

    select date_day, replaced_date_day
    from {{ ref('fct_conversations') }}
    where refreshed_at > (select coalesce(max(refreshed_at), '-infinity') from {{ this }})

),

changed_days as (

    select date_day from rewritten
    union
    select replaced_date_day from rewritten where replaced_date_day is not null

),
{% endif %}

conversations as (

    select * from {{ ref('int_conversations') }}
    {%- if rebuild_changed_days %}
    where date_day in (select date_day from changed_days)
    {%- endif %}

),

outcomes as (

    select * from {{ ref('int_conversations__outcomes') }}

),

joined as (

    select
        conversations.*,
        coalesce(outcomes.converted, false) as converted,
        outcomes.order_value_usd,
        coalesce(outcomes.conversion_credit, 0) as conversion_credit,
        outcomes.attributed_order_value

    from conversations
    left join outcomes
        on conversations.conversation_id = outcomes.conversation_id

),

final as (

    select
        ----------  grain
        date_day,
        {%- for dimension in segment_dimensions() %}
        {{ dimension }},
        {%- endfor %}

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
        {{ dbt.cast('count(csat)', dbt.type_bigint()) }} as csat_count,

        ----------  added for the next issues (docs/contracts.md)
        {{ dbt.cast('sum(time_to_first_token_ms_sum)', dbt.type_float()) }} as ttft_ms_sum,
        {{ dbt.cast('sum(cached_input_tokens)', dbt.type_bigint()) }} as cached_input_tokens,
        {{ dbt.cast('sum(rating_sum)', dbt.type_float()) }} as rating_sum,
        {{ dbt.cast('sum(rating_count)', dbt.type_bigint()) }} as rating_count,
        {{ dbt.cast('sum(thumbs_down)', dbt.type_bigint()) }} as thumbs_down,
        {%- for edge in latency_edges %}
        {{ dbt.cast('sum(latency_le_' ~ edge ~ ')', dbt.type_bigint()) }} as latency_le_{{ edge }},
        {%- endfor %}
        {%- for edge in resolution_edges %}
        {{ dbt.cast('sum(case when resolved and resolution_time_s <= ' ~ edge ~ ' then 1 else 0 end)', dbt.type_bigint()) }} as resolution_le_{{ edge }},
        {%- endfor %}

        ----------  variances for Welch intervals (fct_experiment_comparison)
        {{ dbt.cast('coalesce(sum(resolution_time_s * resolution_time_s), 0)', dbt.type_float()) }} as resolution_time_s_sum_sq,
        {{ dbt.cast('coalesce(sum(csat * csat), 0)', dbt.type_float()) }} as csat_sum_sq,
        {{ dbt.cast('sum(cost_usd * cost_usd)', dbt.type_float()) }} as cost_usd_sum_sq,

        ----------  credit under the var attribution_model
        {{ dbt.cast('sum(conversion_credit)', dbt.type_float()) }} as conversion_credit,
        {{ dbt.cast('coalesce(sum(attributed_order_value), 0)', dbt.type_float()) }} as attributed_order_value_sum,

        ----------  when this day was last rebuilt (the watermark of the next incremental run)
        {{ run_started_at_column() }} as refreshed_at

    from joined
    group by
        date_day
        {%- for dimension in segment_dimensions() %},
        {{ dimension }}
        {%- endfor %}

)

select * from final
