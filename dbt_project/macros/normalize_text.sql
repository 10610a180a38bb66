{#
    lower(trim(x)) with tabs, carriage returns and line feeds counted as whitespace too (SQL's trim
    removes only spaces), and empty strings turned into null: how customer refs, e-mails and enums
    are compared.
#}
{% macro normalize_text(expr) -%}
    {%- set spaced = dbt.replace(dbt.replace(dbt.replace(expr, "chr(9)", "' '"), "chr(10)", "' '"), "chr(13)", "' '") -%}
    nullif(lower(trim({{ spaced }})), '')
{%- endmacro %}

{# Cast to the adapter's string type (dlt loads text as varchar; marts promise text). #}
{% macro to_text(expr) -%}
    {{ dbt.cast(expr, dbt.type_string()) }}
{%- endmacro %}

{# Null-safe "differ": true when exactly one side is null or both are set and unequal. #}
{% macro is_distinct(left, right) -%}
    ({{ left }} <> {{ right }} or ({{ left }} is null) <> ({{ right }} is null))
{%- endmacro %}

{#- Two sums of floats differ by more than their rounding: relative to their size, since the order
    Postgres adds rows in (its parallel plans) moves the last digits of a ~1e10 sum. -#}
{% macro floats_differ(left, right) -%}
    (abs(({{ left }}) - ({{ right }})) > 1e-9 * greatest(abs({{ left }}), abs({{ right }}), 1))
{%- endmacro %}
