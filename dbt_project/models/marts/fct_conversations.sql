{#- One row per conversation with its dimensions and outcomes (docs/contracts.md). -#}

with

conversations as (

    select * from {{ ref('int_conversations') }}

),

outcomes as (

    select * from {{ ref('int_conversations__outcomes') }}

),

final as (

    select
        ----------  ids
        conversations.conversation_id,
        conversations.customer_ref,
        outcomes.contact_id,

        ----------  time
        conversations.started_at,
        conversations.date_day,

        ----------  dimensions
        conversations.experiment_id,
        conversations.variant,
        conversations.prompt_id,
        conversations.prompt_version,
        conversations.config_hash,
        conversations.llm_provider,
        conversations.llm_model,
        conversations.intent,
        conversations.capability,
        conversations.action,

        ----------  LLM calls
        conversations.llm_calls,
        conversations.llm_errors,
        conversations.latency_ms_sum,
        conversations.input_tokens,
        conversations.output_tokens,
        conversations.cost_usd,

        ----------  service outcomes
        conversations.resolved,
        conversations.escalated,
        conversations.abandoned,
        conversations.deflected,
        conversations.resolution_time_s,

        ----------  business outcome
        coalesce(outcomes.converted, false) as converted,
        outcomes.deal_id,
        outcomes.order_value_usd,

        ----------  feedback
        conversations.thumbs_up,
        conversations.thumbs_down,
        conversations.rating_mean,
        conversations.csat,

        ----------  credit under the var attribution_model (last touch by default)
        coalesce(outcomes.conversion_credit, 0) as conversion_credit,
        outcomes.attributed_order_value

    from conversations
    left join outcomes
        on conversations.conversation_id = outcomes.conversation_id

)

select * from final
