{#-
    Generic outcome metrics (docs/contracts.md raw.outcome_metrics). A warehouse that never received
    one (no CSV, API or demo rows yet) has no raw table: the model is then empty but keeps its
    columns, so everything downstream still builds. Optional extra columns (variant) read as null
    where the source does not carry them.
-#}

{%- set source_relation = source('outcomelens', 'outcome_metrics') -%}
{%- set existing = adapter.get_relation(
        database=source_relation.database, schema=source_relation.schema,
        identifier=source_relation.identifier) if execute else none -%}
{%- set present = [] -%}
{%- if existing is not none -%}
    {%- for column in adapter.get_columns_in_relation(existing) -%}
        {%- do present.append(column.name | lower) -%}
    {%- endfor -%}
{%- endif -%}
{%- set text_columns = ['experiment_id', 'intent', 'capability', 'action', 'llm_model', 'user_id',
                        'conversation_id', 'customer_ref', 'variant'] -%}

with

{% if existing is not none -%}
source as (

    select * from {{ source_relation }}

),
{%- else -%}
source as (

    -- no raw.outcome_metrics yet: an empty, typed stand-in
    select
        {{ dbt.cast('null', dbt.type_string()) }} as event_id,
        {{ dbt.cast('null', 'timestamp with time zone') }} as occurred_at,
        {{ dbt.cast('null', dbt.type_string()) }} as metric_name,
        {{ dbt.cast('null', dbt.type_float()) }} as metric_value,
        {{ dbt.cast('null', dbt.type_string()) }} as source
    where 1 = 0

),
{%- endif %}

renamed as (

    select

        ----------  ids
        {{ to_text('event_id') }} as event_id,

        ----------  metric
        {{ normalize_text('metric_name') }} as metric_name,
        {{ dbt.cast('metric_value', dbt.type_float()) }} as metric_value,
        {{ normalize_text('source') }} as source,

        ----------  dimensions (nullable)
        {%- for column in text_columns %}
        {% if column in present -%}
        {{ to_text(column) }}
        {%- else -%}
        {{ dbt.cast('null', dbt.type_string()) }}
        {%- endif %} as {{ column }},
        {%- endfor %}

        ----------  timestamps
        occurred_at,

        ----------  ingestion: the key's project and id, and the dlt load that wrote the row
        {%- for column, name in [('project', 'project'), ('ingestion_key_id', 'ingestion_key_id'),
                                 ('_dlt_load_id', 'load_id')] %}
        {% if column in present -%}
        {{ to_text(column) }}
        {%- else -%}
        {{ dbt.cast('null', dbt.type_string()) }}
        {%- endif %} as {{ name }}{{ ',' if not loop.last }}
        {%- endfor %}

    from source

)

select * from renamed
