-- readouts.prompt_version_conversion was written by a Dagster asset of older checkouts and never read:
-- the conversion rate and its interval are governed measures of the semantic layer now.
drop table if exists readouts.prompt_version_conversion;
drop schema if exists readouts;
