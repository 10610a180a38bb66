with

source as (

    select * from {{ source('ops', 'engagement_events') }}

),

renamed as (

    select

        ----------  ids
        {{ dbt.cast('event_id', dbt.type_bigint()) }} as event_id,
        {{ to_text('user_sub') }} as user_id,

        ----------  what was used
        {{ to_text('kind') }} as kind,
        {{ to_text('role') }} as role,
        {{ to_text('page') }} as page,
        {{ to_text('view_name') }} as view_name,
        {{ dbt.cast('response_ms', dbt.type_float()) }} as response_ms,

        ----------  timestamps
        occurred_at

    from source

)

select * from renamed
