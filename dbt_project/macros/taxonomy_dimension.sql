{#- One row per value of a taxonomy dimension (intent, capability, action): the seeded values with
    their descriptions, plus any value seen in the data but missing from the seed (in_taxonomy false). -#}
{% macro taxonomy_dimension(dimension) %}

with

seeded as (

    select
        name,
        description
    from {{ ref('taxonomy') }}
    where dimension = '{{ dimension }}'

),

seen as (

    select
        {{ dimension }} as name,
        count(*) as conversations,
        min(started_at) as first_seen_at,
        max(started_at) as last_seen_at
    from {{ ref('int_conversations') }}
    where {{ dimension }} is not null
    group by {{ dimension }}

),

final as (

    select
        {{ to_text('coalesce(seeded.name, seen.name)') }} as {{ dimension }},
        {{ to_text('seeded.description') }} as description,
        seeded.name is not null as in_taxonomy,
        {{ dbt.cast('coalesce(seen.conversations, 0)', dbt.type_bigint()) }} as conversations,
        seen.first_seen_at,
        seen.last_seen_at

    from seeded
    full outer join seen
        on seeded.name = seen.name

)

select * from final

{% endmacro %}
