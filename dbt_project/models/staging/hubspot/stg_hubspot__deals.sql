with

source as (

    select * from {{ source('hubspot', 'hubspot_deals') }}

),

renamed as (

    select

        ----------  ids
        trim(id) as deal_id,

        ----------  text
        {{ to_text('dealname') }} as deal_name,
        {{ normalize_text('dealstage') }} as deal_stage,
        {{ to_text('pipeline') }} as pipeline,

        ----------  numerics
        {{ dbt.cast('amount', dbt.type_float()) }} as amount_usd,

        ----------  booleans
        coalesce({{ normalize_text('dealstage') }} = 'closedwon', false) as is_closed_won,

        ----------  timestamps
        closedate as closed_at,
        createdate as created_at,
        hs_lastmodifieddate as updated_at

    from source

)

select * from renamed
