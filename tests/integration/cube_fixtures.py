"""Hand-made mart tables with the exact columns of docs/contracts.md, for the Cube tests.

The marts that other issues build (fct_llm_calls, fct_outcome_metrics, fct_experiment_comparison,
insights.forecasts, insights.anomalies, the histogram columns of fct_attribution_daily, fct_engagement_events) are created
here to the contract, so the semantic layer is tested without waiting for them. Each test module
works in its own throwaway database on the local Postgres (the `warehouse_db` fixture).
"""

from __future__ import annotations

import datetime as dt
import math
import random

from psycopg2.extras import execute_values

from outcomelens.contract import LATENCY_EDGES_MS, RESOLUTION_EDGES_S
from outcomelens.contract import SEGMENT_DIMENSIONS as DIMENSIONS
from outcomelens.contract.ddl import create_table_sql
from outcomelens.contract.tables import RAW_TABLES
from outcomelens.core import migrations
from outcomelens.core.warehouse import Warehouse

_HISTOGRAM_COLUMNS = ",\n".join(
    [f"  latency_le_{e} bigint not null default 0" for e in LATENCY_EDGES_MS]
    + [f"  resolution_le_{e} bigint not null default 0" for e in RESOLUTION_EDGES_S]
)

CONTRACT_DDL = f"""
create schema marts;
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
{_HISTOGRAM_COLUMNS},
  refreshed_at timestamptz not null default now()
);
create table marts.fct_conversations (
  conversation_id text primary key, project text not null default 'shop', customer_ref text, contact_id text, started_at timestamptz,
  date_day date, experiment_id text, variant text, prompt_id text, prompt_version text,
  config_hash text, llm_provider text, llm_model text, intent text, capability text, action text,
  llm_calls bigint, llm_errors bigint, latency_ms_sum double precision, input_tokens bigint,
  output_tokens bigint, cost_usd double precision, resolved boolean, escalated boolean,
  abandoned boolean, deflected boolean, resolution_time_s double precision, converted boolean,
  deal_id text, order_value_usd double precision, thumbs_up int, thumbs_down int,
  rating_mean double precision, csat double precision, attribution_reason text
);
create table marts.fct_llm_calls (
  project text not null default 'shop', event_id text, occurred_at timestamptz, date_day date, conversation_id text,
  customer_ref text, experiment_id text, variant text, prompt_id text, prompt_version text,
  config_hash text, llm_provider text, llm_model text, intent text, capability text, action text,
  latency_ms double precision, time_to_first_token_ms double precision, input_tokens bigint,
  output_tokens bigint, cached_input_tokens bigint, cost_usd double precision,
  cost_from_price_table boolean, status text, error_type text, is_error boolean,
  primary key (project, event_id)
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
  significant boolean, underpowered boolean, registration_status text, variant_registration text,
  sample_ratio_mismatch boolean, srm_chi_square double precision, srm_degrees_of_freedom bigint
);
-- the lambda view Cube's llm_calls cube reads (dbt: models/marts/live/): here the mart alone
create view marts.live_llm_calls as select * from marts.fct_llm_calls;
create table marts.source_freshness (source_name text, table_name text, newest_loaded_at timestamptz);
create table marts.fct_provider_reconciliation (
  date_day date, llm_provider text, llm_model text, provider_requests bigint, provider_input_tokens bigint,
  provider_output_tokens bigint, provider_cost_usd double precision, logged_calls bigint,
  logged_input_tokens bigint, logged_output_tokens bigint, logged_cost_usd double precision,
  requests_difference bigint, input_tokens_difference bigint, output_tokens_difference bigint,
  cost_usd_difference double precision
);
create table marts.fct_engagement_events (
  event_id bigint primary key, occurred_at timestamptz, kind text, user_id text, role text, page text,
  view_name text, response_ms double precision
);
create table marts.fct_experiment_srm (
  experiment_id text, arm_count bigint, conversations bigint, expected_split text,
  smallest_share double precision, largest_share double precision, srm_chi_square double precision,
  srm_degrees_of_freedom bigint, srm_critical_value double precision, sample_ratio_mismatch boolean
);
create table marts.dim_experiments (
  experiment_id text, variants text, control_variant text, conversations bigint,
  first_seen_at timestamptz, last_seen_at timestamptz, is_registered boolean, registration_status text,
  experiment_name text, hypothesis text, registered_variants text, primary_metric text,
  guardrail_metrics text, starts_on date, ends_on date
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


def create_contract_tables(warehouse: Warehouse) -> Warehouse:
    """The contract's empty mart tables, in a fresh database, beside the product's own tables
    (insights.forecasts and insights.anomalies among them) as its migrations create them."""
    with warehouse.connection() as conn, conn.cursor() as cur:
        migrations.apply(conn)
        cur.execute(CONTRACT_DDL)
        # Cube's llm_calls cube refreshes on the newest load of raw.llm_calls (empty here, as `up`
        # creates it before the first load).
        cur.execute("create schema if not exists raw")
        cur.execute(create_table_sql(RAW_TABLES["llm_calls"]))
    return warehouse


# --- a small synthetic world, seeded, written through the contract's columns ------------------

ARMS = (
    # experiment, variant, prompt_id, prompt_version, config_hash, provider, model, conversion p,
    # latency median (ms)
    ("exp_sales_prompt", "control", "sales_agent", "sales_agent.v1", "aaaaaaaaaaaa", "openai",
     "gpt-4o-mini", 0.20, 800.0),
    ("exp_sales_prompt", "treatment", "sales_agent", "sales_agent.v2", "bbbbbbbbbbbb", "anthropic",
     "claude-3-5-haiku", 0.28, 1300.0),
    ("exp_support_tone", "control", "support_agent", "support_agent.v1", "cccccccccccc", "google",
     "gemini-1.5-flash", 0.05, 600.0),
)
INTENTS = (("buy", "sales", "recommend"), ("browse", "sales", "search"),
           ("support", "support", "answer"))
CUSTOMERS = ("alice@example.com", " Bob@Example.com ", "1001", "1002", "carol@example.org")


def _attribution_reason(converted: bool, customer: str, i: int) -> str:
    # The dbt rule's outcome, without the CRM rows behind it: converted, no contact for an e-mail
    # (the world links ids only), else one of the three other reasons in turn (no random draw, so
    # the world's other columns stay as they were).
    if converted:
        return "credited"
    if "@" in customer:
        return "no_contact"
    return ("credited_to_later_conversation", "outside_window", "no_deal")[i % 3]


def synthetic_world(n_conversations: int = 900, seed: int = 7, days: int = 12) -> dict:
    """Row-level marts (conversations, calls, outcome metrics) plus the insight tables' rows."""
    rng = random.Random(seed)
    start = dt.datetime(2025, 3, 1, tzinfo=dt.timezone.utc)
    conversations, calls = [], []
    for i in range(n_conversations):
        arm = ARMS[rng.randrange(len(ARMS))]
        experiment, variant, prompt_id, version, config_hash, provider, model, p_conv, median = arm
        intent, capability, action = INTENTS[rng.randrange(len(INTENTS))]
        started = start + dt.timedelta(days=rng.randrange(days), seconds=rng.randrange(86_000))
        customer = CUSTOMERS[rng.randrange(len(CUSTOMERS))]
        terminal = rng.choices(["resolved", "escalated", "abandoned"], [0.7, 0.2, 0.1])[0]
        resolved = terminal == "resolved"
        escalated = terminal == "escalated"
        # A few very long ones, beyond the last edge, so the tails are exercised too.
        resolution = (rng.lognormvariate(math.log(400), 1.1) if rng.random() > 0.01 else 90_000.0)
        converted = rng.random() < p_conv
        order_value = round(rng.uniform(20, 400), 2) if converted else None
        thumbs_up = rng.choice([0, 0, 1, 1, 2])
        thumbs_down = rng.choice([0, 0, 0, 1])
        rating = rng.choice([None, None, 3.0, 4.0, 4.5, 5.0, 2.0])
        csat = rng.choice([None, None, 1.0, 3.0, 4.0, 5.0])
        conv_id = f"conv_{i:05d}"
        n_calls = rng.randint(1, 4)
        conv_calls = []
        for j in range(n_calls):
            latency = rng.lognormvariate(math.log(median), 0.6)
            if rng.random() < 0.005:
                latency = 70_000.0  # a timeout beyond the last latency edge
            error = rng.random() < 0.04
            conv_calls.append(dict(
                event_id=f"call_{i:05d}_{j}", occurred_at=started + dt.timedelta(seconds=5 * j),
                date_day=started.date(), conversation_id=conv_id, customer_ref=customer,
                experiment_id=experiment, variant=variant, prompt_id=prompt_id,
                prompt_version=version, config_hash=config_hash, llm_provider=provider,
                llm_model=model, intent=intent, capability=capability, action=action,
                latency_ms=round(latency, 3), time_to_first_token_ms=round(latency * 0.3, 3),
                input_tokens=rng.randint(200, 2000), output_tokens=rng.randint(20, 600),
                cached_input_tokens=rng.randint(0, 100), cost_usd=round(rng.uniform(1e-4, 5e-3), 6),
                cost_from_price_table=rng.random() < 0.5, status="error" if error else "ok",
                error_type="timeout" if error else None, is_error=error,
            ))
        calls.extend(conv_calls)
        conversations.append(dict(
            conversation_id=conv_id, customer_ref=customer,
            contact_id=None if "@" in customer else customer, started_at=started,
            date_day=started.date(), experiment_id=experiment, variant=variant,
            prompt_id=prompt_id, prompt_version=version, config_hash=config_hash,
            llm_provider=provider, llm_model=model, intent=intent, capability=capability,
            action=action, llm_calls=n_calls, llm_errors=sum(c["is_error"] for c in conv_calls),
            latency_ms_sum=sum(c["latency_ms"] for c in conv_calls),
            input_tokens=sum(c["input_tokens"] for c in conv_calls),
            output_tokens=sum(c["output_tokens"] for c in conv_calls),
            cost_usd=sum(c["cost_usd"] for c in conv_calls), resolved=resolved,
            escalated=escalated, abandoned=terminal == "abandoned",
            deflected=resolved and not escalated,
            resolution_time_s=round(resolution, 3) if resolved else None, converted=converted,
            deal_id=f"deal_{i:05d}" if converted else None, order_value_usd=order_value,
            thumbs_up=thumbs_up, thumbs_down=thumbs_down, rating_mean=rating, csat=csat,
            attribution_reason=_attribution_reason(converted, customer, i),
        ))
    outcome_metrics = [
        dict(event_id=f"om_{k}", occurred_at=start + dt.timedelta(days=k % days),
             date_day=(start + dt.timedelta(days=k % days)).date(), experiment_id="exp_sales_prompt",
             metric_name="nps" if k % 2 else "basket_size", metric_value=float(k % 7),
             intent="buy", capability="sales", action="recommend", llm_model="gpt-4o-mini",
             user_id=f"user_{k}", conversation_id=f"conv_{k:05d}", customer_ref=CUSTOMERS[k % 5],
             source="csv")
        for k in range(40)
    ]
    comparisons = [
        dict(experiment_id="exp_sales_prompt", metric_name="conversion_rate", variant="treatment",
             control_variant="control", n_control=300, n_variant=300, control_value=0.2,
             variant_value=0.28, difference=0.08, ci_low=0.01, ci_high=0.15,
             method="newcombe_wilson", significant=True, underpowered=False, registration_status="registered",
             variant_registration="registered", sample_ratio_mismatch=True, srm_chi_square=26.31578947368421,
             srm_degrees_of_freedom=1),
        dict(experiment_id="exp_sales_prompt", metric_name="average_order_value",
             variant="treatment", control_variant="control", n_control=60, n_variant=84,
             control_value=210.0, variant_value=205.0, difference=-5.0, ci_low=-40.0,
             ci_high=30.0, method="welch", significant=False, underpowered=True, registration_status="registered",
             variant_registration="registered", sample_ratio_mismatch=True, srm_chi_square=26.31578947368421,
             srm_degrees_of_freedom=1),
    ]
    # exp_sales_prompt: registered, with a planted sample ratio mismatch (5,000 vs 4,500: chi-square 26.3);
    # exp_support_tone: seen in the data only
    srm = [
        dict(experiment_id="exp_sales_prompt", arm_count=2, conversations=9500, expected_split="registered",
             smallest_share=4500 / 9500, largest_share=5000 / 9500, srm_chi_square=26.31578947368421,
             srm_degrees_of_freedom=1, srm_critical_value=10.8275661707, sample_ratio_mismatch=True),
    ]
    statistics = [
        dict(experiment_id="exp_sales_prompt", metric_name="conversion_rate", variant="treatment", p_value=0.02,
             p_value_holm=0.04, p_value_bh=0.04, chance_to_beat_control=0.99, expected_loss=0.0001,
             always_valid_ci_low=-0.01, always_valid_ci_high=0.17, always_valid_significant=False,
             minimum_detectable_effect=0.1, is_running=True, days_run=12.0, days_to_detect=30.0,
             srm_p_value=2.9e-07, cuped_covariate="pre_period_conversions", cuped_units_with_history=120,
             cuped_theta=0.08, cuped_variance_reduction=0.05, cuped_difference=0.078, cuped_ci_low=0.012,
             cuped_ci_high=0.144, computed_at=start + dt.timedelta(days=days)),
    ]
    experiments = [
        dict(experiment_id="exp_sales_prompt", variants="control, treatment", control_variant="control",
             conversations=9500, is_registered=True, registration_status="registered",
             experiment_name="Sales prompt v2", registered_variants="control 0.5 (sales_agent.v1), treatment 0.5 (sales_agent.v2)",
             primary_metric="conversion_rate", guardrail_metrics="escalation_rate", starts_on=start.date()),
        dict(experiment_id="exp_support_tone", variants="control", control_variant="control", conversations=40,
             is_registered=False, registration_status="unregistered", experiment_name=None,
             registered_variants=None, primary_metric=None, guardrail_metrics=None, starts_on=None),
    ]
    forecasts = [
        dict(metric_name="conversion_rate", segment_dimension="all", segment_value="all",
             date_day=(start + dt.timedelta(days=days + d)).date(), model="auto_arima",
             yhat=0.2 + 0.001 * d, yhat_lower=0.15, yhat_upper=0.25, interval_level=0.95,
             is_holdout=False, observed=None, generated_at=start + dt.timedelta(days=days))
        for d in range(7)
    ]
    anomalies = [
        dict(anomaly_id="an_1", detected_at=start + dt.timedelta(days=days), metric_name="conversion_rate",
             segment_dimension="prompt_version", segment_value="sales_agent.v2",
             date_day=(start + dt.timedelta(days=days - 1)).date(), observed=0.1, expected=0.28,
             lower=0.2, upper=0.35, rule="relative_change", severity="critical", volume=80,
             contributors='[{"dimension": "intent", "value": "buy", "observed": 0.05, '
                          '"expected": 0.3, "contribution": -0.12, "share": 0.7}]',
             top_contributor_dimension="intent", top_contributor_value="buy"),
    ]
    engagement = [
        dict(event_id=k, occurred_at=start + dt.timedelta(days=k % days, minutes=k), kind=kind,
             user_id=f"user-{k % 4}", role=("admin", "enablement", "engineer")[k % 3],
             page="/reports" if kind == "page_view" else None, view_name="standard_reports",
             response_ms=float(50 + k))
        for k, kind in enumerate(["page_view", "api_query"] * 10)
    ]
    return dict(conversations=conversations, calls=calls, outcome_metrics=outcome_metrics,
                comparisons=comparisons, statistics=statistics, srm=srm, experiments=experiments,
                forecasts=forecasts, anomalies=anomalies, engagement=engagement)


# What the providers reported equals what was logged (every difference 0), and the calls' newest
# event stands in for the newest load.
FRESHNESS_AND_RECONCILIATION_FROM_ROWS_SQL = """
insert into marts.source_freshness
select 'outcomelens', 'llm_calls', max(occurred_at) from marts.fct_llm_calls;
insert into marts.fct_provider_reconciliation
select date_day, llm_provider, llm_model, count(*), sum(input_tokens), sum(output_tokens), sum(cost_usd),
       count(*), sum(input_tokens), sum(output_tokens), sum(cost_usd), 0, 0, 0, 0
from marts.fct_llm_calls group by 1, 2, 3;
"""


def _insert(cur, table: str, rows: list[dict]) -> None:
    if not rows:
        return
    columns = list(rows[0])
    execute_values(cur, f"insert into {table} ({', '.join(columns)}) values %s",
                   [tuple(r[c] for c in columns) for r in rows], page_size=1000)


def load_world(warehouse: Warehouse, world: dict) -> None:
    """Write the world into the contract tables and build fct_attribution_daily from the rows."""
    with warehouse.connection() as conn, conn.cursor() as cur:
        _insert(cur, "marts.fct_conversations", world["conversations"])
        _insert(cur, "marts.fct_llm_calls", world["calls"])
        _insert(cur, "marts.fct_outcome_metrics", world["outcome_metrics"])
        _insert(cur, "marts.fct_experiment_comparison", world["comparisons"])
        _insert(cur, "marts.fct_experiment_srm", world["srm"])
        _insert(cur, "insights.experiment_statistics", world["statistics"])
        _insert(cur, "marts.dim_experiments", world["experiments"])
        _insert(cur, "insights.forecasts", world["forecasts"])
        _insert(cur, "insights.anomalies", world["anomalies"])
        _insert(cur, "marts.fct_engagement_events", world.get("engagement", []))
        cur.execute(ATTRIBUTION_FROM_ROWS_SQL)
        cur.execute(FRESHNESS_AND_RECONCILIATION_FROM_ROWS_SQL)
