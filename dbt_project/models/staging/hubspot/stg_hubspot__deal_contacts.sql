with

source as (

    select * from {{ source('hubspot', 'hubspot_deal_contact_associations') }}

),

renamed as (

    select

        ----------  ids
        trim(deal_id) as deal_id,
        trim(contact_id) as contact_id

    from source

)

select * from renamed
