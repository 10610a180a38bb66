{#-
    Per day × provider × model: the provider's own usage (raw.provider_usage, from its usage API)
    beside the totals of the calls logged to OutcomeLens (fct_llm_calls), and their differences
    (logged minus provider). A gap says calls are not logged (negative) or are logged twice or
    against the wrong model (positive). The provider's APIs report tokens and requests, not money,
    so the provider-side cost is its tokens priced from the model_prices seed (the rule of
    stg_outcomelens__llm_calls: the longest model prefix wins), the logged side's the calls' cost.
    Google (Gemini) has no usage API: its rows have logged figures only.
-#}

with

usage as (

    select
        date_day,
        llm_provider,
        llm_model_key,
        sum(input_tokens) as input_tokens,
        sum(cached_input_tokens) as cached_input_tokens,
        sum(output_tokens) as output_tokens,
        sum(num_requests) as requests
    from {{ ref('stg_provider_usage__usage') }}
    group by 1, 2, 3

),

prices as (

    select
        usage.llm_model_key,
        prices.input_usd_per_1m_tokens,
        prices.cached_input_usd_per_1m_tokens,
        prices.output_usd_per_1m_tokens,
        row_number() over (partition by usage.llm_model_key order by {{ dbt.length('prices.model') }} desc) as match_rank
    from (select distinct llm_model_key from usage) as usage
    inner join {{ ref('model_prices') }} as prices
        on usage.llm_model_key = lower(prices.model)
        or usage.llm_model_key like {{ dbt.concat(['lower(prices.model)', "'-%'"]) }}

),

provider_side as (

    select
        usage.*,
        (
            greatest(coalesce(usage.input_tokens, 0) - coalesce(usage.cached_input_tokens, 0), 0)
                * prices.input_usd_per_1m_tokens
            + coalesce(usage.cached_input_tokens, 0) * prices.cached_input_usd_per_1m_tokens
            + coalesce(usage.output_tokens, 0) * prices.output_usd_per_1m_tokens
        ) / 1000000.0 as cost_usd
    from usage
    left join prices
        on usage.llm_model_key = prices.llm_model_key
        and prices.match_rank = 1

),

logged_side as (

    select
        date_day,
        {{ normalize_text('llm_provider') }} as llm_provider,
        {{ normalize_text('llm_model') }} as llm_model_key,
        count(*) as calls,
        sum(input_tokens) as input_tokens,
        sum(output_tokens) as output_tokens,
        sum(cost_usd) as cost_usd
    from {{ ref('fct_llm_calls') }}
    group by 1, 2, 3

),

final as (

    select
        coalesce(provider_side.date_day, logged_side.date_day) as date_day,
        coalesce(provider_side.llm_provider, logged_side.llm_provider) as llm_provider,
        coalesce(provider_side.llm_model_key, logged_side.llm_model_key) as llm_model,

        provider_side.requests as provider_requests,
        provider_side.input_tokens as provider_input_tokens,
        provider_side.output_tokens as provider_output_tokens,
        provider_side.cost_usd as provider_cost_usd,

        coalesce(logged_side.calls, 0) as logged_calls,
        coalesce(logged_side.input_tokens, 0) as logged_input_tokens,
        coalesce(logged_side.output_tokens, 0) as logged_output_tokens,
        coalesce(logged_side.cost_usd, 0) as logged_cost_usd,

        -- null where the provider reports nothing to compare with (no usage API, or no requests count)
        coalesce(logged_side.calls, 0) - provider_side.requests as requests_difference,
        coalesce(logged_side.input_tokens, 0) - provider_side.input_tokens as input_tokens_difference,
        coalesce(logged_side.output_tokens, 0) - provider_side.output_tokens as output_tokens_difference,
        coalesce(logged_side.cost_usd, 0) - provider_side.cost_usd as cost_usd_difference

    from provider_side
    full outer join logged_side
        on provider_side.date_day = logged_side.date_day
        and provider_side.llm_provider = logged_side.llm_provider
        and provider_side.llm_model_key = logged_side.llm_model_key

)

select * from final
