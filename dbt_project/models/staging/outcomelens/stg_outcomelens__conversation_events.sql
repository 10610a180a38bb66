with

source as (

    select * from {{ source('outcomelens', 'conversation_events') }}

),

renamed as (

    select

        ----------  ids
        {{ to_text('event_id') }} as event_id,
        {{ to_text('conversation_id') }} as conversation_id,

        ----------  customer
        {{ to_text('customer_ref') }} as customer_ref,
        {{ normalize_text('customer_ref') }} as customer_key,

        ----------  event
        {{ normalize_text('kind') }} as kind,
        coalesce({{ normalize_text('kind') }} in ('resolved', 'escalated', 'abandoned'), false) as is_terminal,

        ----------  timestamps
        occurred_at,

        ----------  ingestion: the key's project and id, and the dlt load that wrote the row
        {{ to_text('project') }} as project,
        {{ to_text('ingestion_key_id') }} as ingestion_key_id,
        {{ to_text('_dlt_load_id') }} as load_id

    from source

)

select * from renamed
