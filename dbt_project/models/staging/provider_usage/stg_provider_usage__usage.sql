with

source as (

    select * from {{ source('provider_usage', 'provider_usage') }}

),

renamed as (

    select
        {{ to_text('usage_id') }} as usage_id,
        {{ normalize_text('provider') }} as llm_provider,
        {{ to_text('model') }} as llm_model,
        {{ normalize_text('model') }} as llm_model_key,
        {{ to_text('project_id') }} as project_id,
        {{ to_text('api_key_id') }} as api_key_id,
        bucket_start,
        bucket_end,
        {{ utc_date('bucket_start') }} as date_day,
        {{ dbt.cast('input_tokens', dbt.type_bigint()) }} as input_tokens,
        {{ dbt.cast('cached_input_tokens', dbt.type_bigint()) }} as cached_input_tokens,
        {{ dbt.cast('cache_creation_input_tokens', dbt.type_bigint()) }} as cache_creation_input_tokens,
        {{ dbt.cast('output_tokens', dbt.type_bigint()) }} as output_tokens,
        {{ dbt.cast('num_requests', dbt.type_bigint()) }} as num_requests

    from source

)

select * from renamed
