-- Forecasts and anomalies (analytics/insights_store.py; columns in docs/contracts.md).
create schema if not exists insights;

create table if not exists insights.forecasts (
    metric_name text not null, segment_dimension text not null, segment_value text not null,
    date_day date not null, model text not null, yhat double precision, yhat_lower double precision,
    yhat_upper double precision, interval_level double precision not null, is_holdout boolean not null,
    observed double precision, generated_at timestamptz not null,
    primary key (metric_name, segment_dimension, segment_value, date_day, model)
);

create table if not exists insights.anomalies (
    anomaly_id text primary key, detected_at timestamptz not null, metric_name text not null,
    segment_dimension text not null, segment_value text not null, date_day date not null,
    observed double precision, expected double precision, lower double precision, upper double precision,
    rule text not null, severity text not null, volume bigint, contributors jsonb not null,
    top_contributor_dimension text, top_contributor_value text
);
