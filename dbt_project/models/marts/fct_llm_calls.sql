{#-
    One row per LLM call (docs/contracts.md), keyed on (project, event_id). Incremental by load, not
    by event time: a run reads the calls whose dlt load (load_id) the table has not stored for that
    key — new calls, replayed or corrected ones, and calls dated weeks back (a backfill) alike — and
    merges them on the key, so a replay replaces its row instead of doubling it. No event time is
    compared, so a call dated far ahead cannot make later calls be skipped. Only the calls of the
    loads committed since the table's last run are compared (macros/dlt_loads.sql): the
    comparison of every staged call with every stored one took longer than the whole micro-batch
    should at 10M calls.

    Upgrading a warehouse built by an older checkout: when the stored table lacks a column this
    model declares (stored_columns_missing(); load_id, say), the run re-reads every call once, and
    append_new_columns adds the column, so old rows get it too and the table equals a full refresh
    (on_schema_change='fail' used to stop such runs; appending alone would leave old rows null). The
    added column sits last and carries no constraint of its own: inserts name their columns and the
    contract is checked against this SQL, not the stored table, so dbt accepts the order; dbt
    applies contract constraints only when it creates the table.
-#}

{{
    config(
        materialized='incremental',
        unique_key=['project', 'event_id'],
        incremental_strategy='delete+insert',
        on_schema_change='append_new_columns',
        indexes=[{'columns': ['refreshed_at']}]
    )
}}

{%- set read_new_loads_only = is_incremental() and not stored_columns_missing() %}
{%- set new_loads = dlt_loads_since_stored() if read_new_loads_only else none %}

with

calls as (

    select * from {{ ref('stg_outcomelens__llm_calls') }} as staged
    {% if read_new_loads_only %}
    where {% if new_loads is not none %}{{ in_loads('staged.load_id', new_loads) }} and {% endif %}not exists (
        select 1
        from {{ this }} as stored
        where stored.project = staged.project
            and stored.event_id = staged.event_id
            and not {{ is_distinct('stored.load_id', 'staged.load_id') }}
    )
    {% endif %}

),

final as (

    select
        project,
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
        is_error,
        ingestion_key_id,
        load_id,
        -- the start of the run that wrote the row: the watermark of the next (macros/dlt_loads.sql)
        {{ run_started_at_column() }} as refreshed_at

    from calls

)

select * from final
