{#-
    One row per LLM call (docs/contracts.md). Incremental: a run re-reads the calls of the last
    `llm_calls_lookback_days` days (by occurred_at) and merges them on event_id, so a replayed or
    corrected call replaces its row instead of doubling it. Calls arriving later than that need
    `dbt build --full-refresh`.

    Upgrading a warehouse built by an older checkout: when the stored table lacks a column this
    model declares (stored_columns_missing()), the run re-reads every call instead of the lookback,
    and append_new_columns adds the column, so old rows get it too and the table equals a full
    refresh (on_schema_change='fail' used to stop such runs; appending alone would leave old rows
    null). The added column sits last and carries no constraint of its own: inserts name their
    columns and the contract is checked against this SQL, not the stored table, so dbt accepts the
    order; dbt applies contract constraints only when it creates the table.
-#}

{{
    config(
        materialized='incremental',
        unique_key='event_id',
        incremental_strategy='delete+insert',
        on_schema_change='append_new_columns'
    )
}}

with

calls as (

    select * from {{ ref('stg_outcomelens__llm_calls') }}
    {% if is_incremental() and not stored_columns_missing() %}
    where occurred_at >= (
        select {{ dbt.dateadd('day', -1 * var('llm_calls_lookback_days'), 'max(occurred_at)') }}
        from {{ this }}
    )
    {% endif %}

),

final as (

    select
        event_id,
        occurred_at,
        {{ utc_date('occurred_at') }} as date_day,
        conversation_id,
        customer_ref,
        {%- for dimension in segment_dimensions() %}
        {{ dimension }},
        {%- endfor %}
        latency_ms,
        time_to_first_token_ms,
        input_tokens,
        output_tokens,
        cached_input_tokens,
        cost_usd,
        cost_source = 'price_table' as cost_from_price_table,
        status,
        error_type,
        is_error

    from calls

)

select * from final
