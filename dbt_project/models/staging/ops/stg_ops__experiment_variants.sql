with

source as (

    select * from {{ source('ops', 'experiment_variants') }}

),

renamed as (

    select
        {{ to_text('experiment_id') }} as experiment_id,
        {{ to_text('variant') }} as variant,
        is_control,
        {{ dbt.cast('expected_share', dbt.type_float()) }} as expected_share,
        {{ to_text('prompt_version') }} as prompt_version,
        {{ to_text('config') }} as config_json

    from source

)

select * from renamed
