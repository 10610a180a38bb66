-- Readouts computed downstream of the marts (orchestration/defs/readouts/assets.py).
create schema if not exists readouts;

create table if not exists readouts.prompt_version_conversion (
    experiment_id text, prompt_version text, conversations bigint, conversions bigint,
    conversion_rate double precision, ci_low double precision, ci_high double precision,
    primary key (experiment_id, prompt_version)
);
