-- A signed HubSpot webhook asks for a sync by adding a row; a Dagster sensor turns new rows into one
-- hubspot_sync_job run at a time (the collector's workers never run the sync themselves).
create table if not exists ops.hubspot_sync_requests (
    id bigserial primary key,
    requested_at timestamptz not null default now(),
    events integer not null,
    subscriptions text not null
);
