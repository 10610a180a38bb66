-- The experiment registry (accounts/experiments.py; API /v1/experiments, CLI `outcomelens experiments`):
-- what an experiment is meant to be — its arms with their prompt version and config, the expected
-- split, the primary and guardrail metrics (measures of the semantic layer), start and end. dbt models
-- it beside the experiments seen in the data (marts.dim_experiments).
create table ops.experiments (
    experiment_id text primary key check (experiment_id ~ '^[A-Za-z0-9_.:-]{1,100}$'),
    name text not null default '',
    hypothesis text not null default '',
    primary_metric text not null,
    guardrail_metrics text[] not null default '{}',
    starts_on date not null,
    ends_on date,
    created_by text not null,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    check (ends_on is null or ends_on >= starts_on)
);

create table ops.experiment_variants (
    experiment_id text not null references ops.experiments (experiment_id) on delete cascade,
    variant text not null check (length(variant) between 1 and 100),
    is_control boolean not null default false,
    expected_share double precision not null check (expected_share > 0 and expected_share < 1),
    prompt_version text,
    config jsonb not null default '{}',
    primary key (experiment_id, variant)
);
-- exactly one control arm per experiment
create unique index experiment_variants_one_control on ops.experiment_variants (experiment_id) where is_control;
