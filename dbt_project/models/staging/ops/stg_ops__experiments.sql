with

source as (

    select * from {{ source('ops', 'experiments') }}

),

renamed as (

    select
        {{ to_text('experiment_id') }} as experiment_id,
        {{ to_text('name') }} as experiment_name,
        {{ to_text('hypothesis') }} as hypothesis,
        {{ to_text('primary_metric') }} as primary_metric,
        {{ to_text("array_to_string(guardrail_metrics, ', ')") }} as guardrail_metrics,
        starts_on,
        ends_on,
        {{ to_text('created_by') }} as registered_by,
        created_at as registered_at

    from source

)

select * from renamed
