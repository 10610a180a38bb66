{#- One row per LLM model seen in the calls, with the price row that prices it (null when unpriced). -#}

with

calls as (

    select * from {{ ref('stg_outcomelens__llm_calls') }}
    where llm_model is not null

),

prices as (

    select * from {{ ref('model_prices') }}

),

models as (

    select
        llm_model,
        min(llm_provider) as llm_provider,
        min(price_model) as price_model,
        count(*) as llm_calls,
        min(occurred_at) as first_seen_at,
        max(occurred_at) as last_seen_at

    from calls
    group by llm_model

),

final as (

    select
        models.llm_model,
        models.llm_provider,
        {{ to_text('models.price_model') }} as price_model,
        prices.input_usd_per_1m_tokens,
        prices.cached_input_usd_per_1m_tokens,
        prices.output_usd_per_1m_tokens,
        {{ dbt.cast('models.llm_calls', dbt.type_bigint()) }} as llm_calls,
        models.first_seen_at,
        models.last_seen_at

    from models
    left join prices
        on models.price_model = prices.model

)

select * from final
