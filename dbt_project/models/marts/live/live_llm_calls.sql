{#-
    The lambda view of fct_llm_calls (docs/live.md): every call the incremental mart holds, plus the
    calls of the last `live_recent_hours` hours that reached staging (raw.llm_calls, loaded every
    ~2 s) but not the mart yet. Cube's llm_calls cube reads this view, so an accepted call is in
    its answers as soon as the loader committed it, whatever the mart's last run; once the mart has
    the call the anti-join drops the staging copy, so each call is counted once.

    The columns are the mart's (live_llm_call_columns, checked against fct_llm_calls' contract by
    the test in tests/integration/test_live.py); the recent part computes them as the mart does.
-#}

with

mart as (

    select {{ live_llm_call_columns() | join(', ') }}
    from {{ ref('fct_llm_calls') }}

),

recent as (

    select
        calls.project,
        calls.event_id,
        calls.occurred_at,
        {{ utc_date('calls.occurred_at') }} as date_day,
        calls.conversation_id,
        calls.customer_ref,
        {%- for dimension in segment_dimensions() %}
        calls.{{ dimension }},
        {%- endfor %}
        calls.latency_ms,
        calls.time_to_first_token_ms,
        calls.input_tokens,
        calls.output_tokens,
        calls.cached_input_tokens,
        calls.cost_usd,
        calls.cost_source = 'price_table' as cost_from_price_table,
        calls.status,
        calls.error_type,
        calls.is_error,
        calls.ingestion_key_id,
        calls.load_id

    from {{ ref('stg_outcomelens__llm_calls') }} as calls
    where calls.occurred_at >= now() - interval '{{ var("live_recent_hours") | int }} hours'
        and not exists (
            select 1 from {{ ref('fct_llm_calls') }} as stored
            where stored.project = calls.project and stored.event_id = calls.event_id
        )

)

select * from mart
union all
select {{ live_llm_call_columns() | join(', ') }} from recent
