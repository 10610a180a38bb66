-- Raw tables written by older checkouts, brought to the contract of this one (docs/contracts.md):
--   * every raw table gets `_dlt_load_id` when it lacks it (Arrow loads had none; the incremental
--     marts now select rows by it). dlt would add it NOT NULL, which fails on a table with rows;
--     the rows already there keep NULL, and the marts read every row once (their stored tables
--     lack load_id), so nothing is missed.
--   * the collector's tables get `project` and `ingestion_key_id` (their key is now
--     (project, event_id)). Old rows get the one project of ops.ingestion_keys when there is
--     exactly one, else `default`; their key id stays NULL.
-- Nothing happens on a fresh warehouse (no raw schema yet): dlt creates the tables with the columns.
do $$
declare
    raw_table record;
    old_project text;
begin
    select case when count(distinct project) = 1 then min(project) else 'default' end
        into old_project
        from ops.ingestion_keys;

    for raw_table in
        select table_name from information_schema.tables
        where table_schema = 'raw' and table_type = 'BASE TABLE' and table_name not like '\_dlt%'
    loop
        execute format('alter table raw.%I add column if not exists _dlt_load_id varchar', raw_table.table_name);
        if raw_table.table_name in ('llm_calls', 'conversation_events', 'feedback', 'outcome_metrics') then
            if not exists (
                select 1 from information_schema.columns
                where table_schema = 'raw' and table_name = raw_table.table_name and column_name = 'project'
            ) then
                execute format('alter table raw.%I add column project varchar', raw_table.table_name);
                execute format('update raw.%I set project = %L', raw_table.table_name, old_project);
                execute format('alter table raw.%I alter column project set not null', raw_table.table_name);
            end if;
            execute format('alter table raw.%I add column if not exists ingestion_key_id varchar', raw_table.table_name);
        end if;
        if raw_table.table_name = 'dead_letters' then
            alter table raw.dead_letters add column if not exists project varchar;
        end if;
    end loop;
end
$$;
