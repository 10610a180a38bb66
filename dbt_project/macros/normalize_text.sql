{# lower(trim(x)), with empty strings turned into null: how customer refs, e-mails and enums are compared. #}
{% macro normalize_text(expr) -%}
    nullif(lower(trim({{ expr }})), '')
{%- endmacro %}

{# Cast to the adapter's string type (dlt loads text as varchar; marts promise text). #}
{% macro to_text(expr) -%}
    {{ dbt.cast(expr, dbt.type_string()) }}
{%- endmacro %}
