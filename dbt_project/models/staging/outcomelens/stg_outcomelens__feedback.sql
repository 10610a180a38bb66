with

source as (

    select * from {{ source('outcomelens', 'feedback') }}

),

renamed as (

    select

        ----------  ids
        {{ to_text('event_id') }} as event_id,
        {{ to_text('conversation_id') }} as conversation_id,
        {{ to_text('trace_id') }} as trace_id,

        ----------  feedback
        {{ normalize_text('kind') }} as kind,
        {{ dbt.cast('value', dbt.type_float()) }} as value,
        {{ to_text('comment') }} as comment,

        ----------  timestamps
        occurred_at,

        ----------  ingestion: the key's project and id, and the dlt load that wrote the row
        {{ to_text('project') }} as project,
        {{ to_text('ingestion_key_id') }} as ingestion_key_id,
        {{ to_text('_dlt_load_id') }} as load_id

    from source

)

select * from renamed
