with

source as (

    select * from {{ source('outcomelens', 'llm_calls') }}

),

renamed as (

    select

        ----------  ids
        {{ to_text('event_id') }} as event_id,
        {{ to_text('conversation_id') }} as conversation_id,
        {{ to_text('trace_id') }} as trace_id,
        {{ to_text('span_id') }} as span_id,
        {{ to_text('parent_span_id') }} as parent_span_id,

        ----------  customer
        {{ to_text('customer_ref') }} as customer_ref,
        {{ normalize_text('customer_ref') }} as customer_key,

        ----------  dimensions
        {{ to_text('experiment_id') }} as experiment_id,
        {{ to_text('variant') }} as variant,
        {{ to_text('prompt_id') }} as prompt_id,
        {{ to_text('prompt_version') }} as prompt_version,
        {{ to_text('config') }} as config,
        {{ to_text('config_hash') }} as config_hash,
        {{ to_text('llm_provider') }} as llm_provider,
        {{ to_text('llm_model') }} as llm_model,
        {{ normalize_text('llm_model') }} as llm_model_key,
        {{ to_text('intent') }} as intent,
        {{ to_text('capability') }} as capability,
        {{ to_text('action') }} as action,

        ----------  measures
        {{ dbt.cast('latency_ms', dbt.type_float()) }} as latency_ms,
        {{ dbt.cast('time_to_first_token_ms', dbt.type_float()) }} as time_to_first_token_ms,
        {{ dbt.cast('input_tokens', dbt.type_bigint()) }} as input_tokens,
        {{ dbt.cast('output_tokens', dbt.type_bigint()) }} as output_tokens,
        {{ dbt.cast('cached_input_tokens', dbt.type_bigint()) }} as cached_input_tokens,
        {{ dbt.cast('cost_usd', dbt.type_float()) }} as cost_usd_reported,

        ----------  status
        coalesce({{ normalize_text('status') }}, 'ok') as status,
        coalesce({{ normalize_text('status') }} = 'error', false) as is_error,
        {{ to_text('error_type') }} as error_type,

        ----------  timestamps
        occurred_at,

        ----------  ingestion: the key's project and id, and the dlt load that wrote the row
        {{ to_text('project') }} as project,
        {{ to_text('ingestion_key_id') }} as ingestion_key_id,
        {{ to_text('_dlt_load_id') }} as load_id

    from source

),

{#-
    Cost fill (docs/design.md §2): a call without cost_usd is priced from the model_prices seed. The
    call's model matches a price row when it equals the row's model or starts with it followed by a
    dash (dated snapshots); the longest match wins, so gpt-4o-mini never gets gpt-4o's price.

    The match is a lateral lookup per call, which Postgres memoizes on the model (a handful of
    distinct models: one seed scan each). No CTE here is read twice: a CTE read twice is
    materialized, which made every query of this view write all of raw.llm_calls to a temporary
    file (427 MB at 1M calls) before any filter applied, so the live view's "last hours" read all of
    history. Read once, Postgres inlines the CTEs and pushes filters down to the raw table.
-#}
prices as (

    select * from {{ ref('model_prices') }}

),

priced as (

    select
        renamed.*,

        price_matches.price_model,

        case
            when renamed.cost_usd_reported is not null
                then renamed.cost_usd_reported
            when price_matches.price_model is not null
                then (
                    -- input_tokens include the cached ones; never price a negative remainder
                    case
                        when coalesce(renamed.input_tokens, 0) > coalesce(renamed.cached_input_tokens, 0)
                            then coalesce(renamed.input_tokens, 0) - coalesce(renamed.cached_input_tokens, 0)
                        else 0
                    end * price_matches.input_usd_per_1m_tokens
                    + coalesce(renamed.cached_input_tokens, 0) * price_matches.cached_input_usd_per_1m_tokens
                    + coalesce(renamed.output_tokens, 0) * price_matches.output_usd_per_1m_tokens
                ) / 1000000.0
        end as cost_usd,

        case
            when renamed.cost_usd_reported is not null then 'reported'
            when price_matches.price_model is not null then 'price_table'
            else 'unpriced'
        end as cost_source

    from renamed
    left join lateral (
        select
            prices.model as price_model,
            prices.input_usd_per_1m_tokens,
            prices.cached_input_usd_per_1m_tokens,
            prices.output_usd_per_1m_tokens

        from prices
        where renamed.llm_model_key = lower(prices.model)
            or renamed.llm_model_key like {{ dbt.concat(['lower(prices.model)', "'-%'"]) }}
        order by {{ dbt.length('prices.model') }} desc
        limit 1
    ) as price_matches on true

)

select * from priced
