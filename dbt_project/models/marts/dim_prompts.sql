{#- One row per prompt version seen in the data, with its prompt family and period of use. -#}

with

conversations as (

    select * from {{ ref('int_conversations') }}
    where prompt_version is not null

),

final as (

    select
        prompt_version,
        min(prompt_id) as prompt_id,
        {{ dbt.cast('count(*)', dbt.type_bigint()) }} as conversations,
        min(started_at) as first_seen_at,
        max(started_at) as last_seen_at

    from conversations
    group by prompt_version

)

select * from final
