with

source as (

    select * from {{ source('hubspot', 'hubspot_contacts') }}

),

renamed as (

    select

        ----------  ids
        trim(id) as contact_id,

        ----------  text
        {{ to_text('email') }} as email,
        {{ normalize_text('email') }} as email_normalized,
        {{ to_text('firstname') }} as first_name,
        {{ to_text('lastname') }} as last_name,

        ----------  timestamps
        createdate as created_at,
        lastmodifieddate as updated_at

    from source

)

select * from renamed
