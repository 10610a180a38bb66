-- The product's operational tables. `if not exists`: releases before migrations created these tables
-- on first use, and this first migration adopts them as they are.
create schema if not exists ops;

-- Ingestion keys (ingestion/collector/keys.py): only the sha256 of each key is kept.
create table if not exists ops.ingestion_keys (
    key_id text primary key,
    project text not null,
    name text not null,
    key_hash text not null unique,
    created_at timestamptz not null default now(),
    revoked_at timestamptz
);

-- Provider API keys (outcomelens/core/provider_keys.py), encrypted with the keyring's master key.
create table if not exists ops.provider_keys (
    provider text not null,
    name text not null,
    ciphertext text not null,
    last4 text not null,
    created_at timestamptz not null default now(),
    primary key (provider, name)
);

-- Every alert (analytics/alert_log.py), then every delivery attempt (analytics/alert_delivery.py).
create table if not exists ops.alerts (
    alert_id text primary key,
    created_at timestamptz not null default now(),
    source text not null,
    dedup_key text not null,
    severity text not null,
    title text not null,
    payload jsonb not null
);
create table if not exists ops.alert_deliveries (
    alert_id text not null references ops.alerts (alert_id),
    channel text not null,
    attempt int not null,
    status text not null,
    http_status int,
    error text,
    delivered_at timestamptz not null default now()
);

-- Webhooks added with `outcomelens alerts webhooks add`; URL and secret encrypted with the keyring.
create table if not exists ops.alert_webhooks (
    name text primary key,
    format text not null,
    url_encrypted text not null,
    secret_encrypted text,
    created_at timestamptz not null default now()
);
