"""Hand-made mart tables with the exact columns of docs/contracts.md, for the Cube tests.

The marts that other issues build (fct_llm_calls, fct_outcome_metrics, fct_experiment_comparison,
insights.forecasts, insights.anomalies, the histogram columns of fct_attribution_daily) are created
here to the contract, so the semantic layer is tested without waiting for them. Each test module
works in its own throwaway database on the local Postgres.
"""

from __future__ import annotations

import contextlib
import uuid

import psycopg2

from outcomelens.warehouse import Warehouse

PG = dict(host="127.0.0.1", port=5432, user="postgres", password="")

LATENCY_EDGES_MS = (100, 250, 500, 750, 1000, 1250, 1500, 1750, 2000, 2500, 3000, 4000, 5000, 7500,
                    10000, 20000, 60000)
RESOLUTION_EDGES_S = (30, 60, 120, 180, 300, 450, 600, 900, 1200, 1800, 2700, 3600, 7200, 14400,
                      86400)

DIMENSIONS = ("experiment_id variant prompt_id prompt_version config_hash llm_provider llm_model "
              "intent capability action").split()

_HISTOGRAM_COLUMNS = ",\n".join(
    [f"  latency_le_{e} bigint not null default 0" for e in LATENCY_EDGES_MS]
    + [f"  resolution_le_{e} bigint not null default 0" for e in RESOLUTION_EDGES_S]
)

CONTRACT_DDL = f"""
create schema marts;
create schema insights;
create table marts.fct_attribution_daily (
  date_day date not null, experiment_id text, variant text, prompt_id text, prompt_version text,
  config_hash text, llm_provider text, llm_model text, intent text, capability text, action text,
  conversations bigint not null default 0, conversions bigint not null default 0,
  order_value_sum double precision not null default 0,
  order_value_sum_sq double precision not null default 0,
  resolved bigint not null default 0, escalated bigint not null default 0,
  deflected bigint not null default 0, abandoned bigint not null default 0,
  resolution_time_s_sum double precision not null default 0,
  llm_calls bigint not null default 0, llm_errors bigint not null default 0,
  latency_ms_sum double precision not null default 0,
  latency_ms_sum_sq double precision not null default 0, input_tokens bigint not null default 0,
  output_tokens bigint not null default 0, cost_usd double precision not null default 0,
  thumbs_up bigint not null default 0, thumbs_total bigint not null default 0,
  csat_sum double precision not null default 0, csat_count bigint not null default 0,
  ttft_ms_sum double precision not null default 0, cached_input_tokens bigint not null default 0,
  rating_sum double precision not null default 0, rating_count bigint not null default 0,
  thumbs_down bigint not null default 0,
{_HISTOGRAM_COLUMNS}
);
create table marts.fct_conversations (
  conversation_id text primary key, customer_ref text, contact_id text, started_at timestamptz,
  date_day date, experiment_id text, variant text, prompt_id text, prompt_version text,
  config_hash text, llm_provider text, llm_model text, intent text, capability text, action text,
  llm_calls bigint, llm_errors bigint, latency_ms_sum double precision, input_tokens bigint,
  output_tokens bigint, cost_usd double precision, resolved boolean, escalated boolean,
  abandoned boolean, deflected boolean, resolution_time_s double precision, converted boolean,
  deal_id text, order_value_usd double precision, thumbs_up int, thumbs_down int,
  rating_mean double precision, csat double precision
);
create table marts.fct_llm_calls (
  event_id text primary key, occurred_at timestamptz, date_day date, conversation_id text,
  customer_ref text, experiment_id text, variant text, prompt_id text, prompt_version text,
  config_hash text, llm_provider text, llm_model text, intent text, capability text, action text,
  latency_ms double precision, time_to_first_token_ms double precision, input_tokens bigint,
  output_tokens bigint, cached_input_tokens bigint, cost_usd double precision,
  cost_from_price_table boolean, status text, error_type text, is_error boolean
);
create table marts.fct_outcome_metrics (
  event_id text primary key, occurred_at timestamptz, date_day date, experiment_id text,
  metric_name text, metric_value double precision, intent text, capability text, action text,
  llm_model text, user_id text, conversation_id text, customer_ref text, source text
);
create table marts.fct_experiment_comparison (
  experiment_id text, metric_name text, variant text, control_variant text, n_control bigint,
  n_variant bigint, control_value double precision, variant_value double precision,
  difference double precision, ci_low double precision, ci_high double precision, method text,
  significant boolean, underpowered boolean
);
create table insights.forecasts (
  metric_name text, segment_dimension text, segment_value text, date_day date, model text,
  yhat double precision, yhat_lower double precision, yhat_upper double precision,
  interval_level double precision, is_holdout boolean, observed double precision,
  generated_at timestamptz
);
create table insights.anomalies (
  anomaly_id text primary key, detected_at timestamptz, metric_name text, segment_dimension text,
  segment_value text, date_day date, observed double precision, expected double precision,
  lower double precision, upper double precision, rule text, severity text, volume bigint,
  contributors jsonb, top_contributor_dimension text, top_contributor_value text
);
"""

# fct_attribution_daily rebuilt from the two row-level marts, as dbt would: the additive parts and
# the cumulative histograms per day x dimensions.
_LAT = ",\n".join(
    f"    coalesce(sum(k.le_{e}), 0) as latency_le_{e}" for e in LATENCY_EDGES_MS)
_LAT_INNER = ",\n".join(
    f"      count(*) filter (where latency_ms <= {e}) as le_{e}" for e in LATENCY_EDGES_MS)
_RES = ",\n".join(
    f"    count(*) filter (where c.resolved and c.resolution_time_s <= {e}) as resolution_le_{e}"
    for e in RESOLUTION_EDGES_S)
_DIMS = ", ".join(f"c.{d}" for d in DIMENSIONS)
ATTRIBUTION_FROM_ROWS_SQL = f"""
insert into marts.fct_attribution_daily
select
    c.date_day, {_DIMS},
    count(*) as conversations,
    count(*) filter (where c.converted) as conversions,
    coalesce(sum(c.order_value_usd), 0) as order_value_sum,
    coalesce(sum(c.order_value_usd * c.order_value_usd), 0) as order_value_sum_sq,
    count(*) filter (where c.resolved) as resolved,
    count(*) filter (where c.escalated) as escalated,
    count(*) filter (where c.deflected) as deflected,
    count(*) filter (where c.abandoned) as abandoned,
    coalesce(sum(c.resolution_time_s), 0) as resolution_time_s_sum,
    coalesce(sum(k.calls), 0) as llm_calls,
    coalesce(sum(k.errors), 0) as llm_errors,
    coalesce(sum(k.latency_sum), 0) as latency_ms_sum,
    coalesce(sum(k.latency_sum_sq), 0) as latency_ms_sum_sq,
    coalesce(sum(k.input_tokens), 0) as input_tokens,
    coalesce(sum(k.output_tokens), 0) as output_tokens,
    coalesce(sum(k.cost), 0) as cost_usd,
    sum(c.thumbs_up) as thumbs_up,
    sum(c.thumbs_up + c.thumbs_down) as thumbs_total,
    coalesce(sum(c.csat), 0) as csat_sum,
    count(c.csat) as csat_count,
    coalesce(sum(k.ttft_sum), 0) as ttft_ms_sum,
    coalesce(sum(k.cached), 0) as cached_input_tokens,
    coalesce(sum(c.rating_mean), 0) as rating_sum,
    count(c.rating_mean) as rating_count,
    sum(c.thumbs_down) as thumbs_down,
{_LAT},
{_RES}
from marts.fct_conversations c
left join (
    select conversation_id, count(*) as calls, count(*) filter (where is_error) as errors,
      sum(latency_ms) as latency_sum, sum(latency_ms * latency_ms) as latency_sum_sq,
      sum(input_tokens) as input_tokens, sum(output_tokens) as output_tokens,
      sum(cost_usd) as cost, sum(time_to_first_token_ms) as ttft_sum,
      sum(cached_input_tokens) as cached,
{_LAT_INNER}
    from marts.fct_llm_calls group by conversation_id
) k on k.conversation_id = c.conversation_id
group by c.date_day, {_DIMS}
"""


def connect(database: str = "postgres"):
    conn = psycopg2.connect(dbname=database, **PG)
    conn.autocommit = True
    return conn


@contextlib.contextmanager
def throwaway_database(prefix: str = "cube_test"):
    """A fresh database with the contract's empty tables; dropped on exit."""
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    admin = connect()
    with admin.cursor() as cur:
        cur.execute(f'create database "{name}"')
    try:
        conn = connect(name)
        with conn.cursor() as cur:
            cur.execute(CONTRACT_DDL)
        conn.close()
        yield Warehouse(database=name, **PG)
    finally:
        with admin.cursor() as cur:
            cur.execute(f'drop database if exists "{name}" with (force)')
        admin.close()
