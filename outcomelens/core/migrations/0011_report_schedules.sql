-- Report schedules made from the dashboard (accounts/report_schedules.py): a saved view printed as
-- PDF daily or weekly at an hour (UTC) and sent to an alert webhook or a Slack channel. A Dagster
-- sensor (orchestration/defs/reports/sensors.py) requests one run per (schedule, due time) and the
-- run records what it sent in last_sent_at / last_due_at.
create table ops.report_schedules (
    schedule_id bigserial primary key,
    view_id bigint not null references ops.saved_views (view_id) on delete cascade,
    owner_sub text not null,
    owner_role text not null,  -- the role at creation; a user's current role wins when it is known
    frequency text not null check (frequency in ('daily', 'weekly')),
    weekday smallint check (weekday between 0 and 6),  -- Monday = 0; weekly only
    hour smallint not null check (hour between 0 and 23),
    destination_kind text not null check (destination_kind in ('webhook', 'slack')),
    destination text not null,  -- an alert channel's name, or a Slack channel id
    created_at timestamptz not null default now(),
    last_due_at timestamptz,  -- the due time of the last report sent
    last_sent_at timestamptz,
    last_error text,
    check ((frequency = 'weekly') = (weekday is not null))
);
create index report_schedules_owner on ops.report_schedules (owner_sub);

-- The Slack bot token reports are uploaded with (files.getUploadURLExternal / completeUploadExternal):
-- one row, encrypted with the keyring like the HubSpot token, never answered back.
create table ops.slack_connection (
    connection_id smallint primary key default 1 check (connection_id = 1),
    token_encrypted text not null,
    updated_at timestamptz not null default now(),
    updated_by text not null
);
