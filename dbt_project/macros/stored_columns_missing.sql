{#
    True when the stored table ({{ this }}) lacks a column the model declares in its YAML: the
    warehouse was built by an older checkout and the model has gained a column since. The incremental
    marts then rewrite every row, so the column that on_schema_change='append_new_columns' adds is
    filled for old rows too and the table equals a full refresh, instead of failing (or leaving old
    rows null) until someone runs `dbt build --full-refresh`.

    Call it only where is_incremental() is true: a missing table has no columns and would read as
    "everything missing". Column names are compared case-insensitively (the YAML may quote or
    capitalise differently from the catalog). At parse time the relation is not queried and the
    answer is false, so the parsed SQL is the ordinary incremental one.
#}
{% macro stored_columns_missing() -%}
    {%- if not execute -%}
        {{ return(false) }}
    {%- endif -%}
    {%- set stored = adapter.get_columns_in_relation(this) | map(attribute='name') | map('lower') | list -%}
    {%- set missing = [] -%}
    {%- for name in model.columns -%}
        {%- if name | lower not in stored -%}
            {%- do missing.append(name) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- if missing -%}
        {%- do log(this ~ " lacks " ~ missing | join(", ") ~ ": rewriting every row", info=true) -%}
    {%- endif -%}
    {{ return(missing | length > 0) }}
{%- endmacro %}
