-- Governance (accounts/governance*.py) and engagement (accounts/engagement.py, semantic_layer/cube.js).

-- When an ingestion key last let a request in (written by the collector's key verifier, to the few seconds).
alter table ops.ingestion_keys add column if not exists last_used_at timestamptz;

-- The HubSpot connection set through the governance API: one row, the private-app token encrypted with
-- the keyring (never answered back), and the outcome of the last "test connection".
create table ops.hubspot_connection (
    connection_id smallint primary key default 1 check (connection_id = 1),
    token_encrypted text not null,
    portal_id text,
    updated_at timestamptz not null default now(),
    updated_by text not null,
    tested_at timestamptz,
    test_ok boolean
);

-- Who used the product, how: dashboard page views (POST /v1/engagement) and every query Cube answered
-- (its logger), with the user and role the verified token named and the response time.
create table ops.engagement_events (
    event_id bigserial primary key,
    occurred_at timestamptz not null default now(),
    kind text not null check (kind in ('page_view', 'api_query')),
    user_sub text not null,
    role text not null,
    page text,
    view_name text,
    response_ms double precision check (response_ms >= 0)
);
create index engagement_events_occurred on ops.engagement_events (occurred_at);

-- Subjects whose every token is refused: how an external user (Supabase tokens carry no jti, and the
-- user is not in ops.users) is shut out.
create table ops.revoked_subjects (
    sub text primary key,
    revoked_at timestamptz not null default now(),
    reason text not null default ''
);
