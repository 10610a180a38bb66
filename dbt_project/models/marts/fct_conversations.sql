{#-
    One row per conversation with its dimensions and outcomes (docs/contracts.md).

    Incremental, so late outcomes still land. Attribution itself is computed over all history in
    int_conversations__outcomes (last touch needs every conversation of a contact); each run then
    rewrites (delete+insert on conversation_id) only the conversations that can have changed:
      - conversations touched by a load the table has not seen: their last_load_id (the latest dlt
        load of any of their calls, events or feedback) differs from the stored one, whatever the
        records' event times (a backfill of last month, a late event, a replayed call);
      - conversations whose attribution (contact, deal, order value, credit) differs from what the
        table holds: a deal that closes late, changes stage or amount, or moves to a later touch,
        whatever its timestamps say;
      - conversations not in the table yet.
    No event time is compared with the table's latest, so one conversation dated far ahead cannot
    make later ones be skipped.

    Each rewritten row carries the run's start (refreshed_at) and, when the rewrite moved it to
    another day, the day it was on before (replaced_date_day): fct_attribution_daily rebuilds
    exactly those days.

    Upgrading a warehouse built by an older checkout: when the stored table lacks a column this
    model declares (stored_columns_missing()), the run rewrites every conversation and never reads
    the stored columns (comparing with one that is missing would fail, and dbt runs this SQL before
    it applies on_schema_change). append_new_columns then adds the column and the table equals a full
    refresh, except that the added column sits last (inserts name their columns, and the contract is
    checked against this SQL, not the stored table, so the order does not matter to dbt) and carries
    no constraint of its own (dbt applies contract constraints only when it creates the table).
-#}

{{
    config(
        materialized='incremental',
        unique_key='conversation_id',
        incremental_strategy='delete+insert',
        on_schema_change='append_new_columns'
    )
}}

{#- An incremental run rewrites only what can have changed, unless the stored table predates a column. #}
{%- set rewrite_changed_only = is_incremental() and not stored_columns_missing() %}

with

conversations as (

    select * from {{ ref('int_conversations') }}

),

outcomes as (

    -- the attribution, with why a conversation has or lacks its deal (int_attribution_reasons)
    select
        int_conversations__outcomes.*,
        reasons.attribution_reason

    from {{ ref('int_conversations__outcomes') }} as int_conversations__outcomes
    left join {{ ref('int_attribution_reasons') }} as reasons
        on int_conversations__outcomes.conversation_id = reasons.conversation_id

),

{% if rewrite_changed_only %}
stored as not materialized (

    -- read by two CTEs: inlined, each join scans only the columns it compares
    select * from {{ this }}

),

to_rebuild as (

    select conversations.conversation_id
    from conversations
    left join stored
        on conversations.conversation_id = stored.conversation_id
    where stored.conversation_id is null
        or {{ is_distinct('conversations.last_load_id', 'stored.last_load_id') }}

    union

    select outcomes.conversation_id
    from outcomes
    left join stored
        on outcomes.conversation_id = stored.conversation_id
    where stored.conversation_id is null
        {%- for column in ['contact_id', 'deal_id', 'order_value_usd', 'attributed_order_value', 'attribution_reason'] %}
        or {{ is_distinct('outcomes.' ~ column, 'stored.' ~ column) }}
        {%- endfor %}
        or outcomes.converted <> stored.converted
        or outcomes.conversion_credit <> stored.conversion_credit

),
{% endif %}

final as (

    select
        ----------  ids
        conversations.conversation_id,
        conversations.project,
        conversations.customer_ref,
        outcomes.contact_id,

        ----------  time
        conversations.started_at,
        conversations.date_day,

        ----------  dimensions
        {%- for dimension in segment_dimensions() %}
        conversations.{{ dimension }},
        {%- endfor %}

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
        outcomes.attributed_order_value,

        ----------  why the deal is credited, or why none is (the attribution audit)
        coalesce(outcomes.attribution_reason, 'no_contact') as attribution_reason,

        ----------  the latest dlt load of its calls, events or feedback (what the incremental run compares)
        conversations.last_load_id,

        ----------  when this row was written, and the day it replaced (what fct_attribution_daily rebuilds)
        {{ run_started_at_column() }} as refreshed_at,
        {%- if rewrite_changed_only %}
        case
            when {{ is_distinct('stored.date_day', 'conversations.date_day') }} then stored.date_day
        end as replaced_date_day
        {%- else %}
        {{ dbt.cast('null', 'date') }} as replaced_date_day
        {%- endif %}

    from conversations
    left join outcomes
        on conversations.conversation_id = outcomes.conversation_id
    {% if rewrite_changed_only %}
    inner join to_rebuild
        on conversations.conversation_id = to_rebuild.conversation_id
    left join stored
        on conversations.conversation_id = stored.conversation_id
    {% endif %}

)

select * from final
