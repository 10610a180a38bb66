{#
    Two time helpers dispatched per adapter, so the models stay portable (docs/design.md §7: ClickHouse or
    Citus later) while Postgres gets exact answers.
#}

{# The calendar date of a timestamp in UTC, whatever the session time zone is. #}
{% macro utc_date(timestamp_expr) -%}
    {{ return(adapter.dispatch('utc_date', 'outcomelens')(timestamp_expr)) }}
{%- endmacro %}

{% macro default__utc_date(timestamp_expr) -%}
    {{ dbt.cast(dbt.date_trunc('day', timestamp_expr), 'date') }}
{%- endmacro %}

{% macro postgres__utc_date(timestamp_expr) -%}
    cast(({{ timestamp_expr }}) at time zone 'UTC' as date)
{%- endmacro %}


{#
    Elapsed seconds between two timestamps (fractional where the adapter allows). dbt.datediff on
    Postgres compares wall-clock parts in the session time zone and drops fractions, so Postgres uses
    the exact epoch difference instead.
#}
{% macro seconds_between(start_expr, end_expr) -%}
    {{ return(adapter.dispatch('seconds_between', 'outcomelens')(start_expr, end_expr)) }}
{%- endmacro %}

{% macro default__seconds_between(start_expr, end_expr) -%}
    {{ dbt.cast(dbt.datediff(start_expr, end_expr, 'second'), dbt.type_float()) }}
{%- endmacro %}

{% macro postgres__seconds_between(start_expr, end_expr) -%}
    cast(extract(epoch from (({{ end_expr }}) - ({{ start_expr }}))) as {{ dbt.type_float() }})
{%- endmacro %}
