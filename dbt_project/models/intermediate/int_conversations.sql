{#-
    One row per conversation, from LLM calls and lifecycle events together (a conversation may have
    events but no calls, or calls whose events have not arrived yet). Dimensions come from the
    conversation's first call (all calls of a conversation share them); outcomes other than
    conversion come from the events and the feedback. last_load_id is the latest dlt load that wrote
    any of its calls, events or feedback: fct_conversations rewrites a conversation when it changes.
    latency_le_<edge> is the conversation's cumulative latency histogram, summed by
    fct_attribution_daily.

    Incremental by dlt load (macros/dlt_loads.sql): a run finds the conversations that the loads
    committed since its last run touched (a call, an event, or feedback on the conversation or on a
    trace of its calls) and rebuilds each from all of its records, whatever their load or event
    time; every other row stays. A full build reads everything. Rebuilding every conversation was
    11 minutes at 10M calls, every micro-batch (docs/live.md); indexes on the raw tables'
    conversation and trace ids (outcomelens/contract/ddl.py) make a touched conversation a lookup.
    Its own indexes serve the same runs: conversation_id the rewrite's delete, refreshed_at (the
    start of the run that wrote the row) the watermark, date_day the days fct_attribution_daily
    rebuilds.
    One limit: feedback that names only a trace shared by several conversations goes to the smallest
    conversation id among those rebuilt with it; a full refresh settles it against all of them.

    calls and events are `not materialized`: each is read by more than one CTE, and Postgres materializes a
    CTE read more than once, which wrote every staged call with all its columns to a temporary file before
    any aggregate ran (464 MB at 1M calls, most of this model's time). Inlined, each reader scans
    the raw table for the columns it needs. The first call's dimensions come in the same pass as
    the call aggregates, and the conversation ids from the aggregates, not from every row.
-#}

{{
    config(
        materialized='incremental',
        unique_key='conversation_id',
        incremental_strategy='delete+insert',
        on_schema_change='append_new_columns',
        indexes=[
            {'columns': ['conversation_id'], 'unique': true},
            {'columns': ['refreshed_at']},
            {'columns': ['date_day']},
        ]
    )
}}

{%- set new_loads = dlt_loads_since_stored() if is_incremental() and not stored_columns_missing() else none %}

with

{% if new_loads is not none %}
----------  the conversations the new loads touched

touched as (

    select conversation_id
    from {{ ref('stg_outcomelens__llm_calls') }}
    where {{ in_loads('load_id', new_loads) }}

    union

    select conversation_id
    from {{ ref('stg_outcomelens__conversation_events') }}
    where {{ in_loads('load_id', new_loads) }}

    union

    select coalesce(
        new_feedback.conversation_id,
        (
            select min(traced.conversation_id)
            from {{ ref('stg_outcomelens__llm_calls') }} as traced
            where traced.trace_id = new_feedback.trace_id
        )
    )
    from {{ ref('stg_outcomelens__feedback') }} as new_feedback
    where {{ in_loads('new_feedback.load_id', new_loads) }}

),
{% endif %}

calls as not materialized (

    select * from {{ ref('stg_outcomelens__llm_calls') }}
    {%- if new_loads is not none %}
    where conversation_id in (select conversation_id from touched)
    {%- endif %}

),

events as not materialized (

    select * from {{ ref('stg_outcomelens__conversation_events') }}
    {%- if new_loads is not none %}
    where conversation_id in (select conversation_id from touched)
    {%- endif %}

),

feedback as (

    select * from {{ ref('stg_outcomelens__feedback') }}
    {%- if new_loads is not none %}
    where conversation_id in (select conversation_id from touched)
        or trace_id in (select trace_id from calls where trace_id is not null)
    {%- endif %}

),

----------  calls

calls_ranked as (

    -- only the columns the aggregates read: the window sorts every call with what it carries
    select
        conversation_id,
        customer_ref,
        config,
        {%- for dimension in segment_dimensions() %}
        {{ dimension }},
        {%- endfor %}
        is_error,
        latency_ms,
        time_to_first_token_ms,
        input_tokens,
        output_tokens,
        cached_input_tokens,
        cost_usd,
        cost_source,
        occurred_at,
        project,
        load_id,
        row_number() over (
            partition by conversation_id
            order by occurred_at, event_id
        ) as call_rank

    from calls

),

call_aggregates as (

    select
        conversation_id,
        -- the conversation's dimensions are its first call's
        max(case when call_rank = 1 then customer_ref end) as customer_ref,
        max(case when call_rank = 1 then config end) as config,
        {%- for dimension in segment_dimensions() %}
        max(case when call_rank = 1 then {{ dimension }} end) as {{ dimension }},
        {%- endfor %}
        count(*) as llm_calls,
        sum(case when is_error then 1 else 0 end) as llm_errors,
        sum(latency_ms) as latency_ms_sum,
        sum(latency_ms * latency_ms) as latency_ms_sum_sq,
        sum(time_to_first_token_ms) as time_to_first_token_ms_sum,
        count(time_to_first_token_ms) as time_to_first_token_count,
        sum(input_tokens) as input_tokens,
        sum(output_tokens) as output_tokens,
        sum(cached_input_tokens) as cached_input_tokens,
        sum(cost_usd) as cost_usd,
        sum(case when cost_source = 'unpriced' then 1 else 0 end) as unpriced_calls,
        min(occurred_at) as first_call_at,
        max(occurred_at) as last_call_at,
        min(project) as project,
        max(load_id) as last_load_id
        {%- for edge in latency_edges_ms() %},
        -- cumulative latency histogram (docs/contracts.md): calls with latency_ms <= edge
        sum(case when latency_ms <= {{ edge }} then 1 else 0 end) as latency_le_{{ edge }}
        {%- endfor %}

    from calls_ranked
    group by conversation_id

),

----------  lifecycle events

events_ranked as (

    select
        *,
        row_number() over (
            partition by conversation_id, is_terminal
            order by occurred_at desc, event_id desc
        ) as latest_rank,
        row_number() over (
            partition by conversation_id
            order by case when kind = 'started' then 0 else 1 end, occurred_at, event_id
        ) as start_rank

    from events

),

event_aggregates as (

    select
        conversation_id,
        min(case when kind = 'started' then occurred_at end) as started_event_at,
        min(occurred_at) as first_event_at,
        max(case when is_terminal and latest_rank = 1 then occurred_at end) as ended_at,
        max(case when is_terminal and latest_rank = 1 then kind end) as terminal_kind,
        max(case when start_rank = 1 then customer_ref end) as customer_ref,
        max(case when kind = 'resolved' then 1 else 0 end) as has_resolved,
        max(case when kind = 'escalated' then 1 else 0 end) as has_escalated,
        max(case when kind = 'abandoned' then 1 else 0 end) as has_abandoned,
        min(project) as project,
        max(load_id) as last_load_id

    from events_ranked
    group by conversation_id

),

----------  feedback (on the conversation, or on one of its traced calls)

trace_conversations as (

    select
        trace_id,
        min(conversation_id) as conversation_id

    from calls
    where trace_id is not null
    group by trace_id

),

feedback_linked as (

    select
        coalesce(feedback.conversation_id, trace_conversations.conversation_id) as conversation_id,
        feedback.event_id,
        feedback.kind,
        feedback.value,
        feedback.occurred_at,
        feedback.load_id

    from feedback
    left join trace_conversations
        on feedback.trace_id = trace_conversations.trace_id

),

csat_ranked as (

    select
        conversation_id,
        value,
        row_number() over (
            partition by conversation_id
            order by occurred_at desc, event_id desc
        ) as csat_rank

    from feedback_linked
    where kind = 'csat' and value is not null

),

feedback_aggregates as (

    select
        conversation_id,
        sum(case when kind = 'thumb' and value > 0 then 1 else 0 end) as thumbs_up,
        sum(case when kind = 'thumb' and value <= 0 then 1 else 0 end) as thumbs_down,
        sum(case when kind = 'rating' then value end) as rating_sum,
        sum(case when kind = 'rating' and value is not null then 1 else 0 end) as rating_count,
        max(load_id) as last_load_id

    from feedback_linked
    where conversation_id is not null
    group by conversation_id

),

----------  one row per conversation

conversation_ids as (

    select conversation_id from call_aggregates
    union
    select conversation_id from event_aggregates

),

joined as (

    select
        conversation_ids.conversation_id,
        coalesce(call_aggregates.project, event_aggregates.project) as project,
        coalesce(event_aggregates.customer_ref, call_aggregates.customer_ref) as customer_ref,

        call_aggregates.config,
        {%- for dimension in segment_dimensions() %}
        call_aggregates.{{ dimension }},
        {%- endfor %}

        coalesce(
            event_aggregates.started_event_at,
            call_aggregates.first_call_at,
            event_aggregates.first_event_at
        ) as started_at,
        event_aggregates.ended_at,
        event_aggregates.terminal_kind,

        coalesce(event_aggregates.has_resolved, 0) = 1 as resolved,
        coalesce(event_aggregates.has_escalated, 0) = 1 as escalated,
        coalesce(event_aggregates.has_abandoned, 0) = 1
            and coalesce(event_aggregates.has_resolved, 0) = 0
            and coalesce(event_aggregates.has_escalated, 0) = 0 as abandoned,

        coalesce(call_aggregates.llm_calls, 0) as llm_calls,
        coalesce(call_aggregates.llm_errors, 0) as llm_errors,
        coalesce(call_aggregates.latency_ms_sum, 0) as latency_ms_sum,
        coalesce(call_aggregates.latency_ms_sum_sq, 0) as latency_ms_sum_sq,
        coalesce(call_aggregates.time_to_first_token_ms_sum, 0) as time_to_first_token_ms_sum,
        coalesce(call_aggregates.time_to_first_token_count, 0) as time_to_first_token_count,
        coalesce(call_aggregates.input_tokens, 0) as input_tokens,
        coalesce(call_aggregates.output_tokens, 0) as output_tokens,
        coalesce(call_aggregates.cached_input_tokens, 0) as cached_input_tokens,
        coalesce(call_aggregates.cost_usd, 0) as cost_usd,
        coalesce(call_aggregates.unpriced_calls, 0) as unpriced_calls,
        {%- for edge in latency_edges_ms() %}
        coalesce(call_aggregates.latency_le_{{ edge }}, 0) as latency_le_{{ edge }},
        {%- endfor %}
        call_aggregates.first_call_at,
        call_aggregates.last_call_at,

        coalesce(feedback_aggregates.thumbs_up, 0) as thumbs_up,
        coalesce(feedback_aggregates.thumbs_down, 0) as thumbs_down,
        coalesce(feedback_aggregates.rating_sum, 0) as rating_sum,
        coalesce(feedback_aggregates.rating_count, 0) as rating_count,
        csat_ranked.value as csat,
        -- greatest() skips nulls: a conversation without feedback has its calls' or events' load
        greatest(
            call_aggregates.last_load_id, event_aggregates.last_load_id, feedback_aggregates.last_load_id
        ) as last_load_id

    from conversation_ids
    left join call_aggregates
        on conversation_ids.conversation_id = call_aggregates.conversation_id
    left join event_aggregates
        on conversation_ids.conversation_id = event_aggregates.conversation_id
    left join feedback_aggregates
        on conversation_ids.conversation_id = feedback_aggregates.conversation_id
    left join csat_ranked
        on conversation_ids.conversation_id = csat_ranked.conversation_id
        and csat_ranked.csat_rank = 1

),

final as (

    select
        conversation_id,
        project,
        customer_ref,
        config,
        {%- for dimension in segment_dimensions() %}
        {{ dimension }},
        {%- endfor %}
        started_at,
        {{ utc_date('started_at') }} as date_day,
        ended_at,
        terminal_kind,
        resolved,
        escalated,
        abandoned,
        resolved and not escalated as deflected,
        case
            when resolved and ended_at is not null
                then {{ seconds_between('started_at', 'ended_at') }}
        end as resolution_time_s,
        {{ dbt.cast('llm_calls', dbt.type_bigint()) }} as llm_calls,
        {{ dbt.cast('llm_errors', dbt.type_bigint()) }} as llm_errors,
        {{ dbt.cast('latency_ms_sum', dbt.type_float()) }} as latency_ms_sum,
        {{ dbt.cast('latency_ms_sum_sq', dbt.type_float()) }} as latency_ms_sum_sq,
        {{ dbt.cast('time_to_first_token_ms_sum', dbt.type_float()) }} as time_to_first_token_ms_sum,
        {{ dbt.cast('time_to_first_token_count', dbt.type_bigint()) }} as time_to_first_token_count,
        {{ dbt.cast('input_tokens', dbt.type_bigint()) }} as input_tokens,
        {{ dbt.cast('output_tokens', dbt.type_bigint()) }} as output_tokens,
        {{ dbt.cast('cached_input_tokens', dbt.type_bigint()) }} as cached_input_tokens,
        {{ dbt.cast('cost_usd', dbt.type_float()) }} as cost_usd,
        {{ dbt.cast('unpriced_calls', dbt.type_bigint()) }} as unpriced_calls,
        {%- for edge in latency_edges_ms() %}
        {{ dbt.cast('latency_le_' ~ edge, dbt.type_bigint()) }} as latency_le_{{ edge }},
        {%- endfor %}
        first_call_at,
        last_call_at,
        {{ dbt.cast('thumbs_up', dbt.type_bigint()) }} as thumbs_up,
        {{ dbt.cast('thumbs_down', dbt.type_bigint()) }} as thumbs_down,
        {{ dbt.cast('rating_sum', dbt.type_float()) }} as rating_sum,
        {{ dbt.cast('rating_count', dbt.type_bigint()) }} as rating_count,
        case
            when rating_count > 0 then {{ dbt.cast('rating_sum', dbt.type_float()) }} / rating_count
        end as rating_mean,
        {{ dbt.cast('csat', dbt.type_float()) }} as csat,
        last_load_id,
        {{ run_started_at_column() }} as refreshed_at

    from joined

)

select * from final
