{#-
    One row per raw table a dbt source reads: when its newest row was loaded (dlt's `_dlt_load_id`
    is the load's start as Unix seconds). Cube's `freshness` view turns this into seconds since the
    newest row per source; `outcomelens status` and Dagster's freshness checks read the same.
    Built from dbt's own graph, so a source added later is listed without a change here.
-#}

{%- set raw_sources = [] %}
{%- if execute %}
    {#- raw.* only: the product's own tables (ops.*) are not loaded by dlt and carry no load id; nor
        does dlt's ledger of loads (source `dlt`), which holds no records. #}
    {%- for node in graph.sources.values() | sort(attribute='unique_id') if node.schema == 'raw' and node.source_name != 'dlt' %}
        {%- do raw_sources.append(node) %}
    {%- endfor %}
{%- endif %}

{%- for node in raw_sources %}
select
    '{{ node.source_name }}'::text as source_name,
    '{{ node.name }}'::text as table_name,
    to_timestamp(max(_dlt_load_id)::double precision) as newest_loaded_at
from {{ source(node.source_name, node.name) }}
{%- if not loop.last %}
union all
{%- endif %}
{%- endfor %}
{%- if not raw_sources %}
select null::text as source_name, null::text as table_name, null::timestamptz as newest_loaded_at
where false
{%- endif %}
