{#
    Incremental by dlt load: which loads a model has not folded in yet.

    dlt writes one row to raw._dlt_loads when a load has committed all of its rows (after its merge
    too), with inserted_at, the time of that commit. Load ids are not commit order: an id is taken
    when a load starts, so a 10M-call landing (minutes) commits after loader loads that started
    later. Commit times are: every load committed before a dbt run started was whole when that run
    read it. So each row of such a model carries refreshed_at, the start of the run that wrote it,
    and a run takes the loads committed after the newest refreshed_at, less
    var('load_lookback_seconds') for a load whose commit raced that run's start (its inserted_at is
    taken just before its commit) and for clock skew between the loaders and dbt. A load taken twice
    is harmless: the models rebuild what it touched from all history, so a second pass writes the
    same rows. (The newest load's own commit time would not do as the watermark: the lookback
    would then take that load again on every run, a whole 10M-call landing included.)

    The ids are fetched here, at run time, and inlined as literals: the planner then estimates
    `_dlt_load_id in (...)` from the raw table's statistics (a handful of loads: index scans), where
    a subquery over the ledger reads as a third of every row and plans a scan of all history.
    Returns none when the model must read everything: at parse time, and where no load has ever
    committed (a warehouse `up` created, raw tables empty). The ledger is read only by incremental
    runs, so it is no parent of the models in dbt's graph (nor a fixture their unit tests need).
#}
{% macro dlt_loads_since_stored() -%}
    {%- if not execute -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set loads = source('dlt', '_dlt_loads') -%}
    {%- if adapter.get_relation(database=loads.database, schema=loads.schema, identifier=loads.identifier) is none -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set query -%}
        select load_id
        from {{ loads }}
        where inserted_at > (select coalesce(max(refreshed_at), '-infinity') from {{ this }})
            - interval '{{ var("load_lookback_seconds") | int }} seconds'
        order by load_id
    {%- endset -%}
    {{ return(run_query(query).columns[0].values() | list) }}
{%- endmacro %}


{#- `expr in (the loads)` with the ids as literals; false when there are none. -#}
{% macro in_loads(expr, load_ids) -%}
    {%- if load_ids -%}
        {{ expr }} in ({% for load_id in load_ids %}'{{ load_id | replace("'", "''") }}'{{ ", " if not loop.last }}{% endfor %})
    {%- else -%}
        false
    {%- endif -%}
{%- endmacro %}


{#- The start of this dbt run, as a timestamptz column: when the row was written (see above). -#}
{% macro run_started_at_column() -%}
    {{ dbt.cast("'" ~ run_started_at.isoformat() ~ "'", 'timestamp with time zone') }}
{%- endmacro %}
