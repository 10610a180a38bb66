{{ config(severity='warn', meta={'dagster': {'ref': {'name': 'int_conversations'}}}) }}
-- intent, capability and action values missing from the taxonomy seed (a warning: new values are
-- allowed, but should be described there).
with

taxonomy as (

    select * from {{ ref('taxonomy') }}

),

used as (

    select 'intent' as dimension, intent as name
    from {{ ref('int_conversations') }}
    where intent is not null

    union

    select 'capability' as dimension, capability as name
    from {{ ref('int_conversations') }}
    where capability is not null

    union

    select 'action' as dimension, action as name
    from {{ ref('int_conversations') }}
    where action is not null

)

select used.*
from used
left join taxonomy
    on used.dimension = taxonomy.dimension
    and used.name = taxonomy.name
where taxonomy.name is null
